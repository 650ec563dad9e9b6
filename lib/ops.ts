// The generic operator call (native/ops.cc): any ATen operator by name, its arguments converted by the
// operator's schema in libtorch's dispatcher. lib/generated/ (scripts/gen-ops.js) binds every name PyTorch
// declares; this file is the small runtime they share.
import { native } from './native';
import type { NativeOp } from './native';

// ---- the wrapper every op goes through ----
// Node-API reads a property of a JS object (the Tensor's token) for ~1,000 instructions, and makes an object
// by calling back into JS for ~700 more; a JS function does both for a few dozen. So each native op is called
// through a wrapper that reads its Tensor arguments' tokens itself and leaves them, with a mask saying which
// positionals they are, in words shared with the addon (Tensor::CallProtocol, native/tensor.cc). It also
// passes a fresh Tensor object as a last extra argument: a Tensor result goes into it (with its finalizer,
// when it needs one), and its token comes back in the words.
// The words' layout comes from the addon (Tensor::kCallTokens, kCallResultWord in native/tensor.h).
const { key: HANDLE_KEY, Handle, words: WORDS, tokens: TOKENS, resultWord: RESULT_WORD } = native.ops.handles;
// Words 1..TOKENS: the tokens of positionals 0..TOKENS-1; the mask's next bit: the wrapper wrote them.
const FROM_WRAPPER = 1 << TOKENS;
const NO_TOKEN = -1;             // what the fresh object holds until a result goes into it: names no tensor

// Bumped by every wrapper call: a Proxy argument's trap may call another op while this call's tokens are
// being written, and then this call leaves the words alone (mask 0) and the addon looks its Tensors up itself.
let epoch = 0;

/** Leaves positional `i`'s token in the words when it is a Tensor; its mask bit, or 0. */
function tokenBit(v: unknown, i: number): number {
  if (typeof v !== 'object' || v === null) return 0;
  const token = (v as Record<symbol, unknown>)[HANDLE_KEY];
  if (typeof token !== 'number') return 0;
  WORDS[1 + i] = token;
  return 1 << i;
}

/** The mask for a call whose positionals are `self` (a method's, when `offset` is 1) and then `args`. */
function callMask(self: unknown, args: unknown[], offset: number): number {
  const n = Math.min(args.length, TOKENS - offset);
  const start = ++epoch;
  let mask = FROM_WRAPPER | (offset === 1 ? tokenBit(self, 0) : 0);
  for (let i = 0; i < n; i++) mask |= tokenBit(args[i], i + offset);
  return start === epoch ? mask : 0;
}

/** Calls the op with `out` after its arguments (spelled out for the common counts: no array to spread). */
function callWith(op: NativeOp, self: unknown, args: unknown[], out: unknown): unknown {
  switch (args.length) {
    case 0: return op.call(self, out);
    case 1: return op.call(self, args[0], out);
    case 2: return op.call(self, args[0], args[1], out);
    case 3: return op.call(self, args[0], args[1], args[2], out);
    case 4: return op.call(self, args[0], args[1], args[2], args[3], out);
    default: return Reflect.apply(op, self, [...args, out]);
  }
}

function wrap(op: NativeOp, method: boolean): NativeOp {
  const offset = method ? 1 : 0;
  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    const out = new Handle(NO_TOKEN);
    const mask = callMask(this, args, offset);
    WORDS[0] = mask;
    // Called directly (mask 0), the op makes its own result object: it must not take `out` for an argument.
    const r = mask === 0 ? Reflect.apply(op, this, args) : callWith(op, this, args, out);
    const token = WORDS[RESULT_WORD]; // the result's token + 1; 0: the op returned something else
    if (token === 0) return r;
    WORDS[RESULT_WORD] = 0;
    (out as unknown as Record<symbol, number>)[HANDLE_KEY] = token - 1;
    return out;
  };
  Object.defineProperty(wrapper, 'name', { value: op.name });
  return wrapper;
}

/** Tensor.dispose: the token read here, as the op wrapper reads it. */
export function disposeHandle(self: unknown, fallback: (this: unknown) => void): void {
  const token = typeof self === 'object' && self !== null ? (self as Record<symbol, unknown>)[HANDLE_KEY] : undefined;
  if (typeof token === 'number') native.ops.handles.dispose(token);
  else fallback.call(self);
}

/**
 * A native function for one PyTorch name: `display` is how messages name it ('torch.chunk'), `overloads`
 * the aten overloads in the order PyTorch's Python argument parser tries them ('add.Tensor', 'add.Scalar').
 * An operator that this libtorch lacks throws a TorchError naming it and the libtorch version when called.
 */
export function bindOp<T>(display: string, overloads: string[], method = false): T {
  return wrap(native.ops.bind(display, overloads, method), method) as T;
}

/** Installs the generated Tensor methods, leaving the ones lib/tensor.ts and lib/tensor_methods.ts define in place. */
export function installMethods(proto: object, methods: [string, string[]][]): void {
  for (const [name, overloads] of methods) {
    if (name in proto) continue;
    Object.defineProperty(proto, name, {
      value: bindOp(`Tensor.${name}`, overloads, true),
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
}

/** Installs Python's attributes that are operators (x.T, x.mT …) as getters. */
export function installProperties(proto: object, properties: [string, string][]): void {
  for (const [name, op] of properties) {
    if (name in proto) continue;
    const fn = bindOp<(this: unknown) => unknown>(`Tensor.${name}`, [op], true);
    Object.defineProperty(proto, name, { get: fn, configurable: true, enumerable: false });
  }
}

/** Whether this libtorch's dispatcher has an operator ('aten::' implied): ops.has('scaled_dot_product_attention'). */
export function hasOp(name: string): boolean {
  return native.ops.has(name);
}

/** The schema libtorch declares for an operator ('add.Tensor'), or null when it has none. */
export function opSchema(name: string): string | null {
  return native.ops.schema(name);
}
