// Summary protocol buffers as torch.utils.tensorboard.summary builds them (scalar, histogram, image,
// text), encoded by hand; field numbers from tensorboard/compat/proto/{summary,tensor,event}.proto.
import { TorchError } from '../../errors';
import { encodePng } from '../png';
import { ProtoWriter } from './proto';

const DT_FLOAT = 1;
const DT_DOUBLE = 2;
const DT_STRING = 7;

function pluginMetadata(pluginName: string, content?: Uint8Array): Uint8Array {
  const pluginData = new ProtoWriter().string(1, pluginName).bytes(2, content).finish();
  return new ProtoWriter().message(1, pluginData, true).finish(); // SummaryMetadata.plugin_data
}

/** Summary.Value fields in field-number order: tag 1, simple_value 2, image 4, histo 5, tensor 8, metadata 9. */
interface ValueFields {
  tag: string;
  simpleValue?: number;
  image?: Uint8Array;
  histo?: Uint8Array;
  tensor?: Uint8Array;
  metadata?: Uint8Array;
}

function summaryOf(v: ValueFields): Uint8Array {
  const w = new ProtoWriter().string(1, v.tag);
  // Summary.Value's payload is a oneof: a simple_value of 0 is still written.
  if (v.simpleValue !== undefined) w.floatAlways(2, v.simpleValue);
  w.message(4, v.image, true).message(5, v.histo, true).message(8, v.tensor, true).message(9, v.metadata);
  const value = w.finish();
  return new ProtoWriter().message(1, value, true).finish();
}

/** summary.scalar(name, scalar, new_style, double_precision). */
export function scalar(tag: string, value: number, newStyle = false, doublePrecision = false): Uint8Array {
  if (typeof value !== 'number') throw new TorchError(`addScalar: '${tag}' needs a number, got ${typeof value}`);
  if (!newStyle) return summaryOf({ tag, simpleValue: value });
  const tensor = doublePrecision
    ? new ProtoWriter().int(1, DT_DOUBLE).packedDouble(6, [value]).finish()
    : new ProtoWriter().int(1, DT_FLOAT).packedFloat(5, [value]).finish();
  return summaryOf({ tag, tensor, metadata: pluginMetadata('scalars') });
}

/** The bins of PyTorch's bins='tensorflow': ±1e-12 growing by 1.1 up to 1e20, and 0 (generate_testdata.py). */
export const TENSORFLOW_BINS: readonly number[] = (() => {
  const pos: number[] = [];
  for (let v = 1e-12; v < 1e20; v *= 1.1) pos.push(v);
  return [...pos.map((v) => -v).reverse(), 0, ...pos];
})();

/** numpy.histogram with explicit edges: [e_i, e_i+1) per bin, the last bin closed; values outside are dropped. */
function countBins(values: Float64Array, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length - 1).fill(0);
  const last = edges[edges.length - 1];
  for (const v of values) {
    if (!(v >= edges[0] && v <= last)) continue;
    let lo = 0;
    let hi = edges.length - 1; // largest i with edges[i] <= v, capped at the last bin
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (edges[mid] <= v) lo = mid;
      else hi = mid;
    }
    counts[lo]++;
  }
  return counts;
}

/** numpy.histogram(values, bins=n): n equal-width bins over [min, max] (numpy's edge formula). */
function uniformEdges(min: number, max: number, n: number): number[] {
  if (min === max) {
    min -= 0.5;
    max += 0.5;
  }
  // numpy.linspace(first, last, n + 1): step = delta / n, edges[i] = first + i * step, last pinned.
  const step = (max - min) / n;
  const edges = Array.from({ length: n + 1 }, (_, i) => min + i * step);
  edges[n] = max;
  return edges;
}

/** summary.make_histogram: counts over the edges, trimmed to the support plus one empty bin on the left. */
export function histogram(tag: string, values: Float64Array, bins: readonly number[] | number, maxBins?: number): Uint8Array {
  if (values.length === 0) throw new TorchError(`addHistogram: '${tag}' has no element`);
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sumSquares = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sumSquares += v * v;
  }
  let limits = typeof bins === 'number' ? uniformEdges(min, max, bins) : [...bins];
  let counts = countBins(values, limits);
  if (maxBins !== undefined && counts.length > maxBins) {
    const sub = Math.floor(counts.length / maxBins);
    const merged: number[] = [];
    for (let i = 0; i < counts.length; i += sub) merged.push(counts.slice(i, i + sub).reduce((a, b) => a + b, 0));
    const newLimits = [];
    for (let i = 0; i < limits.length - 1; i += sub) newLimits.push(limits[i]);
    newLimits.push(limits[limits.length - 1]);
    counts = merged;
    limits = newLimits;
  }
  const start = counts.findIndex((c) => c > 0);
  const end = counts.length - 1 - [...counts].reverse().findIndex((c) => c > 0);
  if (start < 0) throw new TorchError(`addHistogram: '${tag}': no value lies within the bins [${limits[0]}, ${limits[limits.length - 1]}]`);
  const outCounts = start > 0 ? counts.slice(start - 1, end + 1) : [0, ...counts.slice(0, end + 1)];
  const outLimits = limits.slice(start, end + 2);
  const histo = new ProtoWriter()
    .double(1, min)
    .double(2, max)
    .double(3, values.length)
    .double(4, sum)
    .double(5, sumSquares)
    .packedDouble(6, outLimits)
    .packedDouble(7, outCounts)
    .finish();
  return summaryOf({ tag, histo });
}

/** summary.make_image: an HWC uint8 image as a PNG in Summary.Image (height 1, width 2, colorspace 3, data 4). */
export function image(tag: string, hwc: Uint8Array, height: number, width: number, channels: 1 | 3 | 4): Uint8Array {
  const png = encodePng(hwc, width, height, channels);
  const img = new ProtoWriter().int(1, height).int(2, width).int(3, channels).bytes(4, png).finish();
  return summaryOf({ tag, image: img });
}

/** summary.text: a DT_STRING tensor of shape [1] tagged for the text plugin, under '<tag>/text_summary'. */
export function text(tag: string, value: string): Uint8Array {
  const dim = new ProtoWriter().int(1, 1).finish();
  const shape = new ProtoWriter().message(2, dim, true).finish();
  const tensor = new ProtoWriter()
    .int(1, DT_STRING)
    .message(2, shape, true)
    .repeatedBytes(8, [new TextEncoder().encode(value)])
    .finish();
  return summaryOf({ tag: `${tag}/text_summary`, tensor, metadata: pluginMetadata('text') });
}
