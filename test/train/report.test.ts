/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// train.report(dir): a short training run's report checked against its log.jsonl and checkpoint, a
// partial run folder, and the page opened in headless Chromium (no console error, every chart drawn,
// nothing fetched; a screenshot is kept in test-artifacts/).
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { READ_SCALARS, hasTensorboard, tbPython } from '../helpers/tensorboard';
import { CIFAR, hasCifar, tmpDir } from './helpers';

const CHROMIUM = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => p && fs.existsSync(p));
if (!CHROMIUM) console.warn('report tests: no chromium (apt-get install chromium, or set CHROMIUM): browser checks skipped');
const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts');
const EPOCH_CHARTS = ['loss', 'accuracy', 'lr', 'seconds'];
const ALL_CHARTS = [...EPOCH_CHARTS, 'per-class-accuracy', 'confusion'];

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function embedded(html: string): torch.train.ReportData {
  const m = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error('report.html has no embedded data');
  return JSON.parse(m[1]);
}

/** Opens a page in headless Chromium: console errors, page errors, refused requests, per-chart drawn marks. */
async function openInBrowser(file: string, screenshot: string) {
  const puppeteer = await import('puppeteer-core');
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    const fetched: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.setRequestInterception(true);
    page.on('request', (r) => {
      // a self-contained page asks for nothing but itself (data: URIs are not requests)
      if (r.url() !== `file://${file}` && !r.url().startsWith('data:')) {
        fetched.push(r.url());
        void r.abort();
      } else void r.continue();
    });
    await page.setViewport({ width: 1400, height: 1000 });
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    const charts = await page.evaluate(() =>
      [...document.querySelectorAll('figure.chart')].map((fig) => {
        // Vega's data marks are the groups of role "mark"; axes, legends and titles are other roles
        const marks = [...fig.querySelectorAll('g.role-mark path, g.role-mark rect, g.role-mark text')] as SVGGraphicsElement[];
        const drawn = marks.filter((m) => {
          const b = m.getBBox();
          return b.width > 0 || b.height > 0;
        });
        return { name: (fig as HTMLElement).dataset.chart, drawn: drawn.length };
      }),
    );
    const images = await page.evaluate(() => [...document.images].map((i) => i.complete && i.naturalWidth === 32 && i.naturalHeight === 32));
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, screenshot) as `${string}.png`, fullPage: true });
    return { errors, fetched, charts, images };
  } finally {
    await browser.close();
  }
}

