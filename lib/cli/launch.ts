// `libtorch-node launch --nproc-per-node N <script> [args]`: torchrun for users without Python. Starts N
// ranks of the script with torchrun's environment (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE,
// GROUP_RANK, MASTER_ADDR, MASTER_PORT), forwards SIGINT/SIGTERM to them, and when one rank fails ends
// the others (SIGTERM, then SIGKILL after a grace period, as torchrun) and exits with the failure's code.
import { ChildProcess, spawn } from 'child_process';
import * as net from 'net';
import * as os from 'os';
import { UsageError } from './flags';

const USAGE = `Usage: libtorch-node launch [flags] <script> [script args]
Runs <script> as --nproc-per-node ranks with torchrun's environment variables.
A .js/.mjs/.cjs script runs with node, a .ts/.mts/.cts script with node --import tsx; with --no-python
(torchrun's flag) <script> is a program run as it is (e.g. npx tsx examples/train.ts).

Flags (before <script>):
  --nproc-per-node N   ranks on this machine (1)
  --nnodes N           machines (1); --node-rank R: this machine's index (0)
  --master-addr HOST   the rank-0 machine's address (127.0.0.1)
  --master-port PORT   its TCPStore port (29500)
  --standalone         one machine, a free port picked by the launcher
  --no-python          run <script> as a program
  -h, --help           this text`;

interface LaunchConfig {
  nproc: number;
  nnodes: number;
  nodeRank: number;
  masterAddr: string;
  masterPort: number | null;
  noPython: boolean;
  command: string[];
}

function intValue(flag: string, v: string | undefined, min: number): number {
  if (v === undefined) throw new UsageError(`${flag} needs a value`);
  if (!/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`${flag} must be an integer ≥ ${min}, got '${v}'`);
  return Number(v);
}

/** Flags up to the first argument that is not one; the rest is the script and its arguments. */
export function parseLaunchArgs(argv: string[]): LaunchConfig | 'help' {
  const c: LaunchConfig = { nproc: 1, nnodes: 1, nodeRank: 0, masterAddr: '127.0.0.1', masterPort: 29500, noPython: false, command: [] };
  let i = 0;
  for (; i < argv.length && argv[i].startsWith('-'); i++) {
    const [flag, inline] = argv[i].includes('=') ? [argv[i].slice(0, argv[i].indexOf('=')), argv[i].slice(argv[i].indexOf('=') + 1)] : [argv[i], undefined];
    const value = () => inline ?? argv[++i];
    switch (flag.replace(/_/g, '-')) {
      case '-h':
      case '--help':
        return 'help';
      case '--nproc-per-node':
        c.nproc = intValue(flag, value(), 1);
        break;
      case '--nnodes':
        c.nnodes = intValue(flag, value(), 1);
        break;
      case '--node-rank':
        c.nodeRank = intValue(flag, value(), 0);
        break;
      case '--master-addr': {
        const v = value();
        if (!v) throw new UsageError('--master-addr needs a value');
        c.masterAddr = v;
        break;
      }
      case '--master-port':
        c.masterPort = intValue(flag, value(), 1);
        if (c.masterPort > 65535) throw new UsageError(`--master-port must be at most 65535, got ${c.masterPort}`);
        break;
      case '--standalone':
        c.masterPort = null;
        break;
      case '--no-python':
        c.noPython = true;
        break;
      default:
        throw new UsageError(`unknown flag '${argv[i]}' (see --help)`);
    }
  }
  if (c.nodeRank >= c.nnodes) throw new UsageError(`--node-rank must be below --nnodes (${c.nnodes}), got ${c.nodeRank}`);
  if (c.masterPort === null && c.nnodes > 1) throw new UsageError('--standalone is for one machine (--nnodes 1)');
  c.command = argv.slice(i);
  if (c.command.length === 0) throw new UsageError('expected a script to run (see --help)');
  return c;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

function program(c: LaunchConfig): string[] {
  if (c.noPython) return c.command;
  const [script, ...args] = c.command;
  if (/\.[mc]?ts$/.test(script)) return [process.execPath, '--import', 'tsx', script, ...args];
  if (/\.[mc]?js$/.test(script)) return [process.execPath, script, ...args];
  throw new UsageError(`'${script}' is not a .js or .ts script: pass --no-python to run it as a program`);
}

// torchrun's grace (PContext.close(death_sig, timeout=30)): a rank stopping after its current step on
// Ctrl-C finishes that step and writes its last lines, however loaded the machine.
const GRACE_MS = 30_000;

/** torchrun's environment for one rank of this machine. */
function rankEnv(c: LaunchConfig, local: number, port: number): NodeJS.ProcessEnv {
  const rank = c.nodeRank * c.nproc + local;
  const worldSize = c.nproc * c.nnodes;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RANK: String(rank),
    LOCAL_RANK: String(local),
    WORLD_SIZE: String(worldSize),
    LOCAL_WORLD_SIZE: String(c.nproc),
    GROUP_RANK: String(c.nodeRank),
    ROLE_RANK: String(rank),
    ROLE_WORLD_SIZE: String(worldSize),
    MASTER_ADDR: c.masterAddr,
    MASTER_PORT: String(port),
  };
  // torchrun's default for more than one rank per machine: the ranks share the cores.
  if (env.OMP_NUM_THREADS === undefined && c.nproc > 1) env.OMP_NUM_THREADS = '1';
  return env;
}

