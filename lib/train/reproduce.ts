// reproduce(): He et al.'s CIFAR-10 table as one call. Every depth × seed is a trainResNet20 run in its
// own folder under `out` (resnet20A-seed1, …), all trained at once by trainMany. Rerun with the same
// `out`, it resumes every unfinished run from its last.pth and skips the finished ones, so a folder of
// checkpoints carried to another machine continues there. Ends with table.json, table.md, report.html.
import * as fs from 'fs';
import * as path from 'path';
import { cuda } from '../cuda';
import { TorchError } from '../errors';
import { LAST_FILE } from './checkpoint';
import { RunOutcome, trainMany } from './many';
import type { TrainOptions } from './options';
import { readStoredRun } from './resume';
import { Depth, RunSpec, Table, runName, tableRow, writeTable } from './reproduce_table';

export interface ReproduceOptions {
  depths: Depth[];
  shortcut: 'A' | 'B';
  seeds: number[];
  /** The folder of the runs' folders and of the table. */
  out: string;
  /** Options every run shares (epochs, limits, data, device, …); depth, shortcut, seed and checkpointDir are set per run. */
  train?: TrainOptions;
  /** Stop every run after its current step once this many seconds have passed (a lease's end); rerun to resume. */
  stopAfterSeconds?: number;
  print?: (line: string) => void;
  handleSigint?: boolean;
}

export interface ReproduceResult {
  table: Table;
  files: string[];
  outcomes: RunOutcome[];
}

const DEFAULT_EPOCHS = 200; // trainResNet20's

export async function reproduce(o: ReproduceOptions): Promise<ReproduceResult> {
  const print = o.print ?? ((line: string) => console.log(line));
  const t0 = performance.now();
  const specs = o.depths.flatMap((depth) => o.seeds.map((seed): RunSpec => ({ depth, shortcut: o.shortcut, seed })));
  if (specs.length === 0) throw new TorchError('reproduce: no run (depths and seeds must not be empty)');
  const planned = new Map<string, number>();
  const configs: TrainOptions[] = [];
  let epochsBefore = 0;
  for (const spec of specs) {
    const dir = path.join(o.out, runName(spec));
    const stored = readStoredRun(dir);
    const epochs = o.train?.epochs ?? stored?.config?.epochs ?? DEFAULT_EPOCHS;
    planned.set(runName(spec), epochs);
    epochsBefore += stored?.epochsDone ?? 0;
    if (stored && stored.epochsDone >= epochs) {
      print(`${runName(spec)} | finished earlier (${stored.epochsDone}/${epochs} epochs): skipped`);
      continue;
    }
    if (stored) print(`${runName(spec)} | resuming after epoch ${stored.epochsDone}/${epochs}`);
    configs.push({ ...o.train, ...spec, checkpointDir: dir, resume: fs.existsSync(path.join(dir, LAST_FILE)) });
  }
  const signal = o.stopAfterSeconds === undefined ? undefined : AbortSignal.timeout(o.stopAfterSeconds * 1000);
  const outcomes = configs.length ? await trainMany(configs, { print, handleSigint: o.handleSigint, signal }) : [];
  const failures = new Map(outcomes.filter((r) => r.status === 'failed').map((r) => [r.name, r.error]));
  const rows = specs.map((s) => tableRow(path.join(o.out, runName(s)), s, planned.get(runName(s))!, failures.get(runName(s))));
  const table: Table = {
    device: o.train?.device ?? (cuda.isAvailable() ? 'cuda' : 'cpu'), // trainResNet20's default
    generatedAt: new Date().toISOString(),
    wallSeconds: (performance.now() - t0) / 1000,
    epochsThisCall: rows.reduce((n, r) => n + r.epochs, 0) - epochsBefore,
    rows,
  };
  const files = await writeTable(o.out, table, print);
  return { table, files, outcomes };
}
