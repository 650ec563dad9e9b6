// `libtorch-node reproduce`: He et al.'s CIFAR-10 table, every depth × seed trained at once on one device
// (train.reproduce → train.trainMany), one progress line per run and epoch; rerun to resume.
import { cuda } from '../cuda';
import { reproduce } from '../train/reproduce';
import type { Depth } from '../train/reproduce_table';
import { FlagSpec, FlagValues, UsageError, choiceFlag, helpText, parseFlags, positiveFlag, stringFlag } from './flags';
import { TRAIN_FLAGS, trainOptionsFromFlags } from './train';

// The train command's flags that apply to every run, with their meaning there.
const SHARED = ['epochs', 'limit-train', 'limit-test', 'data', 'download', 'device', 'batch-size', 'lr', 'schedule', 'threads', 'max-epochs-this-run'] as const;

export const REPRODUCE_FLAGS: Record<string, FlagSpec> = {
  depths: { type: 'string', value: 'LIST', help: 'comma-separated depths from 20, 32, 44, 56, 110 (all five)' },
  shortcut: { type: 'string', value: 'A|B', help: 'A: zero-padded identity (the paper, default), B: 1x1 projection' },
  seeds: { type: 'string', value: 'LIST', help: 'comma-separated seeds, one run per depth and seed (1)' },
  out: { type: 'string', value: 'DIR', help: 'the runs\' folders, table.md, table.json and report.html (reproduce)' },
  'stop-after': { type: 'string', value: 'S', help: 'stop every run after its current step once S seconds have passed; rerun to resume' },
  'skip-run-reports': { type: 'boolean', help: 'no report.html in each run\'s folder (the combined report.html is written)' },
  ...Object.fromEntries(SHARED.map((k) => [k, TRAIN_FLAGS[k]])),
  help: { type: 'boolean', short: 'h', help: 'this text' },
};

const USAGE =
  'Usage: libtorch-node reproduce [flags]\n' +
  'Trains ResNet-20/32/44/56/110 on CIFAR-10 at once on one device (the train recipe each), resumes unfinished runs\n' +
  'from --out, and writes the table beside He et al. (2016) and two reproductions: table.md, table.json, report.html.';

function listFlag(values: FlagValues, name: string, allowed: readonly number[] | null, fallback: number[]): number[] {
  const v = stringFlag(values, name);
  if (v === undefined) return fallback;
  const items = v.split(',').map((s) => s.trim());
  const nums = items.map(Number);
  const bad = items.find((s, i) => !/^\d+$/.test(s) || (allowed !== null && !allowed.includes(nums[i])));
  if (bad !== undefined) throw new UsageError(`--${name}: expected ${allowed ? allowed.join(', ') : 'non-negative integers'}, comma-separated; got '${bad}'`);
  if (new Set(nums).size !== nums.length) throw new UsageError(`--${name}: '${v}' names a value twice`);
  return nums;
}

/** The train command's argv for the shared flags given, so that they are read and checked as there. */
function trainArgv(values: FlagValues): string[] {
  return SHARED.flatMap((k) => (values[k] === undefined ? [] : values[k] === true ? [`--${k}`] : [`--${k}`, String(values[k])]));
}

export async function reproduceCommand(argv: string[]): Promise<number> {
  const values = parseFlags(argv, REPRODUCE_FLAGS);
  if (values.help === true) {
    console.log(helpText(USAGE, REPRODUCE_FLAGS));
    return 0;
  }
  const depths = listFlag(values, 'depths', [20, 32, 44, 56, 110], [20, 32, 44, 56, 110]) as Depth[];
  const seeds = listFlag(values, 'seeds', null, [1]);
  const shortcut = choiceFlag(values, 'shortcut', ['A', 'B'] as const) ?? 'A';
  const stopAfterSeconds = positiveFlag(values, 'stop-after');
  const { options } = trainOptionsFromFlags(trainArgv(values));
  const device = options.device ?? (cuda.isAvailable() ? 'cuda' : 'cpu');
  const out = stringFlag(values, 'out') ?? 'reproduce';
  let interrupted = false;
  process.once('SIGINT', () => (interrupted = true));
  const r = await reproduce({ depths, seeds, shortcut, out, stopAfterSeconds, train: { ...options, device, progress: 'none', report: values['skip-run-reports'] !== true } });
  console.log(`\n${r.files.join('\n')}\n`);
  console.log(r.table.rows.map((row) => `${row.run}: ${row.status}, best ${row.bestAccuracy?.toFixed(2) ?? '–'}%, ${row.epochs}/${row.epochsPlanned} epochs`).join('\n'));
  if (r.table.rows.some((row) => row.status === 'failed')) return 1;
  if (interrupted) return 130;
  return 0;
}
