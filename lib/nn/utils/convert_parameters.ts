// torch.nn.utils.parameters_to_vector / vector_to_parameters.
import { TorchError } from '../../errors';
import { native } from '../../native';
import { Tensor, isTensor } from '../../tensor';
import { cat } from '../../generated/torch';

function checkSameDevice(params: Tensor[], where: string): void {
  const device = params[0]?.device;
  for (const p of params) {
    if (p.device !== device) throw new TorchError(`${where}: Found two parameters on different devices, this is currently not supported.`);
  }
}

/** nn.utils.parameters_to_vector(parameters): the parameters flattened and concatenated into one 1-D tensor. */
export function parametersToVector(parameters: Iterable<Tensor>): Tensor {
  const params = [...parameters];
  checkSameDevice(params, 'nn.utils.parametersToVector');
  return cat(params.map((p) => p.view(-1)));
}

/**
 * nn.utils.vector_to_parameters(vec, parameters): each parameter's data becomes the next slice of vec,
 * viewed as its shape (as PyTorch's `param.data = …`: the parameters then share vec's storage).
 */
export function vectorToParameters(vec: Tensor, parameters: Iterable<Tensor>): void {
  if (!isTensor(vec)) throw new TorchError(`nn.utils.vectorToParameters: expected vec to be a Tensor, but got ${typeof vec}`);
  const params = [...parameters];
  checkSameDevice(params, 'nn.utils.vectorToParameters');
  const total = params.reduce((n, p) => n + p.numel(), 0);
  if (vec.ndim !== 1 || vec.numel() !== total) {
    throw new TorchError(`nn.utils.vectorToParameters: vec has ${vec.numel()} elements (${vec.ndim}-D), the parameters ${total}`);
  }
  let pointer = 0;
  for (const p of params) {
    const n = p.numel();
    native.nn.setData(p, vec.slice(0, pointer, pointer + n).viewAs(p));
    pointer += n;
  }
}
