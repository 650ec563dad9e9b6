// torchvision.datasets.CIFAR10 for the official *binary* version (cifar-10-batches-bin/*.bin):
// records of 1 label byte + 3,072 pixel bytes (1,024 red, 1,024 green, 1,024 blue, row-major 32×32).
// The whole split is read with fs into one Buffer and turned into tensors in a handful of native
// calls (no per-image work in JS), so all 60,000 images load well under a second.
import * as fs from 'fs';
import * as path from 'path';
import { TorchError } from '../errors';
import { keep, tidy } from '../memory';
import { native } from '../native';
import { Tensor } from '../tensor';
import { download as downloadArchive, DownloadOptions } from './download';
import { optionKeys, readOptions } from '../utils/options';

export const CIFAR10_FOLDER = 'cifar-10-batches-bin';
export const CIFAR10_TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
export const CIFAR10_TEST_FILES = ['test_batch.bin'];
export const CIFAR10_META_FILE = 'batches.meta.txt';
export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
export const CIFAR10_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';

const IMAGE_BYTES = 3 * 32 * 32;
const RECORD_BYTES = 1 + IMAGE_BYTES;
const NUM_CLASSES = 10;
const HINT =
  ' (command line: add --download, or point --data or CIFAR10_ROOT at the cifar-10-batches-bin folder;' +
  ' API: `await data.CIFAR10.create({ root, download: true })`, or root / CIFAR10_ROOT)';

export interface CIFAR10Options {
  /** The cifar-10-batches-bin folder itself, or the folder that holds (or will hold) it. */
  root: string;
  /** The 50,000 training images (default) or the 10,000 test images. */
  train?: boolean;
  /** Fetch and extract the official tarball when the files are absent. Use CIFAR10.create() for that (it is async). */
  download?: boolean;
  /** Where the tensors live ('cpu', 'cuda', …); on CUDA the whole split is copied to the GPU once. */
  device?: string;
  /** Overrides for download (tests, mirrors); the URL also from $CIFAR10_URL (a mirror of the same file: the MD5 is checked). */
  url?: string;
  md5?: string;
  /** Progress output while downloading (default: true, on stderr). */
  progress?: boolean;
  /**
   * Records in each .bin file (default 10,000: every file of the binary version holds exactly that
   * many). Any other file size is an error; a smaller value reads a cut-down copy (tests, fixtures).
   */
  recordsPerFile?: number;
}

// The keys of CIFAR10Options, a list the compiler keeps complete, for readOptions at the entry.
const CIFAR10_KEYS = optionKeys<CIFAR10Options>({ root: true, train: true, download: true, device: true, url: true, md5: true, progress: true, recordsPerFile: true });

/** Every file of the official binary version holds exactly this many records. */
export const CIFAR10_RECORDS_PER_FILE = 10_000;

/**
 * Where the CIFAR-10 binary folder is expected, resolved against the package (never the working
 * directory): $CIFAR10_ROOT if set (taken as given, even if it does not exist: an explicit setting
 * that silently fell back elsewhere would hide a typo); otherwise ../shared/cifar10/cifar-10-batches-bin
 * beside the package (a shared copy), then data/cifar-10-batches-bin inside it: the first that exists,
 * else data/… (where a download goes).
 */
export function defaultCifar10Root(): string {
  if (process.env.CIFAR10_ROOT) return path.resolve(process.env.CIFAR10_ROOT);
  const root = packageRoot();
  const candidates = [path.join(root, '..', 'shared', 'cifar10', CIFAR10_FOLDER), path.join(root, 'data', CIFAR10_FOLDER)];
  return candidates.find((c) => fs.existsSync(c)) ?? candidates[1];
}

// lib/data/ (sources) and dist/data/ (compiled) both sit below the folder with package.json.
function packageRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  return path.join(__dirname, '..', '..');
}

/**
 * The folder that holds the .bin files for a `root` given as the folder itself or as its parent:
 * a folder named cifar-10-batches-bin, or one that already holds the batch files, is the folder itself.
 */
