// Test fixtures for lib/data: tiny CIFAR-10 folders, a tar writer, and a local HTTP server.
// Everything is written under os.tmpdir() and served on 127.0.0.1 only.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';

export const RECORD = 3073;
export const CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
export const TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tn-data-${prefix}-`));
}

/** The label and pixel bytes of synthetic record `i` of a file (deterministic, different per file). */
export function label(fileIndex: number, i: number): number {
  return (i * 7 + fileIndex * 3) % 10;
}
export function pixel(fileIndex: number, i: number, k: number): number {
  return (i * 31 + k * 7 + fileIndex * 101 + (k >> 10) * 13) % 256;
}

export function records(fileIndex: number, count: number): Buffer {
  const buf = Buffer.alloc(count * RECORD);
  for (let i = 0; i < count; i++) {
    buf[i * RECORD] = label(fileIndex, i);
    for (let k = 0; k < 3072; k++) buf[i * RECORD + 1 + k] = pixel(fileIndex, i, k);
  }
  return buf;
}

/**
 * The files of a cifar-10-batches-bin folder: `counts` records per training file (file index 0..4),
 * `testCount` in test_batch (index 5). Read them with `recordsPerFile: FIXTURE_RECORDS` (the real files
 * hold 10,000 records each, and every file must hold the same number).
 */
export const FIXTURE_RECORDS = 3;
export function cifarFiles(counts = [3, 3, 3, 3, 3], testCount = 3): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  TRAIN_FILES.forEach((f, i) => (files[f] = records(i, counts[i])));
  files['test_batch.bin'] = records(5, testCount);
  files['batches.meta.txt'] = Buffer.from(CLASSES.join('\n') + '\n\n');
  return files;
}

export function writeCifarFolder(folder: string, files = cifarFiles()): string {
  fs.mkdirSync(folder, { recursive: true });
  for (const [name, data] of Object.entries(files)) fs.writeFileSync(path.join(folder, name), data);
  return folder;
}

// ---- tar ----

export interface TarSpec {
  name: string;
  data?: Buffer;
  /** '0' file (default), '5' directory, '2' symlink, '1' hard link, 'L' GNU long name … */
  type?: string;
  linkname?: string;
  /** POSIX name prefix (ustar), or old-GNU format with its time fields where ustar has the prefix. */
  prefix?: string;
  gnu?: boolean;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

export function tarHeader(spec: TarSpec, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(spec.name, 0, 100, 'utf8');
  h.write(octal(spec.type === '5' ? 0o755 : 0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(1_700_000_000, 12), 136, 'ascii');
  h.write(spec.type ?? '0', 156, 'ascii');
  if (spec.linkname) h.write(spec.linkname, 157, 100, 'utf8');
  if (spec.gnu) {
    h.write('ustar  \0', 257, 'ascii');
    h.write(octal(1_700_000_000, 12), 345, 'ascii'); // atime: not a name prefix
  } else {
    h.write('ustar\0', 257, 'ascii');
    h.write('00', 263, 'ascii');
    if (spec.prefix) h.write(spec.prefix, 345, 155, 'utf8');
  }
  h.fill(0x20, 148, 156); // the checksum is computed with its own field as spaces
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

/** A tar archive of the given entries, ended by two zero blocks. */
export function tar(entries: TarSpec[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = e.data ?? Buffer.alloc(0);
    parts.push(tarHeader(e, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** The CIFAR-10 tarball layout: cifar-10-batches-bin/ with the files. */
export function cifarTarGz(files = cifarFiles(), extra: TarSpec[] = []): Buffer {
  const entries: TarSpec[] = [{ name: 'cifar-10-batches-bin/', type: '5' }];
  for (const [name, data] of Object.entries(files)) entries.push({ name: `cifar-10-batches-bin/${name}`, data });
  return zlib.gzipSync(tar([...entries, ...extra]));
}

export function md5(buf: Buffer): string {
  return crypto.createHash('md5').update(buf).digest('hex');
}

// ---- HTTP ----

export interface Route {
  body?: Buffer;
  /** Redirect to this path (302). */
  redirect?: string;
  /** Send this many bytes of the body, then destroy the socket (Content-Length announces all of it). */
  cutAfter?: number;
  status?: number;
}

export interface TestServer {
  url(p: string): string;
  hits: string[];
  close(): Promise<void>;
}

export async function serve(routes: Record<string, Route>): Promise<TestServer> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    const route = routes[req.url ?? ''];
    if (!route) {
      res.writeHead(404).end('not found');
      return;
    }
    if (route.redirect) {
      res.writeHead(302, { Location: route.redirect }).end();
      return;
    }
    const body = route.body ?? Buffer.alloc(0);
    res.writeHead(route.status ?? 200, { 'Content-Length': body.length, 'Content-Type': 'application/gzip' });
    if (route.cutAfter !== undefined) {
      res.write(body.subarray(0, route.cutAfter), () => setTimeout(() => req.socket.destroy(), 20));
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (p) => `http://127.0.0.1:${port}${p}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
