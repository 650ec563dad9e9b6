// A PyTorch-style training loop with no tidy() and no dispose(): RSS every 100 steps, for the plain
// synchronous `for` loop and the `for await` over the DataLoader. Bounded when the garbage collector sees
// libtorch's memory; TORCH_NODE_COUNT_ALLOCATIONS=0 shows the loop without that (it grows until stopped).
// Run: npx tsx bench/no-tidy.ts [--steps 1000] [--loop plain|await] [--image 32]
import * as torch from '../lib';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const STEPS = Number(arg('--steps', '1000'));
const LOOP = arg('--loop', 'plain');
const IMAGE = Number(arg('--image', '32'));
const MB = 1024 * 1024;
const { nn, optim, data } = torch;

class SmallCNN extends nn.Module {
  conv1 = new nn.Conv2d(3, 8, 3, { padding: 1 });
  pool = new nn.AvgPool2d(2);
  conv2 = new nn.Conv2d(8, 16, 3, { padding: 1 });
  gap = new nn.AdaptiveAvgPool2d(1);
  fc = new nn.Linear(16, 10);
  forward(x: torch.Tensor): torch.Tensor {
    const h = this.pool.forward(this.conv1.forward(x).relu());
    return this.fc.forward(this.gap.forward(this.conv2.forward(h).relu()).flatten(1));
  }
}

async function main() {
  torch.manualSeed(0);
  const n = 128 * 10;
  const dataset = {
    data: torch.randint(0, 256, [n, 3, IMAGE, IMAGE], { dtype: 'uint8' }),
    targets: torch.randint(0, 10, [n], { dtype: 'int64' }),
  };
  const model = new SmallCNN();
  const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const loader = new data.DataLoader(dataset, { batchSize: 128, shuffle: true, seed: 0 });
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
