// Spawns the ranks of a process group as child processes on 127.0.0.1 with a free port, the way
// torchrun does (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), and collects what each prints.
import { ChildProcess, spawn } from 'child_process';
import * as net from 'net';
import * as path from 'path';
import * as torch from '../../lib';

export const root = path.join(__dirname, '../..');

/** Why the tests that run gloo groups skip in this build, said once on stderr; null where they run. */
export const glooMissing = torch.distributed.isGlooAvailable()
  ? null
  : 'test/distributed: skipped, this build has no gloo backend (apt-get install libgloo-dev, then rebuild: npm run build)';
if (glooMissing) console.warn(glooMissing);
export const fixture = (name: string) => path.join(__dirname, 'fixtures', name);

/** A port the OS just handed out (bound, then released): never a fixed port, as tests run in parallel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export interface RankResult {
  rank: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  /** The last line of stdout parsed as JSON, or null. */
  json: any;
}

const live = new Set<ChildProcess>();

/** Kills every rank still running (for afterAll). */
export function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

export interface SpawnOptions {
  env?: Record<string, string>;
  /** Per-rank environment overrides (e.g. a wrong WORLD_SIZE on one rank). */
  rankEnv?: (rank: number) => Record<string, string>;
  /** Called with each child as it starts (e.g. to kill one). */
  onStart?: (rank: number, child: ChildProcess) => void;
  /** The program and its leading arguments (default: node with tsx, for a TypeScript script). */
  command?: string[];
}

/** Runs `script` (TypeScript through tsx, or options.command) as `worldSize` ranks; resolves when all have exited. */
export async function spawnRanks(script: string, worldSize: number, args: string[] = [], options: SpawnOptions = {}): Promise<RankResult[]> {
  const port = await freePort();
  const runs = Array.from({ length: worldSize }, (_, rank) => {
    const env = {
      ...process.env,
      OMP_NUM_THREADS: '1',
      RANK: String(rank),
      LOCAL_RANK: String(rank),
      WORLD_SIZE: String(worldSize),
      MASTER_ADDR: '127.0.0.1',
      MASTER_PORT: String(port),
      ...options.env,
      ...(options.rankEnv?.(rank) ?? {}),
    };
    const [program, ...lead] = options.command ?? [process.execPath, '--import', 'tsx'];
    const child = spawn(program, [...lead, script, ...args], { cwd: root, env });
    live.add(child);
    options.onStart?.(rank, child);
    let out = '';
    let stdout = '';
    child.stdout!.on('data', (d) => {
      out += d;
      stdout += d;
    });
    child.stderr!.on('data', (d) => (out += d));
    return new Promise<RankResult>((resolve) =>
      child.on('exit', (code, signal) => {
        live.delete(child);
        const lines = stdout.trim().split('\n');
        let json: any = null;
        try {
          json = JSON.parse(lines[lines.length - 1]);
        } catch {
          json = null;
        }
        resolve({ rank, code, signal, out, json });
      }),
    );
  });
  return Promise.all(runs);
}

/**
 * A PyTorch DDP error message as this library words it: on one line (a TorchError's message is one line), and
 * with the option spelt as here (`findUnusedParameters: true`, an option rather than a keyword argument).
 */
export function asWordedHere(pytorchMessage: string): string {
  return pytorchMessage
    .replace(/\s*\n\s*/g, ' ')
    .replace('passing the keyword argument ', 'passing the option ')
    .replaceAll('`find_unused_parameters=True`', '`findUnusedParameters: true`');
}