export function resolveCifar10Folder(root: string): string {
  const abs = path.resolve(root);
  if (path.basename(abs) === CIFAR10_FOLDER) return abs;
  const holdsFiles = [...CIFAR10_TRAIN_FILES, ...CIFAR10_TEST_FILES].some((f) => fs.existsSync(path.join(abs, f)));
  return holdsFiles ? abs : path.join(abs, CIFAR10_FOLDER);
}

export function cifar10FilesPresent(folder: string): boolean {
  return [...CIFAR10_TRAIN_FILES, ...CIFAR10_TEST_FILES, CIFAR10_META_FILE].every((f) => fs.existsSync(path.join(folder, f)));
}

/** The class names of batches.meta.txt, one a line in label order (blank lines ignored). */
export function readCifar10Classes(folder: string): string[] {
  const file = path.join(folder, CIFAR10_META_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TorchError(code === 'ENOENT' ? `CIFAR10: missing file ${file}${HINT}` : `CIFAR10: cannot read ${file}: ${code ?? (e as Error).message}`);
  }
  const classes = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  if (classes.length !== NUM_CLASSES) {
    throw new TorchError(`CIFAR10: ${file} lists ${classes.length} class names, expected ${NUM_CLASSES}`);
  }
  return classes;
}

function cannotRead(file: string, e: unknown): TorchError {
  const code = (e as NodeJS.ErrnoException).code;
  return new TorchError(code === 'ENOENT' ? `CIFAR10: missing file ${file}${HINT}` : `CIFAR10: cannot read ${file}: ${code ?? (e as Error).message}`);
}

/**
 * Reads the record files into one Buffer of N × 3,073 bytes, checking each file's size (exactly
 * `recordsPerFile` records: a file one record short or long is damaged, not a smaller data set) and
 * labels. Exported for the benchmark and tests; most code wants `new CIFAR10(...)`.
 */
export function readCifar10Records(folder: string, files: string[], recordsPerFile = CIFAR10_RECORDS_PER_FILE): { buffer: Buffer; count: number } {
  const expected = recordsPerFile * RECORD_BYTES;
  const sizes = files.map((f) => {
    const file = path.join(folder, f);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch (e) {
      throw cannotRead(file, e);
    }
    if (!stat.isFile()) throw new TorchError(`CIFAR10: ${file} is ${stat.isDirectory() ? 'a directory' : 'not a regular file'}, expected a file of ${expected} bytes`);
    const size = stat.size;
    if (size === 0) throw new TorchError(`CIFAR10: ${file} is empty, expected ${expected} bytes`);
    if (size !== expected) {
      const records = size % RECORD_BYTES === 0 ? `${size / RECORD_BYTES} records` : `not a whole number of ${RECORD_BYTES}-byte records`;
      throw new TorchError(
        `CIFAR10: ${file} has ${size} bytes (${records}), expected ${expected} (${recordsPerFile} records of 1 label + 3,072 pixels): truncated, padded or not the binary version`,
      );
    }
    return size;
  });
  const total = sizes.reduce((a, b) => a + b, 0);
  // One allocation, filled in place: no Buffer.concat copy of 180 MB.
  const buffer = Buffer.allocUnsafe(total);
  let offset = 0;
  files.forEach((f, i) => {
    const file = path.join(folder, f);
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (e) {
      throw cannotRead(file, e);
    }
    try {
      let done = 0;
      while (done < sizes[i]) {
        const n = fs.readSync(fd, buffer, offset + done, sizes[i] - done, done);
        if (n === 0) throw new TorchError(`CIFAR10: ${file} shrank while being read`);
        done += n;
      }
    } finally {
      fs.closeSync(fd);
    }
    // Labels are checked here, where the file is known, rather than later on the tensor.
    for (let r = 0; r < sizes[i]; r += RECORD_BYTES) {
      const label = buffer[offset + r];
      if (label >= NUM_CLASSES) {
        throw new TorchError(`CIFAR10: ${file} record ${r / RECORD_BYTES} has label ${label}, expected 0..${NUM_CLASSES - 1}`);
      }
    }
    offset += sizes[i];
  });
  return { buffer, count: total / RECORD_BYTES };
}

