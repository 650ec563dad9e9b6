// A checkpoint of this library compiled into a .pt2 by `libtorch-node export` (examples/export_pt2.py with
// the reference Python): predict / predictFiles / the predict command with the package give the classes and
// probabilities of the checkpoint itself, examples/serve.ts serves it, and the export command's bad command lines are one line.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as torch from '../../lib';
import { noGrad } from '../../lib';
import { main } from '../../lib/cli';
import { startServer } from '../../examples/serve';
import { pythonCanCompile } from './fixtures';

const canCompile = torch.export.isAvailable() && pythonCanCompile();
let dir: string;

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  try {
    return { code: await main(argv), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

beforeAll(() => {
  torch.setNumThreads(1);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-export-predict-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('libtorch-node export: bad command lines', () => {
  it.each([
    [['export'], /expected a checkpoint and the \.pt2 file to write/],
    [['export', '/no/such/ckpt.pth', 'out.pt2'], /checkpoint: .*ckpt\.pth does not exist/],
  ])('%j → one line, exit 2', async (argv, message) => {
    const r = await run(argv as string[]);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toMatch(message as RegExp);
  });
});

describe.skipIf(!canCompile)('a checkpoint exported to .pt2 (needs libtorch 2.x and its Python with torch._inductor)', () => {
  let ckpt: string;
  let pt2: string;
  let images: string[];

  beforeAll(async () => {
    // Images of different colours, and a ResNet-20 whose batch-norm statistics come from them, so that its
    // classes vary by image.
    torch.manualSeed(5);
    const pixels = torch.tidy(() => torch.rand([12, 3, 1, 1]).mul(255).add(torch.rand([12, 3, 32, 32]).mul(40).sub(20)).clamp(0, 255).to('uint8'));
    images = Array.from({ length: 12 }, (_, i) => {
      const png = path.join(dir, `img${i}.png`);
      torch.vision.toPng(pixels.select(0, i), png);
      return png;
    });
    const model = torch.models.resnet20();
    torch.tidy(() => noGrad(() => model.train().forward(torch.data.cifar10TestTransform()(pixels))));
    ckpt = path.join(dir, 'ckpt.pth');
    torch.save({ net: model.stateDict(), acc: 10, epoch: 0 }, ckpt);
    pt2 = path.join(dir, 'resnet20.pt2');
    const r = await run(['export', ckpt, pt2, '--max-batch', '16']);
    if (r.code !== 0) throw new Error(`export failed: ${r.err}`);
  }, 600_000);

  it('predictFiles with the package gives the checkpoint’s classes and probabilities (1e-5)', async () => {
    const fromCkpt = await torch.train.predictFiles(ckpt, images, { topk: 10 });
    const fromPt2 = await torch.train.predictFiles(pt2, images, { topk: 10 });
    expect(new Set(fromCkpt.map((p) => p.top[0].index)).size).toBeGreaterThan(1);
    fromPt2.forEach((p, i) => {
      expect(p.top.map((t) => t.index)).toEqual(fromCkpt[i].top.map((t) => t.index));
      p.top.forEach((t, j) => expect(Math.abs(t.probability - fromCkpt[i].top[j].probability)).toBeLessThan(1e-5));
    });
  });

  it('the package records the checkpoint’s weights, a dynamic batch of 1 to --max-batch, and refuses 17', async () => {
    const model = torch.export.load(pt2);
    expect(model.inputSpecs?.[0].shape).toEqual([{ min: 1, max: 16, name: 'batch' }, 3, 32, 32]);
    expect(model.constantFqns()).toContain('layer3.2.bn2.running_var');
    expect(() => model.forward(torch.randn([17, 3, 32, 32]))).toThrow('dimension 0 (batch) is 17, outside the exported bounds [1, 16]');
    model.dispose();
  });

  it('the predict command takes the .pt2 as it takes ckpt.pth', async () => {
    const expected = await torch.train.predictFiles(ckpt, images.slice(0, 2), { topk: 3 });
    const r = await run(['predict', pt2, ...images.slice(0, 2), '--top', '3', '--json']);
    expect(r.code).toBe(0);
    const got = JSON.parse(r.out) as { top: { index: number; probability: number }[] }[];
    got.forEach((p, i) => {
      expect(p.top.map((t) => t.index)).toEqual(expected[i].top.map((t) => t.index));
      p.top.forEach((t, j) => expect(Math.abs(t.probability - expected[i].top[j].probability)).toBeLessThan(1e-5));
    });
  });

  it('examples/serve.ts serves the package: 48 requests from 4 concurrent clients get the checkpoint’s classes', async () => {
    const expected = await torch.train.predictFiles(ckpt, images, { topk: 5 });
    const srv = await startServer({ checkpoint: pt2, port: 0, maxBatch: 16, maxDelayMs: 5 });
    try {
      const bodies = images.map((f) => fs.readFileSync(f));
      const failures: string[] = [];
      let next = 0;
      const client = async () => {
        while (next < 48) {
          const i = next++ % images.length;
          const res = await fetch(`${srv.url}/predict`, { method: 'POST', body: bodies[i] as unknown as RequestInit['body'] });
          const json = (await res.json()) as { top: { index: number; probability: number }[] };
          const want = expected[i].top;
          const same = res.status === 200 && json.top.every((t, j) => t.index === want[j].index && Math.abs(t.probability - want[j].probability) < 1e-5);
          if (!same) failures.push(`image ${i}: ${res.status} ${JSON.stringify(json)}`);
        }
      };
      await Promise.all([client(), client(), client(), client()]);
      expect(failures).toEqual([]);
    } finally {
      await srv.close();
    }
  });

  it('a package compiled for cpu asked for cuda in predict is one line naming both', async () => {
    await expect(torch.train.predictFiles(pt2, images.slice(0, 1), { device: 'cuda' })).rejects.toThrow(/compiled for cpu and cannot run on cuda/);
  });
});
