// PyTorch's repr of a tensor (torch/_tensor_str.py): `tensor([[ 0.1234, -1.2000], …])`, by default 4
// decimals, scientific notation when the magnitudes call for it, integers of a float tensor with a trailing
// '.', tensors over 1000 elements summarised to their first and last 3 items per dimension with '...',
// lines wrapped at 80 columns, and the dtype, device, grad_fn and requires_grad suffixes when not the
// default. The numbers are PRINT_OPTS's, as Python's are torch._tensor_str.PRINT_OPTS's: set by
// torch.setPrintoptions (lib/print_options.ts, which checks them), read here at each repr.
import type { Tensor } from './tensor_types';
import { cat } from './generated/torch';
import { libtorchAtLeast } from './utils/version';
import { isFloatingDtype } from './dtype';
import { native } from './native';

/** torch._tensor_str.PRINT_OPTS: sciMode null lets each repr choose (the magnitudes decide). */
export interface PrintOptions {
  precision: number;
  threshold: number;
  edgeitems: number;
  linewidth: number;
  sciMode: boolean | null;
}

/** PyTorch's profiles; 'default' is PRINT_OPTS's initial state (sciMode null). */
export const PRINT_PROFILES = {
  default: { precision: 4, threshold: 1000, edgeitems: 3, linewidth: 80 },
  short: { precision: 2, threshold: 1000, edgeitems: 2, linewidth: 80 },
  full: { precision: 4, threshold: Infinity, edgeitems: 3, linewidth: 80 },
} as const;

/** The options in force, changed in place by torch.setPrintoptions only. */
export const PRINT_OPTS: PrintOptions = { ...PRINT_PROFILES.default, sciMode: null };

/**
 * _tensor_str's has_default_dtype: the default dtype (torch.get_default_dtype(), read at each repr), int64 and
 * bool print without `dtype=`. (Python's list also holds the complex default; complex tensors print no values
 * here, toTypedArray refusing them, so it has nothing to match.)
 */
function hasDefaultDtype(dtype: string, defaultDtype: string): boolean {
  return dtype === defaultDtype || dtype === 'int64' || dtype === 'bool';
}

/** The double's odd mantissa and binary exponent (x = m · 2^e), for deciding exact decimal ties. */
function oddMantissa(x: number): { m: bigint; e: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  let m = bits & ((1n << 52n) - 1n);
  let e = biased === 0 ? -1074 : biased - 1075;
  if (biased !== 0) m |= 1n << 52n;
  while (m !== 0n && (m & 1n) === 0n) [m, e] = [m >> 1n, e + 1];
  return { m, e };
}

/** Whether x lies exactly halfway between two decimals with `q` digits after the point. */
function isTie(x: number, q: number): boolean {
  if (x === 0 || !Number.isFinite(x)) return false;
  const { m, e } = oddMantissa(x);
  if (e + 1 + q !== 0) return false;
  return q >= 0 || m % 5n ** BigInt(-q) === 0n;
}

/** Rounds a tie to even, as Python's format does (JavaScript rounds ties away from zero). */
function halfEven(rounded: string, exact: string): string {
  const [mantissa, exponent] = exact.split('e');
  const truncated = mantissa.slice(0, -1);
  const body = truncated.endsWith('.') ? truncated.slice(0, -1) : truncated;
  if (Number(body[body.length - 1]) % 2 !== 0) return rounded;
  return exponent === undefined ? body : `${body}e${exponent}`;
}

/** Python's f'{x:.{p}f}'. */
export function formatFixed(x: number, p: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  if (Math.abs(x) >= 1e21) return BigInt(Math.round(x)).toString() + (p > 0 ? '.' + '0'.repeat(p) : '');
  const rounded = x.toFixed(p);
  const out = isTie(x, p) ? halfEven(rounded, x.toFixed(p + 1)) : rounded;
  return Object.is(x, -0) ? '-' + out : out;
}

