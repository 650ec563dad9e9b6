// `libtorch-node predict <checkpoint> <image…>`: the top classes of each PNG/JPEG file, with our
// ckpt.pth/last.pth, a TorchScript file or an AOTInductor package (.pt2) (the logic is train.predictFiles, as in examples/predict.ts).
import { predictFiles } from '../train/classify';
import { FlagSpec, UsageError, deviceFlag, helpText, intFlag } from './flags';
import { existing, parseWithPaths } from './positional';

const FLAGS: Record<string, FlagSpec> = {
  device: { type: 'string', value: 'D', help: 'cpu | cuda | cuda:N (cpu)' },
  top: { type: 'string', value: 'K', help: 'classes per image (5)' },
  json: { type: 'boolean', help: 'one JSON array instead of text' },
  help: { type: 'boolean', short: 'h', help: 'this text' },
};
const USAGE = 'Usage: libtorch-node predict <checkpoint> <image…> [flags]\nThe top CIFAR-10 classes of each image, with a checkpoint from training, a TorchScript file or a .pt2 package.';

export async function predictCommand(argv: string[]): Promise<number> {
  const { values, paths } = parseWithPaths(argv, FLAGS);
  if (values.help === true) {
    console.log(helpText(USAGE, FLAGS));
    return 0;
  }
  if (paths.length < 2) throw new UsageError('expected a checkpoint and at least one image (see --help)');
  const [checkpoint, ...images] = paths;
  existing(checkpoint, 'checkpoint', 'file');
  images.forEach((f) => existing(f, 'image', 'file'));
  const results = await predictFiles(checkpoint, images, { device: deviceFlag(values, 'device') ?? 'cpu', topk: intFlag(values, 'top', 1) ?? 5 });
  if (values.json === true) {
    console.log(JSON.stringify(results));
    return 0;
  }
  for (const { file, top } of results) {
    console.log(file);
    for (const { label, probability } of top) console.log(`  ${label.padEnd(12)} ${(100 * probability).toFixed(2).padStart(6)} %`);
  }
  return 0;
}
