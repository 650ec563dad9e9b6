// Whole-file writes that readers never see half done: a temporary file in the same folder, synced,
// then renamed over the target, and the folder synced so that the rename survives a power loss. The one
// implementation behind torch.save here, the checkpoints' log, report files and toPng.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** Our temporary files: `.<name>.<pid>.<12 hex>.tmp` (removeStaleTemps() recognises them by this shape). */
export const TEMP_FILE = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/;

function tempPath(file: string): { dir: string; tmp: string } {
  const dir = path.dirname(path.resolve(file));
  return { dir, tmp: path.join(dir, `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`) };
}

/** Makes a rename durable. Directories cannot be opened for fsync on Windows: best effort. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    /* best effort */
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Runs `write(fd)` on a fresh temporary file beside `file`, then syncs it and renames it over `file`.
 * On any error the temporary file is removed, `file` is left as it was, and the error is rethrown.
 */
export function atomicWrite(file: string, write: (fd: number) => void): void {
  const { dir, tmp } = tempPath(file);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx');
    write(fd);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(dir);
}

/** atomicWrite() with the writes, fsync and rename on the libuv pool: the event loop stays free for the I/O. */
export async function atomicWriteAsync(file: string, write: (fh: fs.promises.FileHandle) => Promise<void>): Promise<void> {
  const { dir, tmp } = tempPath(file);
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(tmp, 'wx');
    await write(fh);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await fs.promises.rename(tmp, file);
  } catch (e) {
    if (fh !== undefined) await fh.close();
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
  fsyncDir(dir);
}

/** Writes `data` to `file` atomically, making the folder first when it is missing. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  atomicWrite(file, (fd) => fs.writeFileSync(fd, data));
}

/** writeFileAtomic() on the libuv pool. */
export async function writeFileAtomicAsync(file: string, data: string | Uint8Array): Promise<void> {
  await fs.promises.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await atomicWriteAsync(file, (fh) => fh.writeFile(data));
}
