// The reproduction's table (He et al. 2016, Table 6: ResNets on CIFAR-10) from run folders: table.json,
// table.md and one report.html with every run's curves, beside the paper's and two reproductions' figures.
import * as fs from 'fs';
import * as path from 'path';
import { tidy } from '../memory';
import { writeFileAtomic } from '../utils/atomic';
import { DEPTHS } from './options';
import type { EpochRecord } from './records';
import { readLog } from './report';
import { Chart, renderCharts } from './report_charts';

export type Depth = 20 | 32 | 44 | 56 | 110;

/** He et al. (2016), Table 6: test error (%) on CIFAR-10, option A shortcuts. */
export const PAPER_ERROR: Record<Depth, number> = { 20: 8.75, 32: 7.51, 44: 7.17, 56: 6.97, 110: 6.43 };
/** Test accuracy (%) of careful reproductions: akamaster/pytorch_resnet_cifar10 (option A), chenyaofo/pytorch-cifar-models (option B, 20–56). */
export const REPRODUCTIONS: Record<'A' | 'B', { source: string; accuracy: Partial<Record<Depth, number>> }> = {
  A: { source: 'akamaster/pytorch_resnet_cifar10', accuracy: { 20: 91.73, 32: 92.63, 44: 93.1, 56: 93.39, 110: 93.68 } },
  B: { source: 'chenyaofo/pytorch-cifar-models', accuracy: { 20: 92.6, 32: 93.53, 44: 94.01, 56: 94.37 } },
};

export interface RunSpec {
  depth: Depth;
  shortcut: 'A' | 'B';
  seed: number;
}

/** A run's folder name under --out: resnet20A-seed1. */
export const runName = (r: RunSpec) => `resnet${r.depth}${r.shortcut}-seed${r.seed}`;

export interface TableRow extends RunSpec {
  run: string;
  parameters: number;
  /** Best and last test accuracy (%) of the epochs logged; null before the first epoch. */
  bestAccuracy: number | null;
  finalAccuracy: number | null;
  /** Epochs finished, and planned. */
  epochs: number;
  epochsPlanned: number;
  /** Sum of the epochs' seconds (training and test pass) on the run's device, shared with the runs beside it. */
  seconds: number;
  /** Each finished epoch's seconds, for throughput. */
  epochSeconds: number[];
  status: 'finished' | 'unfinished' | 'failed';
  error?: string;
  /** He et al.'s error (%) for the depth, and the same as accuracy. */
  paper: { error: number; accuracy: number };
  /** The reproduction's accuracy (%) for this shortcut and depth, where it reports one. */
  reproduction: { source: string; accuracy: number } | null;
}

export interface Table {
  device: string;
  generatedAt: string;
  /** Wall seconds of the reproduce call that wrote the table, and the epochs it trained in them. */
  wallSeconds: number;
  epochsThisCall: number;
  rows: TableRow[];
}

const parameterCounts = new Map<string, number>();
function parameters(r: RunSpec): number {
  const key = `${r.depth}${r.shortcut}`;
  if (!parameterCounts.has(key)) parameterCounts.set(key, tidy(() => DEPTHS[r.depth]({ shortcut: r.shortcut }).parameterCount()));
  return parameterCounts.get(key)!;
}

/** A table row from a run's folder (its log.jsonl); `failure` when the run failed in this call. */
export function tableRow(dir: string, spec: RunSpec, epochsPlanned: number, failure?: Error): TableRow {
  const { history } = readLog(path.join(dir, 'log.jsonl'));
  const epochs = history.length;
  const finished = epochs >= epochsPlanned;
  const reproduction = REPRODUCTIONS[spec.shortcut].accuracy[spec.depth];
  return {
    run: runName(spec),
    ...spec,
    parameters: parameters(spec),
    bestAccuracy: epochs ? Math.max(...history.map((r) => r.testAcc)) : null,
    finalAccuracy: epochs ? history[epochs - 1].testAcc : null,
    epochs,
    epochsPlanned,
    seconds: history.reduce((s, r) => s + r.seconds, 0),
    epochSeconds: history.map((r) => r.seconds),
    status: failure ? 'failed' : finished ? 'finished' : 'unfinished',
    ...(failure ? { error: failure.message } : {}),
    paper: { error: PAPER_ERROR[spec.depth], accuracy: Number((100 - PAPER_ERROR[spec.depth]).toFixed(2)) },
    reproduction: reproduction === undefined ? null : { source: REPRODUCTIONS[spec.shortcut].source, accuracy: reproduction },
  };
}

const pct = (v: number | null) => (v === null ? '–' : v.toFixed(2));

