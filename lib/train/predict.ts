// predict(model, x): class probabilities, as `model.eval(); torch.no_grad(): F.softmax(model(x), dim=1)`.
import { TorchError } from '../errors';
import type { Module } from '../nn';
import { Tensor, noGrad } from '../tensor';
import { tidy } from '../memory';
import { softmax } from '../nn/functional';
import { placed, placementOf } from './forward';

/**
 * The model's softmax over dim 1 (its outputs' class scores) for the batch x, in eval mode and without
 * gradients; the model's training mode is restored after. x is moved to the model's device (and floating
 * dtype) first, so the result is on the model's device. The result belongs to the caller.
 */
export function predict(model: Module & { forward(x: Tensor): Tensor }, x: Tensor): Tensor {
  const wasTraining = model.training;
  model.eval();
  try {
    return tidy(() =>
      noGrad(() => {
        const out = model.forward(placed(x, placementOf(model)));
        if (out.ndim < 2) throw new TorchError(`predict: expected outputs of shape [N, classes, ...], got [${out.shape.join(', ')}]`);
        // float32 probabilities also for half-precision outputs, as F.softmax(out, 1, dtype=torch.float32).
        return softmax(out, 1, 'float32');
      }),
    );
  } finally {
    model.train(wasTraining);
  }
}
