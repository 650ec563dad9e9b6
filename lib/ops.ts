// The generic operator call (native/ops.cc): any ATen operator by name, its arguments converted by the
// operator's schema in libtorch's dispatcher. lib/generated/ (scripts/gen-ops.js) binds every name PyTorch
// declares; this file is the small runtime they share.
import { native } from './native';

/**
 * A native function for one PyTorch name: `display` is how messages name it ('torch.chunk'), `overloads`
 * the aten overloads in the order PyTorch's Python argument parser tries them ('add.Tensor', 'add.Scalar').
 * An operator that this libtorch lacks throws a TorchError naming it and the libtorch version when called.
 */
export function bindOp<T>(display: string, overloads: string[], method = false): T {
  return native.ops.bind(display, overloads, method) as T;
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