/** This machine's ranks: the first failure (or forwarded signal) ends the others and is the exit code. */
class Ranks {
  private readonly children: ChildProcess[] = [];
  private killTimer: NodeJS.Timeout | null = null;
  failure: number | null = null;

  /** SIGTERM (or the forwarded signal) to every running rank, SIGKILL after the grace period. */
  endAll(signal: NodeJS.Signals): void {
    const running = () => this.children.filter((child) => child.exitCode === null && child.signalCode === null);
    for (const child of running()) child.kill(signal);
    if (!this.killTimer) {
      this.killTimer = setTimeout(() => {
        for (const child of running()) child.kill('SIGKILL');
      }, GRACE_MS);
      this.killTimer.unref();
    }
  }

  /** A handler for a signal sent to the launcher: it becomes the exit status and goes on to the ranks. */
  forward(signal: NodeJS.Signals): () => void {
    return () => {
      this.failure ??= 128 + os.constants.signals[signal];
      this.endAll(signal);
    };
  }

  /** Starts one rank; resolves when it has ended. */
  start(rank: number, cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
    const child = spawn(cmd, args, { stdio: 'inherit', env });
    this.children.push(child);
    return new Promise<void>((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null) => {
        const status = code ?? (signal ? 128 + os.constants.signals[signal] : 1);
        if (status !== 0 && this.failure === null) {
          this.failure = status;
          console.error(`libtorch-node launch: rank ${rank} ${signal ? `ended by ${signal}` : `exited with code ${code}`}; ending the other ranks`);
          this.endAll('SIGTERM');
        }
        resolve();
      };
      child.on('exit', done);
      child.on('error', (e) => {
        console.error(`libtorch-node launch: rank ${rank} could not start '${cmd}': ${e.message}`);
        done(127, null);
      });
    });
  }

  stopTimer(): void {
    if (this.killTimer) clearTimeout(this.killTimer);
  }
}

export async function launchCommand(argv: string[]): Promise<number> {
  const c = parseLaunchArgs(argv);
  if (c === 'help') {
    console.log(USAGE);
    return 0;
  }
  const [cmd, ...args] = program(c);
  const port = c.masterPort ?? (await freePort());
  const ranks = new Ranks();
  const onInt = ranks.forward('SIGINT');
  const onTerm = ranks.forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  const exits = Array.from({ length: c.nproc }, (_, local) => ranks.start(c.nodeRank * c.nproc + local, cmd, args, rankEnv(c, local, port)));
  await Promise.all(exits);
  process.off('SIGINT', onInt);
  process.off('SIGTERM', onTerm);
  ranks.stopTimer();
  return ranks.failure ?? 0;
}
