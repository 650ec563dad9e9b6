// A minimal reader of (ustar / GNU / pax) tar archives held in memory: enough for the CIFAR-10
// tarball, and strict about safety, since an archive from the network decides where files land.
// Only regular files and directories are accepted; links and device entries are refused, as is any
// path that is absolute or climbs out with '..'.
import * as path from 'path';
import { TorchError } from '../errors';

export interface TarEntry {
  /** The entry's path inside the archive, '/'-separated, without a leading './'. */
  name: string;
  type: 'file' | 'directory';
  /** The file's bytes (a view into the archive buffer; empty for directories). */
  data: Buffer;
}

const BLOCK = 512;

function cString(buf: Buffer, start: number, length: number): string {
  const field = buf.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString('utf8');
}

// Numeric fields are octal text, or base-256 (high bit of the first byte set) for large values.
function number(buf: Buffer, start: number, length: number, what: string, archive: string): number {
  const field = buf.subarray(start, start + length);
  if (field[0] & 0x80) {
    let value = field[0] & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i];
    return value;
  }
  const text = cString(buf, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TorchError(`${archive}: corrupt tar header (${what} field '${text}')`);
  return parseInt(text, 8);
}

function checksumOk(header: Buffer): boolean {
  const stored = parseInt(cString(header, 148, 8).trim() || 'NaN', 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
  return sum === stored;
}

// pax extended headers: records "<len> key=value\n"; only 'path' matters here.
function paxPath(data: Buffer): string | undefined {
  let offset = 0;
  let result: string | undefined;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    if (space < 0) break;
    const len = parseInt(data.subarray(offset, space).toString('utf8'), 10);
    if (!(len > 0)) break;
    const record = data.subarray(space + 1, offset + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0 && record.slice(0, eq) === 'path') result = record.slice(eq + 1);
    offset += len;
  }
  return result;
}

/**
 * Checks that an archive path stays inside the extraction folder and returns it normalised.
 * Refuses absolute paths (also Windows drive paths), '..' segments and NUL bytes.
 */
export function safeEntryPath(name: string, archive: string): string {
  const refuse = (why: string): never => {
    throw new TorchError(`${archive}: refusing tar entry '${name}': ${why}`);
  };
  if (name.includes('\0')) refuse('the name contains a NUL byte');
  if (name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name)) refuse('it is an absolute path');
  const parts = name.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) refuse("it contains '..' and would land outside the target folder");
  if (parts.length === 0) refuse('the name is empty');
  return parts.join('/');
}

/**
 * Lists the entries of an uncompressed tar archive. `archive` names the source in error messages.
 * Throws a TorchError for corrupt headers, truncated data, links, special files and unsafe paths.
 */
export function readTar(buf: Buffer, archive: string): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= buf.length) {
    const header = buf.subarray(offset, offset + BLOCK);
    // The archive ends with zero blocks (two by the standard; one is accepted).
    if (header.every((b) => b === 0)) return entries;
    if (!checksumOk(header)) throw new TorchError(`${archive}: corrupt tar header at byte ${offset} (bad checksum)`);
    const size = number(header, 124, 12, 'size', archive);
    const typeflag = String.fromCharCode(header[156] || 0x30);
    const dataStart = offset + BLOCK;
    if (dataStart + size > buf.length) {
      throw new TorchError(`${archive}: truncated tar archive (an entry needs ${size} bytes past byte ${dataStart})`);
    }
    const data = buf.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;

    let name = cString(header, 0, 100);
    // Only POSIX ustar ('ustar\0') has a name prefix at 345; old GNU tar ('ustar  ') keeps times there.
    const prefix = cString(header, 257, 6) === 'ustar' ? cString(header, 345, 155) : '';
    if (prefix) name = `${prefix}/${name}`;
    if (longName !== undefined) {
      name = longName;
      longName = undefined;
    }

    switch (typeflag) {
      case 'L': // GNU long name: the data is the next entry's name.
        longName = cString(data, 0, data.length);
        continue;
      case 'x': // pax header for the next entry.
        longName = paxPath(data) ?? longName;
        continue;
      case 'g': // pax global header: nothing this reader needs.
        continue;
      case '0':
      case '7': // contiguous file: a regular file for readers.
        entries.push({ name: safeEntryPath(name, archive), type: 'file', data });
        break;
      case '5':
        entries.push({ name: safeEntryPath(name, archive), type: 'directory', data: Buffer.alloc(0) });
        break;
      case '1':
      case '2': {
        const kind = typeflag === '1' ? 'hard link' : 'symbolic link';
        throw new TorchError(
          `${archive}: refusing tar entry '${name}': it is a ${kind} (to '${cString(header, 157, 100)}'); links could point outside the target folder`,
        );
      }
      default:
        throw new TorchError(`${archive}: refusing tar entry '${name}': unsupported entry type '${typeflag}'`);
    }
  }
  if (offset < buf.length || entries.length === 0) {
    throw new TorchError(`${archive}: truncated tar archive (no end-of-archive block)`);
  }
  return entries;
}

/** The absolute destination of a (safe) entry path below `root`, checked once more after resolution. */
export function entryDestination(root: string, name: string, archive: string): string {
  const dest = path.resolve(root, name);
  const rel = path.relative(root, dest);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new TorchError(`${archive}: refusing tar entry '${name}': it would land outside the target folder`);
  }
  return dest;
}