/** Turns N records into data uint8 [N, 3, 32, 32] and targets int64 [N] on `device`. */
export function cifar10Tensors(buffer: Buffer, count: number, device?: string): { data: Tensor; targets: Tensor } {
  return tidy(() => {
    const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
    // Native: reads the Buffer in place and copies the pixels once (a tensor() of the records, then
    // narrow().contiguous(), would copy the 180 MB twice: ≈100 ms more here).
    const [labels, pixels] = native.splitRecords(bytes, count, RECORD_BYTES);
    let data = pixels.view([count, 3, 32, 32]);
    let targets = labels;
    if (device && device !== 'cpu') {
      data = data.to(device);
      targets = targets.to(device);
    }
    return { data, targets };
  });
}

/**
 * The CIFAR-10 data set, as torchvision.datasets.CIFAR10 but resident in tensors:
 * `data` uint8 [N, 3, 32, 32] (channels first, unlike torchvision's HWC numpy array) and `targets`
 * int64 [N]. The dataset owns both tensors (they survive tidy()); call dispose() to free them.
 *
 * The constructor reads synchronously and cannot download; `await CIFAR10.create({..., download: true})`
 * fetches the archive first when the files are absent.
 */
export class CIFAR10 {
  readonly folder: string;
  readonly train: boolean;
  readonly classes: string[];
  readonly data: Tensor;
  readonly targets: Tensor;

  constructor(options: CIFAR10Options) {
    options = readOptions('CIFAR10', options, CIFAR10_KEYS);
    if (!options || typeof options.root !== 'string') throw new TorchError('CIFAR10: options.root (a folder) is required');
    const perFile = options.recordsPerFile ?? CIFAR10_RECORDS_PER_FILE;
    if (!Number.isInteger(perFile) || perFile < 1) throw new TorchError(`CIFAR10: recordsPerFile must be a positive integer, got ${String(perFile)}`);
    this.folder = resolveCifar10Folder(options.root);
    this.train = options.train ?? true;
    if (options.download && !cifar10FilesPresent(this.folder)) {
      throw new TorchError(
        `CIFAR10: the files are absent from ${this.folder} and downloading is asynchronous: use \`await data.CIFAR10.create({ ..., download: true })\``,
      );
    }
    this.classes = readCifar10Classes(this.folder);
    const { buffer, count } = readCifar10Records(this.folder, this.train ? CIFAR10_TRAIN_FILES : CIFAR10_TEST_FILES, perFile);
    const { data, targets } = cifar10Tensors(buffer, count, options.device);
    this.data = keep(data);
    this.targets = keep(targets);
  }

  /** Downloads (if asked and needed), then loads. */
  static async create(options: CIFAR10Options): Promise<CIFAR10> {
    options = readOptions('CIFAR10.create', options, CIFAR10_KEYS);
    const folder = resolveCifar10Folder(options.root);
    if (options.download && !cifar10FilesPresent(folder)) {
      const dl: DownloadOptions = { url: options.url ?? (process.env.CIFAR10_URL || CIFAR10_URL), md5: options.md5 ?? CIFAR10_MD5, progress: options.progress };
      await downloadArchive(folder, dl);
    }
    return new CIFAR10({ ...options, root: folder, download: false });
  }

  get length(): number {
    return this.targets.shape[0];
  }

  /** As dataset[i]: the uint8 image [3, 32, 32] (a new tensor the caller owns) and its label. */
  get(index: number): { image: Tensor; label: number } {
    const n = this.length;
    const i = index < 0 ? index + n : index;
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new TorchError(`CIFAR10.get: index ${index} out of range for ${n} images`);
    return tidy(() => {
      const label = this.targets.select(0, i).item() as number;
      return { image: this.data.select(0, i).clone(), label };
    });
  }

  dispose(): void {
    this.data.dispose();
    this.targets.dispose();
  }
}
