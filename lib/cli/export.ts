// `libtorch-node export <checkpoint> <out.pt2>`: compiles a checkpoint of this library (ckpt.pth from
// training) into an AOTInductor package that torch.export.load and `predict` run. The compiling is
// PyTorch's (torch.export + AOTInductor, a C++ compiler), so this runs examples/export_pt2.py with the
// user's Python: $TORCH_NODE_PYTHON, else python3, else python, the first whose torch can do it.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { TorchError } from '../errors';
import { FlagSpec, UsageError, choiceFlag, helpText, intFlag, stringFlag } from './flags';
import { existing, parseWithPaths } from './positional';

const FLAGS: Record<string, FlagSpec> = {
  device: { type: 'string', value: 'D', help: 'cpu | cuda: the device the package runs on (cpu)' },
  'max-batch': { type: 'string', value: 'N', help: 'the largest batch the package accepts (1024)' },
  python: { type: 'string', value: 'P', help: 'the Python to compile with (default: $TORCH_NODE_PYTHON, python3, python)' },
  help: { type: 'boolean', short: 'h', help: 'this text' },
};
const USAGE =
  'Usage: libtorch-node export <checkpoint> <out.pt2> [flags]\n' +
  'Compiles a checkpoint (ckpt.pth) into an AOTInductor package (.pt2) with PyTorch ≥ 2.6 and a C++ compiler.';

/** examples/export_pt2.py, in a checkout and in the installed package alike. */
export const EXPORT_SCRIPT = path.join(__dirname, '..', '..', 'examples', 'export_pt2.py');

// Prints 'ok <version>' when torch can package with AOTInductor, 'old <version>' when torch is there
// without it, 'none' without torch.
const PROBE = [
  'try:',
  '    import torch',
  'except Exception:',
  '    print("none"); raise SystemExit',
  'try:',
  '    import torch._inductor; torch._inductor.aoti_compile_and_package',
  '    print("ok", torch.__version__)',
  'except Exception:',
  '    print("old", torch.__version__)',
].join('\n');

/** What a candidate Python has: its torch version when it has one, and whether that torch can export. */
export interface PythonProbe {
  python: string;
  /** 'missing': not found or not runnable; 'no-torch': runs, without torch; 'old': torch < 2.6; 'ok'. */
  state: 'missing' | 'no-torch' | 'old' | 'ok';
  torch?: string;
}

export function probePython(python: string): PythonProbe {
  const r = spawnSync(python, ['-c', PROBE], { encoding: 'utf8' });
  const [state, version] = r.status === 0 ? r.stdout.trim().split(/\s+/) : [];
  if (state === 'ok' || state === 'old') return { python, state, torch: version };
  return { python, state: state === 'none' ? 'no-torch' : 'missing' };
}

function describeProbe(p: PythonProbe): string {
  if (p.state === 'missing') return `${p.python} was not found (or does not run)`;
  if (p.state === 'no-torch') return `${p.python} has no torch`;
  return `${p.python} has torch ${p.torch}`;
}

/** The one line for a machine without a Python that can export: each candidate and its torch, and the fix. */
export function noExportPythonMessage(probes: PythonProbe[]): string {
  return (
    `no Python with PyTorch ≥ 2.6 (torch.export and AOTInductor packaging): ${probes.map(describeProbe).join(', ')}; ` +
    "install it (pip install 'torch>=2.6') and pass --python PATH or set TORCH_NODE_PYTHON"
  );
}

export async function exportCommand(argv: string[]): Promise<number> {
  const { values, paths } = parseWithPaths(argv, FLAGS);
  if (values.help === true) {
    console.log(helpText(USAGE, FLAGS));
    return 0;
  }
  if (paths.length !== 2) throw new UsageError('expected a checkpoint and the .pt2 file to write (see --help)');
  const [checkpoint, output] = paths;
  existing(checkpoint, 'checkpoint', 'file');
  const device = choiceFlag(values, 'device', ['cpu', 'cuda'] as const) ?? 'cpu';
  const maxBatch = intFlag(values, 'max-batch', 1) ?? 1024;
  const asked = stringFlag(values, 'python');
  const candidates = asked ? [asked] : [process.env.TORCH_NODE_PYTHON, 'python3', 'python'].filter((p): p is string => !!p);
  const probes = candidates.map(probePython);
  const found = probes.find((p) => p.state === 'ok');
  if (!found) throw new TorchError(noExportPythonMessage(probes));
  if (!fs.existsSync(EXPORT_SCRIPT)) throw new TorchError(`export: ${EXPORT_SCRIPT} is missing from this install`);
  console.error(`compiling with ${found.python} (torch ${found.torch}); this takes a minute or more`);
  const r = spawnSync(found.python, [EXPORT_SCRIPT, checkpoint, output, '--device', device, '--max-batch', String(maxBatch)], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) throw new TorchError(`export: ${path.basename(EXPORT_SCRIPT)} failed (exit ${r.status ?? r.signal}); its messages are above`);
  return 0;
}
