// A PyTorch-style training loop with no tidy() and no dispose(): RSS every 100 steps, for the plain
// synchronous `for` loop and the `for await` over the DataLoader. Bounded when the garbage collector sees
// libtorch's memory; TORCH_NODE_COUNT_ALLOCATIONS=0 shows the loop without that (it grows until stopped).
// Run: npx tsx bench/no-tidy.ts [--steps 1000] [--loop plain|await] [--image 32]
import * as torch from '../lib';
import { SmallCNN } from '../test/helpers/small_cnn';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const STEPS = Number(arg('--steps', '1000'));
const LOOP = arg('--loop', 'plain');
const IMAGE = Number(arg('--image', '32'));
const MB = 1024 * 1024;
const { nn, optim, data } = torch;

async function main() {
  torch.manualSeed(0);
  const n = 128 * 10;
  const dataset = {
    data: torch.randint(0, 256, [n, 3, IMAGE, IMAGE], { dtype: 'uint8' }),
    targets: torch.randint(0, 10, [n], { dtype: 'int64' }),
  };
  const model = new SmallCNN();
  const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const loader = new data.DataLoader(dataset, { batchSize: 128, shuffle: true, seed: 0, transform: data.cifar10TestTransform() });
  const curve: { step: number; rssMB: number; liveTensors: number; cpuAllocatedMB: number }[] = [];
  let i = 0;
  const t0 = Date.now();
  const step = (x: torch.Tensor, y: torch.Tensor) => {
    opt.zeroGrad();
    const loss = nn.functional.crossEntropy(model.forward(x), y);
    loss.backward();
    opt.step();
    if (++i % 100 === 0) {
      const m = torch.memory();
      curve.push({ step: i, rssMB: Math.round(process.memoryUsage().rss / MB), liveTensors: m.liveTensors, cpuAllocatedMB: Math.round(m.cpuAllocatedBytes / MB) });
    }
  };
  while (i < STEPS) {
    if (LOOP === 'await') {
      for await (const { x, y } of loader) {
        step(x, y);
        if (i >= STEPS) break;
      }
    } else {
      for (const { x, y } of loader.batches()) {
        step(x, y);
        if (i >= STEPS) break;
      }
    }
  }
  console.log(JSON.stringify({ loop: LOOP, steps: STEPS, image: IMAGE, msPerStep: (Date.now() - t0) / STEPS, curve }, null, 1));
}

main();
