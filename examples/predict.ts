// Top-5 CIFAR-10 classes of image files, with a trained checkpoint (our ckpt.pth), a TorchScript file or an
// AOTInductor package (.pt2: examples/export_pt2.py).
//   npx tsx examples/predict.ts checkpoint/ckpt.pth cat.png ship.jpg
//   npx tsx examples/predict.ts model.pt img.png --device cuda --top 3
//   npx tsx examples/predict.ts resnet20.pt2 cat.png
// The logic is train.predictFiles, which the CLI's `predict` subcommand calls the same way. The flags are
// parsed and checked with the CLI's helpers (cli.parseWithPaths, cli.intFlag…): a bad flag or value is one
// line and exit code 2, as for `libtorch-node predict`.
import { cli, train } from '../lib';

const FLAGS: Record<string, cli.FlagSpec> = {
  device: { type: 'string', value: 'D', help: 'cpu | cuda | cuda:N (cpu)' },
  top: { type: 'string', value: 'K', help: 'classes per image (5)' },
  json: { type: 'boolean', help: 'one JSON array instead of text' },
  help: { type: 'boolean', short: 'h', help: 'this text' },
};
const USAGE = `Usage: npx tsx examples/predict.ts <checkpoint> <image…> [flags]
  <checkpoint>   ckpt.pth / last.pth written by training, a TorchScript file (torch.jit.save)
                 or an AOTInductor package (.pt2, runs on the device it was compiled for)
  <image…>       PNG or JPEG files; other sizes than 32×32 are resized`;

async function main(argv: string[]): Promise<number> {
  const { values, paths } = cli.parseWithPaths(argv, FLAGS);
  if (values.help === true) {
    console.log(cli.helpText(USAGE, FLAGS));
    return 0;
  }
  const device = cli.deviceFlag(values, 'device') ?? 'cpu';
  const topk = cli.intFlag(values, 'top', 1) ?? 5;
  if (paths.length < 2) throw new cli.UsageError('expected a checkpoint and at least one image (see --help)');
  const [checkpoint, ...files] = paths;
  const results = await train.predictFiles(checkpoint, files, { device, topk });
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

cli.runMain('examples/predict.ts', main);
