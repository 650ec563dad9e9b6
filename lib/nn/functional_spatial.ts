// torch.nn.functional's patch and sampling-grid functions (unfold, fold, affine_grid, grid_sample): Python's
// argument handling over the aten operators im2col, col2im, affine_grid_generator and grid_sampler, as
// torch/nn/functional.py writes them.
import { TorchError } from '../errors';
import { bindOp } from '../ops';
import { namedArgs } from '../kwargs';
import { isFloatingDtype } from '../dtype';
import type { Tensor } from '../tensor';

type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

const im2col = bindOp<(input: Tensor, kernel: number[], dilation: number[], padding: number[], stride: number[]) => Tensor>('F.unfold', ['im2col']);
const col2im = bindOp<(input: Tensor, output: number[], kernel: number[], dilation: number[], padding: number[], stride: number[]) => Tensor>(
  'F.fold', ['col2im']);
const affineGridGenerator = bindOp<(theta: Tensor, size: number[], alignCorners: boolean) => Tensor>('F.affineGrid', ['affine_grid_generator']);
const gridSampler = bindOp<(input: Tensor, grid: Tensor, mode: number, paddingMode: number, alignCorners: boolean) => Tensor>(
  'F.gridSample', ['grid_sampler']);

export interface PatchOptions {
  dilation?: Pair;
  padding?: Pair;
  stride?: Pair;
}
const PATCH_NAMES = ['dilation', 'padding', 'stride'];

/** F.unfold(input, kernel_size, dilation=1, padding=0, stride=1): sliding (N, C, H, W) patches as columns. */
export function unfold(input: Tensor, kernelSize: Pair, options?: PatchOptions): Tensor;
export function unfold(input: Tensor, kernelSize: Pair, dilation?: Pair, padding?: Pair, stride?: Pair): Tensor;
export function unfold(input: Tensor, kernelSize: Pair, ...args: unknown[]): Tensor {
  const [dilation, padding, stride] = namedArgs('F.unfold', PATCH_NAMES, args) as (Pair | undefined)[];
  return im2col(input, pair(kernelSize), pair(dilation ?? 1), pair(padding ?? 0), pair(stride ?? 1));
}

/** F.fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1): columns back into an image, overlaps summed. */
export function fold(input: Tensor, outputSize: Pair, kernelSize: Pair, options?: PatchOptions): Tensor;
export function fold(input: Tensor, outputSize: Pair, kernelSize: Pair, dilation?: Pair, padding?: Pair, stride?: Pair): Tensor;
export function fold(input: Tensor, outputSize: Pair, kernelSize: Pair, ...args: unknown[]): Tensor {
  const [dilation, padding, stride] = namedArgs('F.fold', PATCH_NAMES, args) as (Pair | undefined)[];
  return col2im(input, pair(outputSize), pair(kernelSize), pair(dilation ?? 1), pair(padding ?? 0), pair(stride ?? 1));
}

// affine_grid's checks, in Python's words: N×2×3 matrices for a 4-D size, N×3×4 for a 5-D one.
function checkAffine(theta: Tensor, size: number[]): void {
  if (!isFloatingDtype(theta.dtype)) throw new TorchError(`Expected theta to have floating point type, but got ${theta.dtype}`);
  const [rows, cols] = size.length === 4 ? [2, 3] : size.length === 5 ? [3, 4] : [0, 0];
  if (rows === 0) {
    throw new TorchError(`affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, respectively. Got size [${size.join(', ')}].`);
  }
  if (theta.ndim !== 3 || theta.shape[1] !== rows || theta.shape[2] !== cols) {
    const kind = `${size.length - 2}D`;
    throw new TorchError(`Expected a batch of ${kind} affine matrices of shape Nx${rows}x${cols} for size [${size.join(', ')}]. Got torch.Size([${theta.shape.join(', ')}]).`);
  }
  if (Math.min(...size) <= 0) throw new TorchError(`Expected non-zero, positive output size. Got [${size.join(', ')}]`);
}

/** F.affine_grid(theta, size, align_corners=False): the sampling grid of affine maps theta for an output of `size`. */
export function affineGrid(theta: Tensor, size: number[], alignCorners?: boolean | { alignCorners?: boolean }): Tensor;
export function affineGrid(theta: Tensor, size: number[], ...args: unknown[]): Tensor {
  const [alignCorners] = namedArgs('F.affineGrid', ['alignCorners'], args) as [boolean?];
  checkAffine(theta, size);
  return affineGridGenerator(theta, size, alignCorners ?? false);
}

const MODES = ['bilinear', 'nearest', 'bicubic'];
const PADDING_MODES = ['zeros', 'border', 'reflection'];
export interface GridSampleOptions {
  mode?: 'bilinear' | 'nearest' | 'bicubic';
  paddingMode?: 'zeros' | 'border' | 'reflection';
  alignCorners?: boolean;
}

/** F.grid_sample(input, grid, mode='bilinear', padding_mode='zeros', align_corners=False): input sampled at grid's points. */
export function gridSample(input: Tensor, grid: Tensor, options?: GridSampleOptions): Tensor;
export function gridSample(input: Tensor, grid: Tensor, mode?: GridSampleOptions['mode'], paddingMode?: GridSampleOptions['paddingMode'], alignCorners?: boolean): Tensor;
export function gridSample(input: Tensor, grid: Tensor, ...args: unknown[]): Tensor {
  const [mode, paddingMode, alignCorners] = namedArgs('F.gridSample', ['mode', 'paddingMode', 'alignCorners'], args) as [string?, string?, boolean?];
  const m = MODES.indexOf(mode ?? 'bilinear');
  if (m < 0) throw new TorchError(`nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: '${mode}'`);
  const p = PADDING_MODES.indexOf(paddingMode ?? 'zeros');
  if (p < 0) throw new TorchError(`nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or 'reflection', but got: '${paddingMode}'`);
  return gridSampler(input, grid, m, p, alignCorners ?? false);
}
