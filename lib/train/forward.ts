// The joins that the training step, fit() and the recipe share, written once: the model's device, the
// default loss, the amp setting and the forward pass under channels_last and autocast.
import { autocast } from '../amp';
import { TorchError } from '../errors';
import type { GradScaler } from '../grad_scaler';
import type { Module } from '../nn';
import { crossEntropy } from '../nn/functional';
import { isFloatingDtype, type DType } from '../dtype';
import type { Tensor } from '../tensor';
import { POSITIVE_INT, checkRule } from '../utils/number_rule';

export type Amp = 'bf16' | 'fp16' | false;

/** The device of the model's first parameter ('cpu' for a model without parameters). */
export function modelDevice(model: Module): string {
  return model.parameters()[0]?.device ?? 'cpu';
}

/** Where a model's inputs must be: its first parameter's device, and its floating dtype. */
export interface Placement {
  device: string;
  /** The first parameter's dtype when floating (floating inputs are converted to it), else null. */
  dtype: DType | null;
}

/** `next(model.parameters())`'s device and dtype, as PyTorch code finds them; null for a model without parameters. */
export function placementOf(model: { parameters?: () => Tensor[] }): Placement | null {
  const p = typeof model.parameters === 'function' ? model.parameters()[0] : undefined;
  if (!p) return null;
  return { device: p.device, dtype: isFloatingDtype(p.dtype as DType) ? (p.dtype as DType) : null };
}

/**
 * `t` on the model's device and, when floating, in its dtype (integer inputs and class indices keep
 * theirs): `x.to(device, dtype, non_blocking=True)` as a careful PyTorch loop writes it, so that a host
 * batch's copy does not wait for the device. The same tensor when it is already there (no copy).
 */
export function placed(t: Tensor, where: Placement | null, convertDtype = true): Tensor {
  if (!where) return t;
  const dtype = convertDtype ? placedDtype(t, where) : (t.dtype as DType);
  if (t.device === where.device && t.dtype === dtype) return t;
  // Not towards the CPU: a non-blocking device-to-host copy may still be running when the CPU reads it.
  return t.to({ device: where.device, dtype, nonBlocking: where.device !== 'cpu' });
}

/** The dtype an input `t` has once placed: the model's floating dtype for a floating input, else its own. */
export function placedDtype(t: Tensor, where: Placement | null): DType {
  return where?.dtype && isFloatingDtype(t.dtype as DType) ? where.dtype : (t.dtype as DType);
}

/** A batch moved to the model: inputs to its device and floating dtype, targets to its device only. */
export function placeBatch(x: Tensor, y: Tensor, where: Placement | null): { x: Tensor; y: Tensor } {
  return { x: placed(x, where), y: placed(y, where, false) };
}

/** loss(output, target): a scalar tensor. */
export type LossFn = (output: Tensor, target: Tensor) => Tensor;

/** nn.CrossEntropyLoss(): the loss when none is given. */
export const defaultLoss: LossFn = (out: Tensor, y: Tensor) => crossEntropy(out, y);

/**
 * Throws unless `amp` is 'bf16', 'fp16' or false (or absent). With `scaler` passed (fit, TrainStep: the
 * caller's GradScaler or undefined), 'fp16' needs one; the recipe makes its own and passes nothing.
 */
export function checkAmp(where: string, amp: unknown, ...scaler: [GradScaler | undefined] | []): void {
  if (amp !== undefined && amp !== false && amp !== 'bf16' && amp !== 'fp16') throw new TorchError(`${where}: amp must be 'bf16', 'fp16' or false, got ${amp}`);
  if (amp === 'fp16' && scaler.length === 1 && !scaler[0]) throw new TorchError(`${where}: amp 'fp16' needs a scaler (new GradScaler(device))`);
}

/** Throws unless `v` is absent or a positive integer. */
export function checkPositiveInt(where: string, name: string, v: unknown): void {
  checkRule(where, name, v, POSITIVE_INT);
}

/** Runs `fn` under autocast when `amp` asks for it (forward and loss; backward runs outside, as in PyTorch). */
export function withAmp<T>(device: string, amp: Amp | undefined, fn: () => T): T {
  if (!amp) return fn();
  return autocast(device.startsWith('cuda') ? 'cuda' : 'cpu', fn, { dtype: amp === 'fp16' ? 'float16' : 'bfloat16' });
}

/** The model's call with inputs in channels_last (when asked) under autocast (when asked). */
export function forwardWith(model: Module & { forward(x: Tensor): Tensor }, o: { amp?: Amp; channelsLast?: boolean }): (x: Tensor) => Tensor {
  const device = modelDevice(model);
  return (x) => withAmp(device, o.amp, () => model.forward(o.channelsLast ? x.contiguous('channels_last') : x));
}
