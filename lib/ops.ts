// The generic operator call (native/ops.cc): any ATen operator by name, its arguments converted by the
// operator's schema in libtorch's dispatcher. lib/generated/ (scripts/gen-ops.js) binds every name PyTorch
// declares; this file is the small runtime they share.
import { native } from './native';

type Fn = (...args: any[]) => any;

/**
 * A native function for one PyTorch name: `display` is how messages name it ('torch.chunk'), `overloads`
 * the aten overloads in the order PyTorch's Python argument parser tries them ('add.Tensor', 'add.Scalar').
 * An operator that this libtorch lacks throws a TorchError naming it and the libtorch version when called.
 */
export function bindOp<T = Fn>(display: string, overloads: string[], method = false): T {
  return native.ops.bind(display, overloads, method) as T;
}

/** Installs the generated Tensor methods, leaving the hand-written ones (native table, lib/tensor.ts) in place. */
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

/** Python's keyword arguments: a call whose last argument is a plain object (not an array or a Tensor). */
function endsWithOptions(args: ArrayLike<unknown>): boolean {
  const last = args.length > 0 ? args[args.length - 1] : undefined;
  if (typeof last !== 'object' || last === null || Array.isArray(last)) return false;
  const proto = Object.getPrototypeOf(last);
  return proto === Object.prototype || proto === null;
}

/**
 * The hand-written methods (native fast paths for positional calls) take an options object too: such a call
 * goes to the generic operator call, which knows every argument's name (x.sum({ dim: 1, keepdim: true })).
 * `tuples` are the methods whose calls with arguments always go there, to return PyTorch's named tuples
 * (x.max(1) is [values, indices] with .values and .indices).
 */
export function installKeywordRoutes(proto: object, methods: [string, string[]][], tuples: string[] = []): void {
  const table = proto as Record<string, unknown>;
  for (const [name, overloads] of methods) {
    const fast = table[name];
    const own = Object.getOwnPropertyDescriptor(proto, name);
    if (typeof fast !== 'function' || (own !== undefined && !own.configurable)) continue;
    const generic = bindOp<Fn>(`Tensor.${name}`, overloads, true);
    const always = tuples.includes(name);
    const route = {
      [name](this: unknown): unknown {
        // eslint-disable-next-line prefer-rest-params
        const args = arguments;
        if ((always && args.length > 0 && args[0] !== undefined) || endsWithOptions(args)) return generic.apply(this, args as never);
        return (fast as Fn).apply(this, args as never);
      },
    }[name];
    Object.defineProperty(proto, name, { value: route, writable: true, configurable: true, enumerable: false });
  }
}
