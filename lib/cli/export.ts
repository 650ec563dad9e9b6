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

const PROBE = 'import torch, torch._inductor; torch._inductor.aoti_compile_and_package; print(torch.__version__)';

/** The first candidate Python whose torch has AOTInductor's packaging, with its torch version; null if none. */
export function findExportPython(candidates: string[]): { python: string; torch: string } | null {
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', PROBE], { encoding: 'utf8' });
    if (r.status === 0) return { python, torch: r.stdout.trim() };
  }
  return null;
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
  const found = findExportPython(candidates);
  if (!found) {
    throw new TorchError(`export: no Python with PyTorch ≥ 2.6 (torch._inductor.aoti_compile_and_package) among ${candidates.join(', ')}; pass --python or set TORCH_NODE_PYTHON`);
  }
  if (!fs.existsSync(EXPORT_SCRIPT)) throw new TorchError(`export: ${EXPORT_SCRIPT} is missing from this install`);
  console.error(`compiling with ${found.python} (torch ${found.torch}); this takes a minute or more`);
  const r = spawnSync(found.python, [EXPORT_SCRIPT, checkpoint, output, '--device', device, '--max-batch', String(maxBatch)], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) throw new TorchError(`export: ${path.basename(EXPORT_SCRIPT)} failed (exit ${r.status ?? r.signal}); its messages are above`);
  return 0;
}
