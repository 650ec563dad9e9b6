// The report's charts as Vega-Lite specifications, rendered to SVG in Node by Vega (no browser, no
// canvas): each chart is both an .svg file and an inline <svg> in report.html.
import type { EpochRecord } from './records';

export interface Chart {
  /** File name without .svg, and the figure's id in the page. */
  name: string;
  title: string;
  spec: Record<string, unknown>;
}

// vega and vega-lite are ES modules with top-level await (vega-canvas probes for 'canvas'), which
// require() cannot load, and TypeScript's CommonJS output turns import() into require(): the Function
// keeps a real import(). Inside a vm context without an import callback (vitest runs sources so) the
// Function's import() is refused, and there the transpiled import() is a real one.
const nativeImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<any>;

async function importEsm(specifier: string): Promise<any> {
  try {
    return await nativeImport(specifier);
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING') throw e;
    return import(specifier);
  }
}

const WIDTH = 420;
const HEIGHT = 220;
const CONFIG = { font: 'sans-serif', view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 12 } };

function lines(title: string, yTitle: string, rows: { epoch: number; series: string; value: number }[], logScale = false) {
  return {
    title,
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    data: { values: rows },
    mark: { type: 'line', point: rows.length <= 60 },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: logScale ? { type: 'log' } : { zero: false } },
      color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'top' } },
    },
  };
}

/** Loss, accuracy, learning rate and seconds per epoch from log.jsonl's records. */
export function epochCharts(history: EpochRecord[]): Chart[] {
  const series = (pairs: [string, (r: EpochRecord) => number][]) =>
    history.flatMap((r) => pairs.map(([s, f]) => ({ epoch: r.epoch, series: s, value: f(r) })));
  const lrPositive = history.every((r) => r.lr > 0);
  return [
    { name: 'loss', title: 'Loss per epoch', spec: lines('Loss per epoch', 'cross-entropy', series([['train', (r) => r.trainLoss], ['test', (r) => r.testLoss]])) },
    { name: 'accuracy', title: 'Accuracy per epoch', spec: lines('Accuracy per epoch', 'accuracy (%)', series([['train', (r) => r.trainAcc], ['test', (r) => r.testAcc]])) },
    { name: 'lr', title: 'Learning rate per epoch', spec: lines('Learning rate per epoch', 'learning rate', series([['lr', (r) => r.lr]]), lrPositive && history.length > 1 && Math.max(...history.map((r) => r.lr)) / Math.min(...history.map((r) => r.lr)) > 100) },
    {
      name: 'seconds',
      title: 'Seconds per epoch',
      spec: {
        title: 'Seconds per epoch',
        width: WIDTH,
        height: HEIGHT,
        config: CONFIG,
        data: { values: series([['train', (r) => r.trainSeconds], ['test', (r) => r.seconds - r.trainSeconds]]) },
        mark: 'bar',
        encoding: {
          x: { field: 'epoch', type: 'ordinal', title: 'epoch', axis: history.length > 40 ? { labelExpr: 'datum.value % 10 ? null : datum.label' } : {} },
          y: { field: 'value', type: 'quantitative', title: 'seconds', stack: 'zero' },
          color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'top' } },
        },
      },
    },
  ];
}

/** Per-class test accuracy (bars) and the confusion matrix (heat map with counts). */
export function evaluationCharts(classes: string[], perClassAccuracy: number[], confusion: number[][]): Chart[] {
  const cells = confusion.flatMap((row, t) =>
    row.map((count, p) => ({ true: classes[t], predicted: classes[p], count, share: count / Math.max(1, row.reduce((a, b) => a + b, 0)) })),
  );
  return [
    {
      name: 'per-class-accuracy',
      title: 'Test accuracy per class (best model)',
      spec: {
        title: 'Test accuracy per class (best model)',
        width: WIDTH,
        height: HEIGHT,
        config: CONFIG,
        data: { values: classes.map((c, i) => ({ class: c, accuracy: perClassAccuracy[i] })) },
        layer: [
          { mark: 'bar', encoding: { y: { field: 'class', type: 'nominal', sort: null, title: null }, x: { field: 'accuracy', type: 'quantitative', title: 'accuracy (%)', scale: { domain: [0, 100] } } } },
          {
            mark: { type: 'text', align: 'left', dx: 3, fontSize: 10 },
            encoding: { y: { field: 'class', type: 'nominal', sort: null }, x: { field: 'accuracy', type: 'quantitative' }, text: { field: 'accuracy', type: 'quantitative', format: '.1f' } },
          },
        ],
      },
    },
    {
      name: 'confusion',
      title: 'Confusion matrix (best model, test set)',
      spec: {
        title: 'Confusion matrix (rows: true class; colour: share of the row)',
        width: 360,
        height: 360,
        config: CONFIG,
        data: { values: cells },
        encoding: {
          x: { field: 'predicted', type: 'nominal', sort: classes, title: 'predicted', axis: { labelAngle: -45 } },
          y: { field: 'true', type: 'nominal', sort: classes, title: 'true' },
        },
        layer: [
          { mark: 'rect', encoding: { color: { field: 'share', type: 'quantitative', scale: { scheme: 'blues', domain: [0, 1] }, title: 'share' } } },
          {
            mark: { type: 'text', fontSize: 9 },
            encoding: {
              text: { field: 'count', type: 'quantitative' },
              color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: 'black' },
            },
          },
        ],
      },
    },
  ];
}

/** Compiles each Vega-Lite spec and renders it to an SVG string with Vega's headless renderer. */
export async function renderCharts(charts: Chart[]): Promise<Map<string, string>> {
  const vega = await importEsm('vega');
  const vl = await importEsm('vega-lite');
  const out = new Map<string, string>();
  for (const chart of charts) {
    const view = new vega.View(vega.parse(vl.compile(chart.spec).spec), { renderer: 'none' });
    try {
      out.set(chart.name, await view.toSVG());
    } finally {
      view.finalize();
    }
  }
  return out;
}
