// A Python with TensorBoard (and torch, for comparisons with PyTorch's SummaryWriter):
// $TORCH_NODE_TB_PYTHON, else the reference Python. Tests that need it skip when it is absent.
import { execFileSync } from 'child_process';
import { PYTHON } from './python';

export const TB_PYTHON = process.env.TORCH_NODE_TB_PYTHON ?? PYTHON;

function canImport(mod: string): boolean {
  try {
    execFileSync(TB_PYTHON, ['-c', `import ${mod}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const hasTensorboard = canImport('tensorboard');
export const hasTorchTensorboard = hasTensorboard && canImport('torch.utils.tensorboard');
if (!hasTensorboard) console.warn(`TensorBoard tests: no tensorboard in ${TB_PYTHON} (set TORCH_NODE_TB_PYTHON): skipped`);

/** Runs `script` with the JSON `input` as `inp`; its last printed line is parsed as JSON. */
export function tbPython<T>(script: string, input: unknown): T {
  const out = execFileSync(TB_PYTHON, ['-c', 'import json, sys\ninp = json.loads(sys.stdin.read())\n' + script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}

/** Scalars per tag as TensorBoard's EventAccumulator serves them: {tag: [[step, value], …]}. */
export const READ_SCALARS = `
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
ea = EventAccumulator(inp['dir'], size_guidance={'scalars': 0})
ea.Reload()
print(json.dumps({t: [[e.step, e.value] for e in ea.Scalars(t)] for t in ea.Tags()['scalars']}))
`;
