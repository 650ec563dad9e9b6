// torch.utils.tensorboard.SummaryWriter with PyTorch's names, defaults and file layout: event files
// under logDir (default runs/<Mon DD_HH-MM-SS>_<host><comment>), addScalars' series in sub-folders.
import { TorchError } from '../../errors';
import * as os from 'os';
import * as path from 'path';
import { tidy } from '../../memory';
import { Tensor, isTensor } from '../../tensor';
import { EventFileWriter, encodeEvent } from './record';
import * as summary from './summary';
import { optionKeys, readOptions } from '../options';
import { isOptions } from '../../kwargs';
import { describeValue } from '../validate';

export interface SummaryWriterOptions {
  /** The folder, when the options come first (Python's SummaryWriter(log_dir=...)). */
  logDir?: string;
  /** Appended to the default log folder's name (ignored when logDir is given). */
  comment?: string;
  /** Events queued before a write to disk (PyTorch's max_queue). */
  maxQueue?: number;
  /** Seconds between writes of queued events (PyTorch's flush_secs). */
  flushSecs?: number;
  filenameSuffix?: string;
}

// The keys of SummaryWriterOptions, a list the compiler keeps complete, for readOptions at the entry.
const SUMMARY_WRITER = optionKeys<SummaryWriterOptions>({ logDir: true, comment: true, maxQueue: true, flushSecs: true, filenameSuffix: true });

export interface ScalarOptions {
  /** A tensor summary tagged for the scalars plugin instead of simple_value (PyTorch's new_style). */
  newStyle?: boolean;
  /** With newStyle, a float64 tensor. */
  doublePrecision?: boolean;
}

// The keys of ScalarOptions, a list the compiler keeps complete, for readOptions at the entry.
const ADD_SCALAR = optionKeys<ScalarOptions>({ newStyle: true, doublePrecision: true });

