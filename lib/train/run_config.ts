// The run's configuration, stored in last.pth under 'config', so that a resumed run is the same run:
// `--resume` alone continues with the stored epochs, limits, schedule, depth…; an option that
// contradicts the stored value is refused with one line saying what to do; a larger `epochs` is the
// one change allowed (it extends the schedule).
import * as dist from '../distributed';
import { TorchError } from '../errors';
import type { TrainOptions } from './options';

export const CONFIG_KEYS = [
  'epochs', 'batchSize', 'testBatchSize', 'lr', 'momentum', 'weightDecay', 'nesterov', 'schedule', 'warmupEpochs',
  'depth', 'shortcut', 'labelSmoothing', 'augment', 'seed', 'limitTrain', 'limitTest',
] as const;

export type ConfigKey = (typeof CONFIG_KEYS)[number];
/** The options that define the run, and the number of ranks it trains on (not an option: torchrun's WORLD_SIZE). */
export type RunConfig = Partial<Pick<TrainOptions, ConfigKey>> & { worldSize?: number };

/**
 * The ranks a training with these options runs on: the process group's size when it is distributed
 * (the group, or torchrun's WORLD_SIZE before the group is formed), else 1.
 */
export function worldSizeOf(o: Pick<TrainOptions, 'distributed'>): number {
  if (!o.distributed) return 1;
  if (dist.isAvailable() && dist.isInitialized()) return dist.getWorldSize();
  return Number(process.env.WORLD_SIZE ?? 1);
}

/** The configuration to store: the resolved options' values for CONFIG_KEYS (absent ones left out), and the world size. */
export function runConfig(o: TrainOptions): RunConfig {
  const out: Record<string, unknown> = {};
  for (const k of CONFIG_KEYS) if (o[k] !== undefined) out[k] = o[k];
  out.worldSize = worldSizeOf(o);
  return out as RunConfig;
}

/** How an option is named to the user: the API's name, or the CLI's flag. */
export type OptionNamer = (key: ConfigKey) => string;

/**
 * Options for resuming a run stored with `stored`: the stored values, overridden only where `given`
 * asks for nothing different. Throws a TorchError naming the first contradiction. `extended` is true
 * when `given.epochs` asks for more epochs than stored (the schedule is rebuilt for the new length).
 */
export function resumeOptions(storedRun: RunConfig, given: TrainOptions, name: OptionNamer = (k) => k): { options: TrainOptions; extended: boolean } {
  const { worldSize, ...stored } = storedRun;
  checkWorldSize(worldSize, worldSizeOf(given));
  let extended = false;
  for (const k of CONFIG_KEYS) {
    const want = given[k];
    // The seed only starts a run: a resumed one takes its random generators' states from last.pth.
    if (want === undefined || want === stored[k] || k === 'seed') continue;
    if (k === 'epochs' && stored.epochs !== undefined && (want as number) > stored.epochs) {
      extended = true;
      continue;
    }
    const was = stored[k] === undefined ? 'not set' : String(stored[k]);
    const hint =
      k === 'epochs'
        ? `pass a number above ${stored.epochs} to train longer, or leave it out`
        : `leave it out to continue that run, or start a new run in another checkpoint folder`;
    throw new TorchError(`resume: ${name(k)} ${String(want)} contradicts the run being resumed (${name(k)} ${was}); ${hint}`);
  }
  return { options: { ...stored, ...given }, extended };
}

// As PyTorch's elastic agent, a run resumes on the number of ranks it was trained on: each rank's shard
// of the data, the sampler's position in its epoch and the effective batch (batch size × ranks) all
// depend on it, so the same checkpoint on another number of ranks would be another run. (Checkpoints
// from before the world size was stored have none to compare.)
function checkWorldSize(stored: number | undefined, now: number): void {
  if (stored === undefined || stored === now) return;
  const ranks = (n: number) => `${n} rank${n === 1 ? '' : 's'}`;
  throw new TorchError(
    `resume: the run being resumed was trained on ${ranks(stored)} (world size ${stored}) and this one has ${ranks(now)} (world size ${now}); ` +
      `resume it with ${stored} (libtorch-node launch --nproc-per-node ${stored}${stored === 1 ? ', or without launch' : ''}), or start a new run in another checkpoint folder`,
  );
}

/** Reads the stored configuration from a checkpoint's value, or undefined for checkpoints from before it was stored. */
export function storedConfig(state: { config?: unknown }): RunConfig | undefined {
  const c = state.config;
  if (c === undefined || c === null || typeof c !== 'object') return undefined;
  return (c instanceof Map ? Object.fromEntries(c) : c) as RunConfig;
}
