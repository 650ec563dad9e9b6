// train.report(dir): report.html and one .svg per chart in a run folder, from what the run left there:
// log.jsonl (per-epoch records), ckpt.pth (the best model, evaluated again on the test set for the
// per-class accuracy, confusion matrix and misclassified images) and config.json (options, versions,
// machine). Whatever is missing (a run killed in its first epoch, no test set on this machine) is
// reported as missing rather than failing.
import * as fs from 'fs';
import * as path from 'path';
import * as data from '../data';
import { TorchError } from '../errors';
import { dispose, keep, tidy } from '../memory';
import * as models from '../models';
import { load } from '../serialization';
import type { Tensor } from '../tensor';
import { writeFileAtomic } from '../utils/atomic';
import { encodePng } from '../utils/png';
import { BEST_FILE } from './checkpoint';
import { evaluate } from './evaluate';
import { epochCharts, evaluationCharts, renderCharts } from './report_charts';
import { renderHtml } from './report_html';
import { RunInfo, readRunInfo, versionsAndMachine } from './run_info';
import type { EpochRecord, ReportData } from './records';
import { optionKeys, readOptions } from '../utils/options';
export type { Misclassified, ReportData } from './records';

export const REPORT_FILE = 'report.html';

export interface ReportOptions {
  /** Default <dir>/log.jsonl. */
  logFile?: string;
  /** CIFAR-10 for the evaluation; default: the run's dataRoot, else $CIFAR10_ROOT or ../shared/cifar10. */
  dataRoot?: string;
  /** Default: the run's limitTest (the report evaluates on the images the run tested on). */
  limitTest?: number;
  /** Default 'cpu'. */
  device?: string;
  /** Evaluate the best model (per-class accuracy, confusion matrix, misclassified images); default true. */
  evaluate?: boolean;
  /** How many of the most confidently misclassified test images to show; default 32. */
  misclassified?: number;
}

// The keys of ReportOptions, a list the compiler keeps complete, for readOptions at the entry.
const REPORT = optionKeys<ReportOptions>({ logFile: true, dataRoot: true, limitTest: true, device: true, evaluate: true, misclassified: true });

export interface ReportResult {
  html: string;
  charts: string[];
  data: ReportData;
}

/** log.jsonl's epoch records; a line that is not JSON (cut short) is counted and skipped; the last record of an epoch wins. */
export function readLog(file: string): { history: EpochRecord[]; skipped: number } {
  if (!fs.existsSync(file)) return { history: [], skipped: 0 };
  const byEpoch = new Map<number, EpochRecord>();
  let skipped = 0;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      skipped++;
      continue;
    }
    if (rec && typeof rec === 'object' && typeof (rec as EpochRecord).epoch === 'number' && typeof (rec as EpochRecord).testAcc === 'number') {
      byEpoch.set((rec as EpochRecord).epoch, rec as EpochRecord);
    }
  }
  return { history: [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch), skipped };
}

function entries(net: unknown): [string, Tensor][] {
  return net instanceof Map ? [...net.entries()] : Object.entries(net as Record<string, Tensor>);
}

/** The ResNet that a state dict belongs to: depth from the blocks in layer1, shortcut B when there are projection weights. */
function modelFor(net: unknown): models.ResNet {
  const keys = entries(net).map(([k]) => k.replace(/^module\./, ''));
  const blocks = new Set(keys.map((k) => /^layer1\.(\d+)\./.exec(k)?.[1]).filter((b) => b !== undefined)).size;
  const depth = 6 * blocks + 2;
  const factory = (models as unknown as Record<string, (o: object) => models.ResNet>)[`resnet${depth}`];
  if (!blocks || !factory) throw new TorchError(`report: ${BEST_FILE} does not hold a CIFAR ResNet (found ${blocks} blocks in layer1)`);
  const linear = entries(net).find(([k]) => k.replace(/^module\./, '') === 'linear.weight');
  const numClasses = linear ? linear[1].shape[0] : 10;
  return factory({ numClasses, shortcut: keys.some((k) => /shortcut\.0\.weight$/.test(k)) ? 'B' : 'A' });
}

function pngOf(image: Tensor): string {
  const [c, h, w] = image.shape;
  const chw = tidy(() => image.to('uint8').contiguous().toTypedArray() as Uint8Array);
  const hwc = new Uint8Array(h * w * c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) hwc[(y * w + x) * c + k] = chw[k * h * w + y * w + x];
  return 'data:image/png;base64,' + encodePng(hwc, w, h, c as 1 | 3 | 4).toString('base64');
}

