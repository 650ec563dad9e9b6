// torch.set_printoptions and the options it sets (torch._tensor_str.PRINT_OPTS, kept in lib/tensor_str.ts
// where every repr reads them). Python's semantics: a profile first, then the options given over it; the
// others keep their values until changed, except sciMode, which every call sets (absent: null, the
// automatic choice), as PyTorch's does. What PyTorch would fail on later or ignore (a negative precision,
// an unknown profile) is a TorchError naming the option here.
import { TorchError } from './errors';
import { optionKeys, readOptions } from './utils/options';
import { checkInt, checkNumber, checkOneOf, describeValue } from './utils/validate';
import { PRINT_OPTS, PRINT_PROFILES, type PrintOptions } from './tensor_str';

export type { PrintOptions };
export type PrintProfile = keyof typeof PRINT_PROFILES;

export interface SetPrintOptions {
  /** Digits after the point (or of the mantissa in scientific notation); default 4, at most 99 here. */
  precision?: number;
  /** More elements than this are summarised with '...'; default 1000 (Infinity never summarises). */
  threshold?: number;
  /** Items shown at each end of a summarised dimension; default 3. */
  edgeitems?: number;
  /** Columns per line before wrapping; default 80. */
  linewidth?: number;
  /** 'default' (4, 1000, 3, 80), 'short' (precision 2, edgeitems 2) or 'full' (threshold Infinity), applied first. */
  profile?: PrintProfile;
  /** true or false forces scientific notation on or off; null (and absent) lets the values decide. */
  sciMode?: boolean | null;
}

const WHERE = 'torch.setPrintoptions';
const KEYS = optionKeys<SetPrintOptions>({ precision: true, threshold: true, edgeitems: true, linewidth: true, profile: true, sciMode: true });
// Python's format takes any precision; JavaScript's exact decimal formatting (toFixed) stops at 100 digits.
const MAX_PRECISION = 99;

/** Each option given, checked: a TorchError naming the first bad one. */
function checked(o: SetPrintOptions): SetPrintOptions {
  if (o.profile !== undefined) checkOneOf(o.profile, Object.keys(PRINT_PROFILES) as PrintProfile[], WHERE, 'profile');
  if (o.precision !== undefined && checkInt(o.precision, WHERE, 'precision', 0) > MAX_PRECISION) {
    throw new TorchError(`${WHERE}(): argument 'precision' must be at most ${MAX_PRECISION}, got ${o.precision}`);
  }
  if (o.threshold !== undefined && !(checkNumber(o.threshold, WHERE, 'threshold') >= 0)) {
    throw new TorchError(`${WHERE}(): argument 'threshold' must be at least 0, got ${o.threshold}`);
  }
  if (o.edgeitems !== undefined) checkInt(o.edgeitems, WHERE, 'edgeitems', 1);
  if (o.linewidth !== undefined) checkInt(o.linewidth, WHERE, 'linewidth', 0);
  if (o.sciMode !== undefined && o.sciMode !== null && typeof o.sciMode !== 'boolean') {
    throw new TorchError(`${WHERE}(): argument 'sciMode' must be a boolean or null, not ${describeValue(o.sciMode)}`);
  }
  return o;
}

/**
 * torch.set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
 * sci_mode=None): how String(x) and console.log(x) print tensors from now on, for every tensor. Nothing
 * is changed when an option is refused. setPrintoptions({ profile: 'default' }) restores the defaults.
 */
export function setPrintoptions(options: SetPrintOptions = {}): void {
  const o = checked(readOptions(WHERE, options, KEYS));
  if (o.profile !== undefined) Object.assign(PRINT_OPTS, PRINT_PROFILES[o.profile]);
  if (o.precision !== undefined) PRINT_OPTS.precision = o.precision;
  if (o.threshold !== undefined) PRINT_OPTS.threshold = o.threshold;
  if (o.edgeitems !== undefined) PRINT_OPTS.edgeitems = o.edgeitems;
  if (o.linewidth !== undefined) PRINT_OPTS.linewidth = o.linewidth;
  PRINT_OPTS.sciMode = o.sciMode ?? null;
}

/** torch._tensor_str.PRINT_OPTS (torch.get_printoptions() in PyTorch 2.x): a copy of the options in force. */
export function getPrintoptions(): PrintOptions {
  return { ...PRINT_OPTS };
}