/** table.md: one row per run, the paper's and the reproduction's accuracy beside ours. */
export function tableMarkdown(t: Table): string {
  const head = ['depth', 'shortcut', 'parameters', 'seed', 'best acc %', 'final acc %', 'epochs', `${t.device} s`, 'He et al. acc % (error)', 'reproduction acc %'];
  const rows = t.rows.map((r) =>
    [
      r.depth,
      r.shortcut,
      r.parameters.toLocaleString('en-US'),
      r.seed,
      pct(r.bestAccuracy),
      pct(r.finalAccuracy),
      r.status === 'failed' ? `failed: ${r.error}` : `${r.epochs}/${r.epochsPlanned}`,
      r.seconds.toFixed(1),
      `${r.paper.accuracy.toFixed(2)} (${r.paper.error.toFixed(2)})`,
      r.reproduction ? `${r.reproduction.accuracy.toFixed(2)} (${r.reproduction.source})` : '–',
    ].join(' | '),
  );
  return [
    `# ResNets on CIFAR-10 (He et al. 2016, Table 6)`,
    '',
    `Device ${t.device}; written ${t.generatedAt}; this call trained ${t.epochsThisCall} epochs in ${t.wallSeconds.toFixed(1)} s.`,
    '',
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r} |`),
    '',
  ].join('\n');
}

function perRunChart(name: string, title: string, yTitle: string, rows: TableRow[], histories: Map<string, EpochRecord[]>, value: (r: EpochRecord) => number): Chart {
  const values = rows.flatMap((row) => (histories.get(row.run) ?? []).map((r) => ({ epoch: r.epoch, run: row.run, value: value(r) })));
  return {
    name,
    title,
    spec: {
      title,
      width: 520,
      height: 260,
      config: { font: 'sans-serif', view: { stroke: null } },
      data: { values },
      mark: { type: 'line', point: values.length <= 120 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } },
        color: { field: 'run', type: 'nominal', title: null, legend: { orient: 'top' } },
      },
    },
  };
}

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** report.html: the table, then every run's test accuracy, training loss and learning rate on shared charts. */
export async function tableReport(out: string, t: Table): Promise<string> {
  const histories = new Map(t.rows.map((r) => [r.run, readLog(path.join(out, r.run, 'log.jsonl')).history]));
  const charts = [
    perRunChart('test-accuracy', 'Test accuracy per epoch', 'test accuracy (%)', t.rows, histories, (r) => r.testAcc),
    perRunChart('train-loss', 'Training loss per epoch', 'cross-entropy', t.rows, histories, (r) => r.trainLoss),
    perRunChart('lr', 'Learning rate per epoch', 'learning rate', t.rows, histories, (r) => r.lr),
  ];
  const svgs = await renderCharts(charts);
  const md = tableMarkdown(t).split('\n').filter((l) => l.startsWith('|') && !l.startsWith('| ---'));
  const cells = (l: string, tag: string) => l.slice(2, -2).split(' | ').map((c) => `<${tag}>${esc(c)}</${tag}>`).join('');
  const links = t.rows.map((r) => `<li><a href="${esc(r.run)}/report.html">${esc(r.run)}</a> (${esc(r.status)})</li>`).join('');
  const html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ResNets on CIFAR-10: reproduction</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ddd;padding:2px 8px;text-align:right}.charts{display:flex;flex-wrap:wrap;gap:16px}
figure{margin:0;border:1px solid #eee;padding:4px}</style></head>
<body>
<h1>ResNets on CIFAR-10 (He et al. 2016, Table 6)</h1>
<p>Device ${esc(t.device)} · written ${esc(t.generatedAt)} · this call trained ${t.epochsThisCall} epochs in ${t.wallSeconds.toFixed(1)} s.</p>
<table><thead><tr>${cells(md[0], 'th')}</tr></thead><tbody>${md.slice(1).map((l) => `<tr>${cells(l, 'td')}</tr>`).join('')}</tbody></table>
<h2>Every run</h2>
<div class="charts">${charts.map((c) => `<figure id="chart-${c.name}">${svgs.get(c.name)}</figure>`).join('')}</div>
<h2>Each run's own report</h2><ul>${links}</ul>
<script type="application/json" id="table-data">${JSON.stringify(t).replace(/</g, '\\u003c')}</script>
</body></html>
`;
  const file = path.join(out, 'report.html');
  writeFileAtomic(file, html);
  return file;
}

/** Writes table.json, table.md and report.html into `out`; returns their paths. A report that cannot be drawn is printed, not thrown (the table stands). */
export async function writeTable(out: string, t: Table, print: (line: string) => void = console.log): Promise<string[]> {
  fs.mkdirSync(out, { recursive: true });
  const json = path.join(out, 'table.json');
  const md = path.join(out, 'table.md');
  writeFileAtomic(json, JSON.stringify(t, null, 2) + '\n');
  writeFileAtomic(md, tableMarkdown(t));
  try {
    return [json, md, await tableReport(out, t)];
  } catch (e) {
    print(`(report.html not written: ${(e as Error).message})`);
    return [json, md];
  }
}