async function evaluateBest(dir: string, run: RunInfo | null, options: ReportOptions): Promise<Pick<ReportData, 'evaluation' | 'best' | 'evaluationNote'>> {
  const file = path.join(dir, BEST_FILE);
  if (!fs.existsSync(file)) return { evaluation: null, best: null, evaluationNote: `no ${BEST_FILE} yet (no epoch finished)` };
  // On the CPU whatever device the run trained on: the model is built there and moved to options.device.
  const raw = load(file, { device: 'cpu' });
  const ckpt = (raw instanceof Map ? Object.fromEntries(raw) : raw) as { net: unknown; acc?: number; epoch?: number };
  const best = { accuracy: Number(ckpt.acc ?? NaN), epoch: Number(ckpt.epoch ?? NaN) };
  if (options.evaluate === false) {
    dispose(ckpt as never);
    return { evaluation: null, best, evaluationNote: 'evaluation turned off' };
  }
  const runOptions = (run?.options ?? {}) as { dataRoot?: string; limitTest?: number };
  const root = options.dataRoot ?? runOptions.dataRoot ?? data.defaultCifar10Root();
  let testSet: data.CIFAR10;
  try {
    testSet = await data.CIFAR10.create({ root, train: false });
  } catch (e) {
    dispose(ckpt as never);
    return { evaluation: null, best, evaluationNote: `no test set: ${(e as Error).message}` };
  }
  let model: models.ResNet | undefined;
  let ckptFreed = false;
  let subset: data.TensorDatasetLike = testSet;
  const limit = options.limitTest ?? runOptions.limitTest;
  try {
    model = modelFor(ckpt.net);
    model.loadStateDict(ckpt.net as never);
    dispose(ckpt as never);
    ckptFreed = true;
    if (limit !== undefined && limit < testSet.data.shape[0]) {
      subset = new data.TensorDataset(keep(testSet.data.narrow(0, 0, limit)), keep(testSet.targets.narrow(0, 0, limit)));
    }
    const device = options.device ?? 'cpu';
    model.to(device);
    const ev = await evaluate(model, subset, { device, numClasses: testSet.classes.length, predictions: true });
    const targets = subset.targets.toArray() as number[];
    const wrong = [...ev.predictions!.keys()].filter((i) => ev.predictions![i] !== targets[i]);
    wrong.sort((a, b) => ev.confidences![b] - ev.confidences![a] || a - b);
    const misclassified = wrong.slice(0, options.misclassified ?? 32).map((i) => ({
      index: i,
      trueClass: targets[i],
      predicted: ev.predictions![i],
      confidence: ev.confidences![i],
      png: tidy(() => pngOf(subset.data.select(0, i))),
    }));
    const { accuracy, loss, total, perClassAccuracy, confusion } = ev;
    return { best, evaluationNote: null, evaluation: { classes: testSet.classes, accuracy, loss, total, perClassAccuracy, confusion, misclassified } };
  } finally {
    if (subset !== testSet) dispose([subset.data, subset.targets]);
    dispose([testSet.data, testSet.targets]);
    if (!ckptFreed) dispose(ckpt as never);
    if (model) dispose([...model.parameters(), ...model.buffers()]); // the model is dropped here
  }
}

/** Writes <dir>/report.html and <dir>/<chart>.svg for a run folder (finished or not) and returns their paths and data. */
export async function report(dir: string, options: ReportOptions = {}): Promise<ReportResult> {
  options = readOptions('report', options, REPORT);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new TorchError(`report: '${dir}' is not a folder`);
  const run = readRunInfo(dir);
  const { history, skipped } = readLog(options.logFile ?? path.join(dir, 'log.jsonl'));
  const epochsPlanned = typeof run?.options.epochs === 'number' ? run.options.epochs : null;
  const evald = await evaluateBest(dir, run, options);
  const reportData: ReportData = {
    dir: path.resolve(dir),
    generatedAt: new Date().toISOString(),
    history,
    skippedLogLines: skipped,
    epochsPlanned,
    complete: epochsPlanned !== null && history.length > 0 && history[history.length - 1].epoch + 1 >= epochsPlanned,
    run,
    reportEnvironment: versionsAndMachine(),
    ...evald,
  };
  const charts = history.length ? epochCharts(history) : [];
  const ev = reportData.evaluation;
  if (ev) charts.push(...evaluationCharts(ev.classes, ev.perClassAccuracy, ev.confusion));
  const svgs = await renderCharts(charts);
  const files: string[] = [];
  for (const chart of charts) {
    const file = path.join(dir, `${chart.name}.svg`);
    writeFileAtomic(file, svgs.get(chart.name)!);
    files.push(file);
  }
  const html = path.join(dir, REPORT_FILE);
  writeFileAtomic(html, renderHtml(reportData, charts, svgs));
  return { html, charts: files, data: reportData };
}
