// config.json in a run folder: the resolved training options, the versions and the machine, written
// when training starts so that a report made later (or elsewhere) describes the run, not the viewer.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cuda } from '../cuda';
import { getNumThreads, libtorchVersion } from '../tensor';
import { writeFileAtomic } from '../utils/atomic';

export const CONFIG_FILE = 'config.json';

export interface RunInfo {
  /** The training options as resolved (functions left out). */
  options: Record<string, unknown>;
  versions: Record<string, string>;
  machine: Record<string, string | number>;
  startedAt: string;
}

function packageVersion(): string {
  // lib/train/ and dist/train/ both sit two levels under the package root.
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

export function versionsAndMachine(): Pick<RunInfo, 'versions' | 'machine'> {
  const cpus = os.cpus();
  const machine: Record<string, string | number> = {
    host: os.hostname(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    torchThreads: getNumThreads(),
  };
  if (cuda.isAvailable()) machine.cudaDevices = cuda.deviceCount();
  return {
    versions: { 'libtorch-node': packageVersion(), libtorch: libtorchVersion, node: process.version },
    machine,
  };
}

export function writeRunInfo(dir: string, options: object): void {
  // Functions (print) and objects that are not plain data (an AbortSignal) are not configuration.
  const isData = (v: unknown) => typeof v !== 'function' && (v === null || typeof v !== 'object' || Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype);
  const plain = Object.fromEntries(Object.entries(options).filter(([, v]) => isData(v)));
  const info: RunInfo = { options: plain, ...versionsAndMachine(), startedAt: new Date().toISOString() };
  writeFileAtomic(path.join(dir, CONFIG_FILE), JSON.stringify(info, null, 2) + '\n');
}

export function readRunInfo(dir: string): RunInfo | null {
  const file = path.join(dir, CONFIG_FILE);
  if (!fs.existsSync(file)) return null;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as RunInfo;
}
