// Fetching and extracting the CIFAR-10 tarball, with nothing half-written on failure:
//   1. stream the URL (following redirects) into a temporary file beside the target, hashing as it goes;
//   2. check the byte count and the MD5; on any failure delete the temporary file and say what happened;
//   3. extract into a temporary folder beside the target (entries that would land outside refused),
//      then rename the data folder into place: readers see either no folder or a complete one.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as path from 'path';
import { pipeline } from 'stream/promises';
import { Transform } from 'stream';
import * as zlib from 'zlib';
import { TorchError } from '../errors';
import { entryDestination, readTar } from './tar';
import { optionKeys, readOptions } from '../utils/options';

export interface DownloadOptions {
  url: string;
  /** Expected MD5 of the archive (hex); the download is rejected when it differs. */
  md5: string;
  /** Progress output on stderr: a bar on a TTY, a line per 10% otherwise. Default true. */
  progress?: boolean;
  /** Redirects to follow (default 5). */
  maxRedirects?: number;
}

// The keys of DownloadOptions, a list the compiler keeps complete, for readOptions at the entry.
const DOWNLOAD = optionKeys<DownloadOptions>({ url: true, md5: true, progress: true, maxRedirects: true });

const MAX_REDIRECTS = 5;

function tempName(dir: string, base: string): string {
  return path.join(dir, `.${base}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
}

// GET with redirects; resolves with the final response (status 200) and its URL.
function get(url: string, redirectsLeft: number, original: string): Promise<{ res: http.IncomingMessage; url: string }> {
  return new Promise((resolve, reject) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      reject(new TorchError(`download: invalid URL '${url}'`));
      return;
    }
    const mod = parsed.protocol === 'https:' ? https : parsed.protocol === 'http:' ? http : null;
    if (!mod) {
      reject(new TorchError(`download: unsupported protocol in '${url}' (http and https only)`));
      return;
    }
    const req = mod.get(parsed, (res) => {
      const status = res.statusCode ?? 0;
      if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
        res.resume();
        if (redirectsLeft <= 0) {
          reject(new TorchError(`download: too many redirects fetching ${original}`));
          return;
        }
        const next = new URL(res.headers.location, parsed).toString();
        get(next, redirectsLeft - 1, original).then(resolve, reject);
        return;
      }
      if (status !== 200) {
        res.resume();
        reject(new TorchError(`download: ${url} answered HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`));
        return;
      }
      resolve({ res, url });
    });
    req.on('error', (e) => reject(new TorchError(`download: cannot fetch ${url}: ${e.message}`)));
  });
}

// Progress: cli-progress on a TTY, otherwise a plain line every 10% (logs stay readable in CI).
function makeProgress(enabled: boolean, total: number, label: string): { tick(n: number): void; stop(): void } {
  if (!enabled) return { tick() {}, stop() {} };
  if (process.stderr.isTTY) {
    // Loaded lazily: only interactive downloads need it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const cliProgress = require('cli-progress') as typeof import('cli-progress');
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: `${label} [{bar}] {percentage}% | {value_mb}/{total_mb} MB | ETA {eta}s`,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    const mb = (n: number) => (n / 1e6).toFixed(1);
    let done = 0;
    bar.start(total || 1, 0, { value_mb: mb(0), total_mb: total ? mb(total) : '?' });
    return {
      tick(n) {
        done += n;
        bar.update(Math.min(done, total || done), { value_mb: mb(done), total_mb: total ? mb(total) : '?' });
      },
      stop() {
        bar.stop();
      },
    };
  }
  let done = 0;
  let nextTenth = 1;
  process.stderr.write(`${label}: ${total ? `${(total / 1e6).toFixed(1)} MB` : 'size unknown'}\n`);
  return {
    tick(n) {
      done += n;
      while (total && done * 10 >= nextTenth * total && nextTenth <= 10) {
        process.stderr.write(`${label}: ${nextTenth * 10}% (${(done / 1e6).toFixed(1)} MB)\n`);
        nextTenth++;
      }
    },
    stop() {},
  };
}

function removeQuietly(p: string): void {
  try {
    fs.rmSync(p, { recursive: true, force: true });
  } catch {
    // Best effort: the error being reported matters more than a leftover temp file.
  }
}

/**
 * Downloads `url` into `file` atomically (temporary file + rename) and checks its MD5.
 * Nothing is left at `file` or beside it when the transfer fails or the checksum differs.
 */
export async function downloadFile(url: string, file: string, options: DownloadOptions): Promise<void> {
  options = readOptions('downloadFile', options, DOWNLOAD);
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = tempName(dir, path.basename(file));
  const { res, url: finalUrl } = await get(url, options.maxRedirects ?? MAX_REDIRECTS, url);
  const total = Number(res.headers['content-length'] ?? 0);
  const hash = crypto.createHash('md5');
  let received = 0;
  const progress = makeProgress(options.progress ?? true, total, `Downloading ${path.basename(new URL(finalUrl).pathname)}`);
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      hash.update(chunk);
      progress.tick(chunk.length);
      done(null, chunk);
    },
  });
  try {
    try {
      await pipeline(res, counter, fs.createWriteStream(tmp, { flags: 'wx' }));
    } catch (e) {
      const got = total ? `${received} of ${total} bytes` : `${received} bytes`;
      throw new TorchError(`download: transfer of ${finalUrl} was interrupted after ${got} (${(e as Error).message}); nothing was kept`);
    } finally {
      progress.stop();
    }
    // A server that closes early without an error still gives fewer bytes than it announced.
    if (total && received !== total) {
      throw new TorchError(`download: transfer of ${finalUrl} ended after ${received} of ${total} bytes; nothing was kept`);
    }
    const md5 = hash.digest('hex');
    if (md5 !== options.md5.toLowerCase()) {
      throw new TorchError(
        `download: checksum mismatch for ${finalUrl}: MD5 ${md5}, expected ${options.md5.toLowerCase()} (corrupted or wrong file); nothing was kept`,
      );
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    removeQuietly(tmp);
    throw e;
  }
}

/**
 * Extracts a .tar.gz so that `target` (absolute) appears complete or not at all. The archive's top
 * folder must be named like `target` (basename); its contents become `target`.
 */
export function extractTarGz(archive: string, target: string): void {
  const parent = path.dirname(target);
  const want = path.basename(target);
  let tar: Buffer;
  try {
    tar = zlib.gunzipSync(fs.readFileSync(archive));
  } catch (e) {
    throw new TorchError(`extract: ${archive} is not a valid gzip file (${(e as Error).message})`);
  }
  const entries = readTar(tar, archive); // refuses links and paths escaping the folder, before anything is written
  const staging = tempName(parent, want);
  try {
    fs.mkdirSync(staging);
    for (const entry of entries) {
      const dest = entryDestination(staging, entry.name, archive);
      if (entry.type === 'directory') {
        fs.mkdirSync(dest, { recursive: true });
      } else {
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        fs.writeFileSync(dest, entry.data, { flag: 'wx' });
      }
    }
    const extracted = path.join(staging, want);
    if (!fs.existsSync(extracted) || !fs.statSync(extracted).isDirectory()) {
      throw new TorchError(`extract: ${archive} has no top-level folder '${want}'`);
    }
    // An empty leftover folder may be replaced; one with files is the user's and is not touched.
    if (fs.existsSync(target)) {
      if (fs.readdirSync(target).length > 0) {
        throw new TorchError(`extract: ${target} exists but is incomplete; remove it and download again`);
      }
      fs.rmdirSync(target);
    }
    fs.renameSync(extracted, target);
  } finally {
    removeQuietly(staging);
  }
}

/**
 * Makes `folder` (…/cifar-10-batches-bin) exist by downloading the archive beside it (kept there as
 * cifar-10-binary.tar.gz, as torchvision keeps its archive, and reused if its MD5 matches) and extracting it.
 */
export async function download(folder: string, options: DownloadOptions): Promise<void> {
  options = readOptions('download', options, DOWNLOAD);
  const parent = path.dirname(folder);
  const archiveName = path.basename(new URL(options.url).pathname) || 'cifar-10-binary.tar.gz';
  const archive = path.join(parent, archiveName);
  // The first folder this call creates (undefined when the parent existed): removed again on failure,
  // so that a failed download (offline, say) leaves no empty data/ behind.
  const created = fs.mkdirSync(parent, { recursive: true });
  try {
    if (!(fs.existsSync(archive) && (await md5File(archive)) === options.md5.toLowerCase())) {
      await downloadFile(options.url, archive, options);
    }
    try {
      extractTarGz(archive, folder);
    } catch (e) {
      // An archive that cannot be extracted is useless; keeping it would make the next try reuse it.
      removeQuietly(archive);
      throw e;
    }
  } catch (e) {
    if (created) removeEmptyFolders(parent, created);
    throw e;
  }
}

// rmdir from `from` up to `top` (inclusive) while they are empty: what another process or the user put
// there meanwhile stays.
function removeEmptyFolders(from: string, top: string): void {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    try {
      fs.rmdirSync(dir);
    } catch {
      return;
    }
    if (dir === path.resolve(top) || path.dirname(dir) === dir) return;
  }
}

export async function md5File(file: string): Promise<string> {
  const hash = crypto.createHash('md5');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