export type ImageFormat = 'CHW' | 'HWC' | 'HW' | 'NCHW' | 'NHWC';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** datetime.now().strftime('%b%d_%H-%M-%S'), in local time as Python's. */
function defaultRunName(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[now.getMonth()]}${p(now.getDate())}_${p(now.getHours())}-${p(now.getMinutes())}-${p(now.getSeconds())}`;
}

function toNumber(v: number | Tensor, what: string): number {
  if (typeof v === 'number') return v;
  if (isTensor(v)) {
    if (v.shape.reduce((a, b) => a * b, 1) !== 1) throw new TorchError(`${what}: a scalar needs one element, got shape [${v.shape}]`);
    return Number(v.item());
  }
  throw new TorchError(`${what}: expected a number or a one-element tensor, got ${typeof v}`);
}

function toFloat64(values: Tensor | ArrayLike<number>): Float64Array {
  if (isTensor(values)) return tidy(() => values.detach().cpu().to('float64').contiguous().toTypedArray() as Float64Array);
  return Float64Array.from(values);
}

/** summary.image's conversion: to HWC (grey and HW to RGB, a batch to a grid of 8 columns), ×255 unless uint8, clipped, truncated. */
export function imageToHWC(img: Tensor, dataformats: ImageFormat): { pixels: Uint8Array; height: number; width: number; channels: 1 | 3 | 4 } {
  const fmt = dataformats.toUpperCase();
  if (img.shape.length !== fmt.length) {
    throw new TorchError(`addImage: a tensor of shape [${img.shape}] does not match dataformats '${dataformats}'`);
  }
  const scale = img.dtype === 'uint8' ? 1 : 255;
  const src = tidy(() => img.detach().cpu().to('float32').contiguous().toTypedArray() as Float32Array);
  const shape = img.shape;
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const dim = (c: string) => fmt.indexOf(c);
  const size = (c: string) => (dim(c) < 0 ? 1 : shape[dim(c)]);
  const stride = (c: string) => (dim(c) < 0 ? 0 : strides[dim(c)]);
  const [n, c, h, w] = [size('N'), size('C'), size('H'), size('W')];
  if (fmt.length === 4 && c !== 1 && c !== 3) throw new TorchError(`addImages: a batch needs 1 or 3 channels, got ${c}`);
  if (fmt.length === 3 && c !== 1 && c !== 3 && c !== 4) throw new TorchError(`addImage: an image needs 1, 3 or 4 channels, got ${c}`);
  const channels: 1 | 3 | 4 = c === 4 ? 4 : 3; // grey is repeated into RGB, as PyTorch does
  const cols = Math.min(n, 8);
  const rows = Math.ceil(n / cols);
  const height = h * rows;
  const width = w * cols;
  const pixels = new Uint8Array(height * width * channels); // a grid's empty cells stay black
  for (let i = 0; i < n; i++) {
    const oy = Math.floor(i / cols) * h;
    const ox = (i % cols) * w;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let k = 0; k < channels; k++) {
          const v = src[i * stride('N') + (c === 1 ? 0 : k) * stride('C') + y * stride('H') + x * stride('W')];
          // float32 arithmetic as numpy's, then clip(0, 255) and astype(uint8) (truncation)
          const scaled = Math.fround(v * scale);
          pixels[((oy + y) * width + ox + x) * channels + k] = Math.trunc(Math.min(255, Math.max(0, scaled)));
        }
      }
    }
  }
  return { pixels, height, width, channels };
}

export class SummaryWriter {
  readonly logDir: string;
  private readonly options: Required<Omit<SummaryWriterOptions, 'comment' | 'logDir'>>;
  private fileWriter: EventFileWriter | null = null;
  /** Writers by folder: the main one and one per addScalars series. */
  private allWriters = new Map<string, EventFileWriter>();

  constructor(logDir?: string | SummaryWriterOptions, options: SummaryWriterOptions = {}) {
    if (isOptions(logDir)) [logDir, options] = [undefined, { ...logDir }];
    options = readOptions('SummaryWriter', options, SUMMARY_WRITER);
    if (options.logDir !== undefined && logDir !== undefined) throw new TorchError("SummaryWriter: got multiple values for 'logDir'");
    logDir ??= options.logDir;
    if (logDir !== undefined && typeof logDir !== 'string') {
      throw new TorchError(`SummaryWriter: logDir must be a string, not ${describeValue(logDir)}`);
    }
    this.logDir = logDir ?? path.join('runs', `${defaultRunName()}_${os.hostname()}${options.comment ?? ''}`);
    this.options = { maxQueue: options.maxQueue ?? 10, flushSecs: options.flushSecs ?? 120, filenameSuffix: options.filenameSuffix ?? '' };
    this.getFileWriter();
  }

  /** The main event file's writer; made again after close(), as PyTorch's _get_file_writer. */
  private getFileWriter(): EventFileWriter {
    if (!this.fileWriter) {
      this.fileWriter = this.writerFor(this.logDir);
    }
    return this.fileWriter;
  }

  private writerFor(dir: string): EventFileWriter {
    let w = this.allWriters.get(dir);
    if (!w) {
      w = new EventFileWriter(dir, this.options.maxQueue, this.options.flushSecs, this.options.filenameSuffix);
      this.allWriters.set(dir, w);
    }
    return w;
  }

  private add(writer: EventFileWriter, summaryBytes: Uint8Array, globalStep?: number, walltime?: number): void {
    writer.addEvent(encodeEvent({ wallTime: walltime ?? Date.now() / 1000, step: globalStep, summary: summaryBytes }));
  }

  getLogdir(): string {
    return this.logDir;
  }

  addScalar(tag: string, scalarValue: number | Tensor, globalStep?: number, walltime?: number, options: ScalarOptions = {}): void {
    options = readOptions('SummaryWriter.addScalar', options, ADD_SCALAR);
    const v = toNumber(scalarValue, `addScalar('${tag}')`);
    this.add(this.getFileWriter(), summary.scalar(tag, v, options.newStyle, options.doublePrecision), globalStep, walltime);
  }

  /** Each key becomes a run `<logDir>/<mainTag with / as _>_<key>` holding the tag mainTag, as in PyTorch. */
  addScalars(mainTag: string, tagScalarDict: Record<string, number | Tensor>, globalStep?: number, walltime?: number): void {
    const main = this.getFileWriter();
    for (const [tag, value] of Object.entries(tagScalarDict)) {
      const dir = `${main.logDir}/${mainTag.replace(/\//g, '_')}_${tag}`;
      this.add(this.writerFor(dir), summary.scalar(mainTag, toNumber(value, `addScalars('${mainTag}')`)), globalStep, walltime);
    }
  }

  /** bins: 'tensorflow' (PyTorch's default: exponential buckets), a bin count, or explicit edges. */
  addHistogram(
    tag: string,
    values: Tensor | ArrayLike<number>,
    globalStep?: number,
    bins: 'tensorflow' | number | number[] = 'tensorflow',
    walltime?: number,
    maxBins?: number,
  ): void {
    const edges = bins === 'tensorflow' ? summary.TENSORFLOW_BINS : bins;
    this.add(this.getFileWriter(), summary.histogram(tag, toFloat64(values), edges, maxBins), globalStep, walltime);
  }

  /** dataformats 'CHW' (default), 'HWC' or 'HW'; floats in [0, 1], uint8 in [0, 255]. */
  addImage(tag: string, imgTensor: Tensor, globalStep?: number, walltime?: number, dataformats: ImageFormat = 'CHW'): void {
    const { pixels, height, width, channels } = imageToHWC(imgTensor, dataformats);
    this.add(this.getFileWriter(), summary.image(tag, pixels, height, width, channels), globalStep, walltime);
  }

  /** A batch as one grid image of up to 8 columns; dataformats 'NCHW' (default) or 'NHWC'. */
  addImages(tag: string, imgTensor: Tensor, globalStep?: number, walltime?: number, dataformats: ImageFormat = 'NCHW'): void {
    this.addImage(tag, imgTensor, globalStep, walltime, dataformats);
  }

  addText(tag: string, textString: string, globalStep?: number, walltime?: number): void {
    this.add(this.getFileWriter(), summary.text(tag, textString), globalStep, walltime);
  }

  /** Writes every queued event to disk. */
  flush(): void {
    for (const w of this.allWriters.values()) w.flush();
  }

  /** Flushes and closes every event file; a later add opens a new file, as in PyTorch. */
  close(): void {
    for (const w of this.allWriters.values()) w.close();
    this.allWriters.clear();
    this.fileWriter = null;
  }
}