/** Python's f'{x:.{p}e}': at least two exponent digits. */
export function formatExp(x: number, p: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  const exp10 = x === 0 ? 0 : Math.floor(Math.log10(Math.abs(x)));
  let s = x.toExponential(p);
  const exponent = Number(s.split('e')[1]);
  if (isTie(x, p - exponent) || (exponent !== exp10 && isTie(x, p - exp10))) s = halfEven(s, x.toExponential(p + 1));
  const [mantissa, e] = s.split('e');
  const n = Number(e);
  return `${Object.is(x, -0) ? '-' : ''}${mantissa}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
}

type Value = number | bigint | boolean;

// PyTorch 2.5 and later (pull request #126859, May 2024) decide the notation first, a forced sciMode
// included, and size the columns for it; 1.13 up to 2.4 sized them for the notation the magnitudes chose.
// (Checked against Python torch 1.13 and 2.14.1; the 2.4/2.5 boundary is from the pull request's date.)
const FORCED_NOTATION_SIZES_COLUMNS = libtorchAtLeast(2, 5);

/** torch._tensor_str._Formatter: one width and one notation for all the values shown. */
class Formatter {
  private intMode = true;
  private sciMode = false;
  private maxWidth = 1;

  constructor(private readonly floating: boolean, values: Value[]) {
    if (!floating) {
      for (const v of values) this.maxWidth = Math.max(this.maxWidth, plain(v).length);
      return;
    }
    const finite = (values as number[]).filter((v) => Number.isFinite(v) && v !== 0);
    // As in PyTorch, no nonzero finite value means fixed notation whatever sciMode says.
    if (finite.length === 0) return;
    // A loop, not Math.min(...values): profile 'full' shows more values than a call takes arguments.
    let min = Infinity, max = 0;
    for (const v of finite) {
      const a = Math.abs(v);
      if (a < min) min = a;
      if (a > max) max = a;
    }
    this.intMode = finite.every((v) => v === Math.ceil(v));
    const wide = max / min > 1000 || max > 1e8;
    const chosen = this.intMode ? wide : wide || min < 1e-4;
    this.sciMode = PRINT_OPTS.sciMode ?? chosen;
    // Before PyTorch 2.5 the columns keep the width the magnitudes chose; a forced notation only changes how
    // values are written.
    const sizedForSci = FORCED_NOTATION_SIZES_COLUMNS ? this.sciMode : chosen;
    const p = PRINT_OPTS.precision;
    for (const v of finite) {
      const width = sizedForSci ? formatExp(v, p).length : this.intMode ? formatFixed(v, 0).length + 1 : formatFixed(v, p).length;
      this.maxWidth = Math.max(this.maxWidth, width);
    }
  }

  width(): number {
    return this.maxWidth;
  }

  format(v: Value): string {
    let s: string;
    if (!this.floating) s = plain(v);
    else if (this.sciMode) s = formatExp(v as number, PRINT_OPTS.precision);
    else if (this.intMode) s = formatFixed(v as number, 0) + (Number.isFinite(v as number) ? '.' : '');
    else s = formatFixed(v as number, PRINT_OPTS.precision);
    return s.padStart(this.maxWidth);
  }
}

function plain(v: Value): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return v.toString();
}

/** What is shown: the first and last edgeitems of each dimension longer than twice that, when summarising. */
interface Shown {
  values: Value[];
  shape: number[];
  cut: boolean[];   // per dimension: '...' after the first edgeitems
}

function shownData(t: Tensor, summarize: boolean): Shown {
  const edge = PRINT_OPTS.edgeitems;
  let data = t.device === 'cpu' ? t : t.cpu();
  const cut = t.shape.map((n) => summarize && n > 2 * edge);
  cut.forEach((c, d) => {
    if (!c) return;
    const n = data.shape[d];
    data = cat([data.narrow(d, 0, edge), data.narrow(d, n - edge, edge)], d);
  });
  const typed = data.toTypedArray();
  const values: Value[] = t.dtype === 'bool' ? Array.from(typed as Uint8Array, (b) => b !== 0)
    : typed instanceof BigInt64Array ? Array.from(typed) : Array.from(typed as Float32Array);
  return { values, shape: data.shape, cut };
}

function vectorStr(values: string[], cut: boolean, indent: number, width: number): string {
  const { linewidth, edgeitems } = PRINT_OPTS;
  const perLine = Math.max(1, Math.floor((linewidth - indent) / (width + 2)));
  const items = cut ? [...values.slice(0, edgeitems), ' ...', ...values.slice(edgeitems)] : values;
  const lines: string[] = [];
  for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
  return '[' + lines.join(',\n' + ' '.repeat(indent + 1)) + ']';
}

function nestedStr(shown: Shown, f: Formatter, dim: number, offset: number, indent: number): string {
  const { shape, cut } = shown;
  const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  if (dim === shape.length - 1) {
    const row = shown.values.slice(offset, offset + shape[dim]).map((v) => f.format(v));
    return vectorStr(row, cut[dim], indent, f.width());
  }
  const slices: string[] = [];
  for (let i = 0; i < shape[dim]; i++) {
    if (cut[dim] && i === PRINT_OPTS.edgeitems) slices.push('...');
    slices.push(nestedStr(shown, f, dim + 1, offset + i * stride, indent + 1));
  }
  const rest = shape.length - dim;
  return '[' + slices.join(',' + '\n'.repeat(rest - 1) + ' '.repeat(indent + 1)) + ']';
}

function tensorStr(t: Tensor, indent: number): string {
  if (t.numel() === 0) return '[]';
  const shown = shownData(t, t.numel() > PRINT_OPTS.threshold);
  const floating = isFloatingDtype(t.dtype);
  const f = new Formatter(floating, shown.values);
  if (t.ndim === 0) return f.format(shown.values[0]);
  return nestedStr(shown, f, 0, 0, indent);
}

/** torch._tensor_str._add_suffixes: on the same line while it fits in linewidth columns. */
function addSuffixes(body: string, suffixes: string[], indent: number): string {
  const parts = [body];
  let lastLineLength = body.length - body.lastIndexOf('\n') + 1;
  for (const suffix of suffixes) {
    if (lastLineLength + suffix.length + 2 > PRINT_OPTS.linewidth) {
      parts.push(',\n' + ' '.repeat(indent) + suffix);
      lastLineLength = indent + suffix.length;
    } else {
      parts.push(', ' + suffix);
      lastLineLength += suffix.length + 2;
    }
  }
  return parts.join('') + ')';
}

/** Python's repr(tensor), as torch 1.13 and 2.x print it with the same print options. */
export function tensorRepr(t: Tensor): string {
  if (t.isDisposed) return 'tensor(<disposed>)';
  const prefix = 'tensor(';
  const suffixes: string[] = [];
  if (t.device !== 'cpu') suffixes.push(`device='${t.device}'`);
  const defaultDtype = native.getDefaultDtype();
  let body: string;
  if (t.numel() === 0) {
    if (t.ndim !== 1) suffixes.push(`size=(${t.shape.join(', ')})`);
    if (t.dtype !== defaultDtype) suffixes.push(`dtype=torch.${t.dtype}`);
    body = '[]';
  } else {
    if (!hasDefaultDtype(t.dtype, defaultDtype)) suffixes.push(`dtype=torch.${t.dtype}`);
    body = tensorStr(t, prefix.length);
  }
  const gradFn = t.gradFnName();
  if (gradFn !== null) suffixes.push(`grad_fn=<${gradFn}>`);
  else if (t.requiresGrad) suffixes.push('requires_grad=True');
  return addSuffixes(prefix + body, suffixes, prefix.length);
}
