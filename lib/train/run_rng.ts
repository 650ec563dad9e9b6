// One run's own random-number stream when several runs share a process (trainMany): the global
// generators (CPU, and the run's CUDA device) hold the run's state only while the run draws from them.
// A run alone seeds the global generators, builds its model from them and then draws its augmentation
// from the same streams; beside other runs it must draw exactly the same numbers, so each run carries
// its generator states and swaps them in around the code that draws (its training loader's batches).
import type { Generator } from '../data';
import type { BatchSource } from './evaluate';
import { dispose, keep } from '../memory';
import type { Batch } from '../data';
import { Tensor, getRngState, setRngState } from '../tensor';

export class RunRng {
  private states: Tensor[];

  /** Takes the global generators' present states (after the run's manualSeed and model building). */
  constructor(private readonly devices: string[]) {
    this.states = devices.map((d) => keep(getRngState(d)));
  }

  /** The device generators a run on `device` draws from: the CPU's, and its CUDA device's when it has one. */
  static devicesOf(device: string): string[] {
    return device.startsWith('cuda') ? ['cpu', device] : ['cpu'];
  }

  /** Replaces the run's states (a resumed run continues from last.pth's rng_state). */
  set(states: Record<string, Tensor | undefined>): void {
    this.devices.forEach((d, i) => {
      const s = states[d === 'cpu' ? 'cpu' : 'cuda'];
      if (!s) return;
      this.states[i].dispose();
      this.states[i] = keep(s.clone());
    });
  }

  /** Runs fn with the run's states in the global generators, and leaves the globals as they were. */
  with<T>(fn: () => T): T {
    const saved = this.devices.map((d) => getRngState(d));
    this.devices.forEach((d, i) => setRngState(this.states[i], d));
    try {
      return fn();
    } finally {
      const next = this.devices.map((d) => keep(getRngState(d)));
      dispose(this.states);
      this.states = next;
      this.devices.forEach((d, i) => setRngState(saved[i], d));
      dispose(saved);
    }
  }

  /** last.pth's rng_state as a run alone writes it: {cpu, cuda?, loader?} (fresh tensors, the file's to dispose). */
  checkpointState(generator: Generator | null | undefined): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    this.devices.forEach((d, i) => (out[d === 'cpu' ? 'cpu' : 'cuda'] = this.states[i].clone()));
    const loader = generator?.getState();
    if (loader) out.loader = loader;
    return out;
  }

  dispose(): void {
    dispose(this.states);
    this.states = [];
  }
}

/** What fit() needs of a training loader: batches, their count, and the shuffle generator. */
export interface TrainLoader {
  batches(): IterableIterator<Batch>;
  readonly length: number;
  readonly generator: Generator | null;
}

/**
 * A training loader whose batches are drawn with the run's generator states (random crops and flips use
 * the global generators). Like DataLoader's own async iterator it turns the event loop once per batch:
 * that is where the other runs take their steps.
 */
export function withRunRng(loader: TrainLoader, rng: RunRng): BatchSource & { readonly generator: Generator | null } {
  return {
    get length() {
      return loader.length;
    },
    generator: loader.generator,
    async *[Symbol.asyncIterator]() {
      const it = rng.with(() => loader.batches());
      try {
        for (;;) {
          const r = rng.with(() => it.next());
          if (r.done) return;
          await new Promise<void>((resolve) => setImmediate(resolve));
          yield r.value;
        }
      } finally {
        rng.with(() => it.return?.());
      }
    },
  };
}
