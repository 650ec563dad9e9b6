// torch.no_grad / torch.enable_grad (torch/autograd/grad_mode.py). libtorch's grad mode is thread-local and
// every JS callback runs on the one JS thread, so a mode set here is the mode of everything that thread runs.
//
// A synchronous fn gets the mode for exactly its call, as PyTorch's context managers. An async fn (one that
// returns a Promise) keeps the mode until its promise settles, so `await torch.noGrad(async () => { ... })`
// computes every op of its body without grad, across its awaits. The price is the thread-local rule: other
// async work that the event loop interleaves in that window also runs in that mode. Overlapping scopes are
// kept in the order they began: when one ends, the mode becomes that of the latest scope still open.
//
// torch.inference_mode is libtorch's c10::InferenceMode, an RAII guard that must end in the reverse order it
// began (native/grad_mode.cc keeps the guards on a per-thread stack). inferenceMode therefore takes synchronous
// fns only: an async fn's scope would stay open across the event loop, end in whatever order promises settle,
// and make the tensors of any other async work run meanwhile inference tensors.
import { TorchError } from '../errors';
import { native } from '../native';

// The scopes now open, in the order they began: synchronous calls still running and async ones not settled.
interface Scope {
  readonly enabled: boolean;
  readonly previous: boolean;
}
const open: Scope[] = [];
// The mode from before the first open scope began.
let modeBeforeScopes = true;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}

function begin(enabled: boolean): Scope {
  const previous = native.setGradEnabled(enabled);
  if (open.length === 0) modeBeforeScopes = previous;
  const scope = { enabled, previous };
  open.push(scope);
  return scope;
}

// A synchronous scope that ends last-in-first-out restores the mode it found, as PyTorch's context managers.
// Any other end (an async scope settling, or a synchronous one that started an async scope still pending)
// leaves the mode of the latest scope still open, or the mode from before them all.
function end(scope: Scope, sync: boolean): void {
  const wasLatest = open[open.length - 1] === scope;
  open.splice(open.indexOf(scope), 1);
  if (sync && wasLatest) native.setGradEnabled(scope.previous);
  else if (!sync) native.setGradEnabled(open.length > 0 ? open[open.length - 1].enabled : modeBeforeScopes);
}

/** Runs fn with grad mode `enabled`; restores the previous mode when fn returns, or when its promise settles. */
function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const scope = begin(enabled);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    end(scope, true);
    throw e;
  }
  if (!isThenable(result)) {
    end(scope, true);
    return result;
  }
  return Promise.resolve(result).finally(() => end(scope, false)) as T;
}

/**
 * torch.no_grad(): runs fn with autograd recording off. An async fn keeps grad off until its promise
 * settles, including for other async work the event loop runs meanwhile (grad mode is per thread).
 */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** torch.enable_grad(): runs fn with autograd recording on (inside noGrad, say); async fn as noGrad. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

/** torch.is_grad_enabled(). */
export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}

/** torch.set_grad_enabled(mode) as a function: sets the mode and returns the previous one. */
export function setGradEnabled(enabled: boolean): boolean {
  return native.setGradEnabled(enabled);
}

/**
 * torch.inference_mode(mode): runs fn with inference mode on (mode true) or off (mode false), then restores
 * the previous state, also when fn throws. Inside, autograd records nothing and the tensors made are inference
 * tensors (x.isInference()); outside, using one in autograd or updating it in place is libtorch's error.
 * As libtorch's guard, mode false also turns grad mode on for fn. fn must be synchronous: an async fn (one
 * that returns a Promise) is a TorchError, after its synchronous part ran in the mode.
 */
export function inferenceMode<T>(fn: () => T, mode = true): T {
  // Checked here, not with utils/validate (which imports the tensor layer this module sits under).
  if (typeof fn !== 'function') throw new TorchError(`inferenceMode(): argument 'fn' must be a function, not ${typeof fn}`);
  if (typeof mode !== 'boolean') throw new TorchError(`inferenceMode(): argument 'mode' must be a boolean, not ${typeof mode}`);
  const depth = native.enterInferenceMode(mode);
  let result: T;
  try {
    result = fn();
  } finally {
    native.exitInferenceMode(depth);
  }
  if (isThenable(result)) {
    throw new TorchError('inferenceMode: fn must be synchronous (it returned a Promise)');
  }
  return result;
}

/** torch.is_inference_mode_enabled(). */
export function isInferenceModeEnabled(): boolean {
  return native.isInferenceModeEnabled();
}