describe.skipIf(!hasCifar)('report of a short training run', () => {
  let dir = '';
  let result: torch.train.ReportResult;
  let log: torch.EpochRecord[];
  const lines: string[] = [];

  beforeAll(async () => {
    dir = tmpDir('report');
    dirs.push(dir);
    await torch.train.trainResNet20({
      dataRoot: CIFAR,
      device: 'cpu',
      epochs: 3,
      limitTrain: 128,
      limitTest: 100,
      batchSize: 32,
      testBatchSize: 50,
      seed: 0,
      numThreads: 1,
      checkpointDir: dir,
      progress: 'lines',
      print: (l) => lines.push(l),
      handleSigint: false,
      tensorboard: true,
      tensorboardEvery: 2,
    });
    log = fs.readFileSync(path.join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    // the training wrote report.html at its end; making it again on demand must give the same numbers
    result = await torch.train.report(dir);
  });

  it('is written at the end of training and again on demand, with one .svg per chart beside it', () => {
    expect(lines).toContain(`Report: ${path.join(dir, 'report.html')}`);
    expect(result.html).toBe(path.join(dir, 'report.html'));
    expect(result.charts.map((f) => path.basename(f, '.svg'))).toEqual(ALL_CHARTS);
    const html = fs.readFileSync(result.html, 'utf8');
    for (const f of result.charts) {
      const svg = fs.readFileSync(f, 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(html).toContain(svg); // the page holds the same drawing inline
    }
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it("shows log.jsonl's numbers for every epoch", () => {
    const html = fs.readFileSync(result.html, 'utf8');
    const d = embedded(html);
    expect(log.length).toBe(3);
    expect(d.history).toEqual(log);
    expect(d.complete).toBe(true);
    expect(d.epochsPlanned).toBe(3);
    const rows = [...html.matchAll(/<tr>((?:<td>[^<]*<\/td>)+)<\/tr>/g)].map((m) => [...m[1].matchAll(/<td>([^<]*)<\/td>/g)].map((c) => c[1]));
    for (const r of log) {
      expect(rows).toContainEqual([
        String(r.epoch), r.lr.toPrecision(4), r.trainLoss.toFixed(4), r.trainAcc.toFixed(2),
        r.testLoss.toFixed(4), r.testAcc.toFixed(2), r.trainSeconds.toFixed(1), r.seconds.toFixed(1),
      ]);
    }
    expect(html).toContain(`3 of 3 epochs logged: complete`);
  });

  it('evaluates the best checkpoint again: its accuracy, per-class accuracy, confusion matrix and misclassified images agree', () => {
    const d = embedded(fs.readFileSync(result.html, 'utf8'));
    const ckpt = torch.load(path.join(dir, 'ckpt.pth')) as Map<string, unknown>;
    const get = (k: string) => (ckpt instanceof Map ? ckpt.get(k) : (ckpt as Record<string, unknown>)[k]);
    const best = Math.max(...log.map((r) => r.testAcc));
    expect(d.best).toEqual({ accuracy: get('acc'), epoch: get('epoch') });
    expect(d.best!.accuracy).toBe(best);
    torch.dispose(get('net') as never);
    const ev = d.evaluation!;
    // the same 100 test images, the same weights, eval mode: the same count of correct answers
    expect(ev.total).toBe(100);
    expect(ev.accuracy).toBeCloseTo(best, 10);
    const rowSums = ev.confusion.map((row) => row.reduce((a, b) => a + b, 0));
    expect(rowSums.reduce((a, b) => a + b, 0)).toBe(100);
    ev.perClassAccuracy.forEach((acc, c) => expect(acc).toBeCloseTo((100 * ev.confusion[c][c]) / Math.max(rowSums[c], 1), 10));
    const wrong = 100 - ev.confusion.reduce((s, row, c) => s + row[c], 0);
    expect(ev.misclassified.length).toBe(Math.min(32, wrong));
    const test = new torch.data.CIFAR10({ root: CIFAR, train: false });
    const labels = test.targets.narrow(0, 0, 100).toArray() as number[];
    torch.dispose([test.data, test.targets]);
    for (const [i, m] of ev.misclassified.entries()) {
      expect(m.trueClass).toBe(labels[m.index]);
      expect(m.predicted).not.toBe(m.trueClass);
      if (i > 0) expect(m.confidence).toBeLessThanOrEqual(ev.misclassified[i - 1].confidence);
    }
    expect(ev.classes).toEqual(test.classes);
  });

  it('records the configuration, versions and machine of the run', () => {
    const d = embedded(fs.readFileSync(result.html, 'utf8'));
    expect(d.run!.options).toMatchObject({ epochs: 3, limitTrain: 128, limitTest: 100, batchSize: 32, seed: 0, lr: 0.1 });
    expect(d.run!.versions.libtorch).toBe(torch.libtorchVersion);
    expect(d.run!.machine.cores).toBeGreaterThan(0);
  });

  it.skipIf(!hasTensorboard)("writes TensorBoard scalars per epoch and every N steps that match log.jsonl", () => {
    const scalars = tbPython<Record<string, [number, number][]>>(READ_SCALARS, { dir: path.join(dir, 'tensorboard') });
    expect(scalars['Accuracy/test']).toEqual(log.map((r) => [r.epoch, Math.fround(r.testAcc)]));
    expect(scalars['Loss/train']).toEqual(log.map((r) => [r.epoch, Math.fround(r.trainLoss)]));
    expect(scalars.lr).toEqual(log.map((r) => [r.epoch, Math.fround(r.lr)]));
    // 4 steps an epoch, 3 epochs, every 2nd step
    expect(scalars['Loss/train_step'].map(([s]) => s)).toEqual([1, 3, 5, 7, 9, 11]);
  });

  it.skipIf(!CHROMIUM)('loads in headless Chromium with no console error, every chart drawn and every image decoded', async () => {
    const r = await openInBrowser(result.html, 'report.png');
    expect(r.errors).toEqual([]);
    expect(r.fetched).toEqual([]);
    expect(r.charts.map((c) => c.name)).toEqual(ALL_CHARTS);
    for (const c of r.charts) expect(c.drawn, c.name).toBeGreaterThan(0);
    expect(r.images.length).toBeGreaterThan(0);
    expect(r.images.every(Boolean)).toBe(true);
  });
});

describe('report of a partial run folder', () => {
  const record = (epoch: number) => ({ epoch, lr: 0.1, trainLoss: 2 - epoch / 10, trainAcc: 20 + epoch, testLoss: 2.1, testAcc: 18 + epoch, trainSeconds: 9, seconds: 10 });

  it('reports the finished epochs of a run killed mid-write, without a checkpoint to evaluate', async () => {
    const dir = tmpDir('report-partial');
    dirs.push(dir);
    torch.train.writeRunInfo(dir, { epochs: 5, lr: 0.1 });
    // two whole records, then a write cut short by the kill
    fs.writeFileSync(path.join(dir, 'log.jsonl'), [record(0), record(1)].map((r) => JSON.stringify(r) + '\n').join('') + '{"epoch":2,"lr":0.1,"tr');
    const r = await torch.train.report(dir);
    const html = fs.readFileSync(r.html, 'utf8');
    const d = embedded(html);
    expect(d.history).toEqual([record(0), record(1)]);
    expect(d.skippedLogLines).toBe(1);
    expect(d.complete).toBe(false);
    expect(d.evaluation).toBeNull();
    expect(d.evaluationNote).toMatch(/no ckpt\.pth/);
    expect(html).toContain('2 of 5 epochs logged: partial');
    expect(r.charts.map((f) => path.basename(f, '.svg'))).toEqual(EPOCH_CHARTS);
    if (CHROMIUM) {
      const b = await openInBrowser(r.html, 'report-partial.png');
      expect(b.errors).toEqual([]);
      expect(b.charts.map((c) => [c.name, c.drawn > 0])).toEqual(EPOCH_CHARTS.map((n) => [n, true]));
    }
  });

  it('reports a folder whose run has not finished an epoch', async () => {
    const dir = tmpDir('report-empty');
    dirs.push(dir);
    const r = await torch.train.report(dir);
    expect(r.charts).toEqual([]);
    expect(fs.readFileSync(r.html, 'utf8')).toContain('No epoch finished yet');
  });

  it('says which folder is missing', async () => {
    await expect(torch.train.report('/nonexistent/run')).rejects.toThrow("report: '/nonexistent/run' is not a folder");
  });
});
