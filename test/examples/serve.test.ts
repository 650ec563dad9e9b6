// examples/serve.ts under load from a bounded loop on 127.0.0.1: 200 requests from 8 concurrent
// clients, every answer equal to the model's own prediction on that image, no error, batches formed,
// no tensor left behind; a malformed upload gets 400 with a message.
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { models, noGrad, train, vision } from '../../lib';
import { startServer, type PredictServer } from '../../examples/serve';
import { tmpDir } from '../train/helpers';

let dir: string;
let srv: PredictServer;
let pngs: Buffer[];
let expected: train.ClassScore[][];

beforeAll(async () => {
  torch.setNumThreads(1);
  dir = tmpDir('serve');
  torch.manualSeed(5);
  const model = models.resnet20();
  // Noise of different brightness per channel: images the model tells apart.
  const images = Array.from({ length: 8 }, (_, i) =>
    torch.tidy(() => torch.rand([3, 32, 32]).mul(torch.tensor([(i % 4) + 1, 4 - (i % 4), 1 + (i >> 2)]).view([3, 1, 1])).mul(50).to('uint8')),
  );
  // Batch-norm statistics from the images, so different images get different classes.
  torch.tidy(() => noGrad(() => model.train().forward(train.preprocess(images))));
  model.eval();
  const ckpt = path.join(dir, 'ckpt.pth');
  torch.save({ net: model.stateDict(), acc: 0, epoch: 0 }, ckpt);
  pngs = images.map((img) => vision.toPng(img));
  expected = train.topK(torch.tidy(() => noGrad(() => model.forward(train.preprocess(images)))));
  srv = await startServer({ checkpoint: ckpt, port: 0, maxBatch: 16, maxDelayMs: 5 });
});
afterAll(async () => {
  await srv?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The same five classes in the same order, probabilities to 1e-5 (batches of other sizes round differently). */
function sameTop(got: train.ClassScore[], want: train.ClassScore[]): boolean {
  return got.length === want.length && got.every((g, j) => g.index === want[j].index && Math.abs(g.probability - want[j].probability) <= 1e-5);
}

async function post(body: Uint8Array): Promise<{ status: number; json: any }> {
  const res = await fetch(`${srv.url}/predict`, { method: 'POST', body: body as unknown as RequestInit['body'], headers: { 'content-type': 'image/png' } });
  return { status: res.status, json: await res.json() };
}

describe('examples/serve.ts', () => {
  it('answers 200 requests from 8 concurrent clients correctly, in batches, leaving no tensor behind', async () => {
    await post(pngs[0]); // the first request of each batch size traces the model once
    const live = () => {
      (globalThis as { gc?: () => void }).gc?.(); // collect handles nobody holds any more
      return torch.memory().liveTensors;
    };
    const liveBefore = live();
    const batchesBefore = srv.stats.batches;
    let next = 0;
    const failures: string[] = [];
    const client = async () => {
      while (next < 200) {
        const i = next++ % pngs.length;
        const { status, json } = await post(pngs[i]);
        if (status !== 200) failures.push(`${status} ${JSON.stringify(json)}`);
        else if (!sameTop(json.top, expected[i])) failures.push(`image ${i}: ${JSON.stringify(json.top)} vs ${JSON.stringify(expected[i])}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, client));
    expect(failures).toEqual([]);
    // Each image has its own answer, so an answer sent to the wrong request would be caught.
    const firsts = expected.map((e) => e[0].probability).sort();
    expect(firsts.every((p, j) => j === 0 || p - firsts[j - 1] > 1e-4)).toBe(true);
    expect(srv.stats.batches - batchesBefore).toBeLessThan(200); // concurrent requests shared forwards
    expect(live()).toBeLessThanOrEqual(liveBefore);
  });

  it('a malformed or truncated upload gets 400 with a message', async () => {
    const junk = await post(Buffer.from('this is not an image'));
    expect(junk.status).toBe(400);
    expect(junk.json.error).toMatch(/^decodeImage: the upload is not a PNG or JPEG image$/);
    const cut = await post(pngs[0].subarray(0, pngs[0].length - 20));
    expect(cut.status).toBe(400);
    expect(cut.json.error).toMatch(/not a valid PNG image/);
  });

  it('other routes and methods get 404 and 405', async () => {
    expect((await fetch(`${srv.url}/nope`)).status).toBe(404);
    expect((await fetch(`${srv.url}/predict`)).status).toBe(405);
  });
});
