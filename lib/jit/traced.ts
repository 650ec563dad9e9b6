// forwardAsync for our own modules. Their forward is JS code calling one native op at a time, which
// cannot run off the JS thread; so the first call for a given input signature records the ops with
// libtorch's tracer (as torch.jit.trace does), and every call runs the recorded graph on the libuv pool.
//
// The module's parameters and buffers are inputs of the graph, not constants baked into it: each
// call passes the module's current tensors, so training, loadStateDict() or to() after the trace are
// seen. What the JS code computed from values (a shape, item()) is fixed at trace time, so the graph
// is cached per input shape, dtype and device, training mode and parameter signature.
import { tidy } from '../memory';
import { native, type JitValue, type NativeTracedFunction } from '../native';
import { isTensor, noGrad, type Tensor } from '../tensor';

/** What forwardAsync needs from a module (our nn.Module has it). */
export interface TraceableModule {
  training: boolean;
  forward(...inputs: any[]): any;
  parameters(): Tensor[];
  buffers(): Tensor[];
}

const cache = new WeakMap<object, Map<string, NativeTracedFunction>>();
// Enough for every batch size a server sees; the oldest signature goes first.
const MAX_SIGNATURES = 64;

function signature(module: TraceableModule, inputs: Tensor[], state: Tensor[]): string {
  const describe = (t: Tensor) => `${t.shape.join('x')}:${t.dtype}:${t.device}`;
  const first = state[0];
  return [module.training, inputs.map(describe).join(','), state.length, first ? `${first.dtype}:${first.device}` : ''].join('|');
}

function checkInputs(inputs: unknown[]): Tensor[] {
  for (const [i, x] of inputs.entries()) {
    if (!isTensor(x)) {
      throw new TypeError(`forwardAsync: input ${i} must be a Tensor (traced forward takes tensors only)`);
    }
  }
  return inputs as Tensor[];
}

/** The recorded graph of module.forward for these inputs (traced now if not cached). */
export function tracedForward(module: TraceableModule, inputs: Tensor[]): { fn: NativeTracedFunction; args: Tensor[] } {
  checkInputs(inputs);
  const state = [...new Set([...module.parameters(), ...module.buffers()])];
  const key = signature(module, inputs, state);
  let byKey = cache.get(module);
  if (!byKey) cache.set(module, (byKey = new Map()));
  let fn = byKey.get(key);
  if (!fn) {
    // One synchronous forward under the tracer; its outputs and temporaries are freed by tidy.
    fn = tidy(() => noGrad(() => native.jit.trace(() => module.forward(...inputs), [...inputs, ...state])));
    if (byKey.size >= MAX_SIGNATURES) byKey.delete(byKey.keys().next().value as string);
    byKey.set(key, fn);
  }
  return { fn, args: [...inputs, ...state] };
}

/** module.forward(...inputs) on the libuv pool: resolves with the output tensor(s). */
export function forwardAsync(module: TraceableModule, ...inputs: Tensor[]): Promise<JitValue> {
  try {
    const { fn, args } = tracedForward(module, inputs);
    return fn.runAsync(args);
  } catch (e) {
    return Promise.reject(e);
  }
}
