// Top-5 CIFAR-10 classes of image files, with a trained checkpoint (our ckpt.pth), a TorchScript file or an
// AOTInductor package (.pt2: examples/export_pt2.py).
//   npx tsx examples/predict.ts checkpoint/ckpt.pth cat.png ship.jpg
//   npx tsx examples/predict.ts model.pt img.png --device cuda --top 3
//   npx tsx examples/predict.ts resnet20.pt2 cat.png
// The logic is train.predictFiles, which a CLI `predict` subcommand calls the same way.
import { parseArgs } from 'util';
import { train, TorchError } from '../lib';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    device: { type: 'string', default: 'cpu' },
    top: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help || positionals.length < 2) {
  console.log(`Usage: predict <checkpoint> <image…> [--device D] [--top K] [--json]
  <checkpoint>   ckpt.pth / last.pth written by training, a TorchScript file (torch.jit.save)
                 or an AOTInductor package (.pt2, runs on the device it was compiled for)
  <image…>       PNG or JPEG files; other sizes than 32×32 are resized
  --device D     cpu | cuda | cuda:N (cpu)
  --top K        classes per image (5)
  --json         one JSON array instead of text`);
  process.exit(values.help ? 0 : 2);
}

async function main(): Promise<void> {
  const [checkpoint, ...files] = positionals;
  const results = await train.predictFiles(checkpoint, files, { device: values.device, topk: Number(values.top) });
  if (values.json) {
    console.log(JSON.stringify(results));
    return;
  }
  for (const { file, top } of results) {
    console.log(file);
    for (const { label, probability } of top) console.log(`  ${label.padEnd(12)} ${(100 * probability).toFixed(2).padStart(6)} %`);
  }
}

main().catch((e) => {
  console.error(e instanceof TorchError ? e.message : e);
  process.exit(1);
});
