// AOTInductor packages compiled by Python torch (the addon's libtorch version) for the export tests, with
// Python's outputs of the same packages (torch._inductor.aoti_load_package) on the same inputs. Compiling
// takes a while (the C++ compiler), so packages and references are cached in the temporary folder under a
// key of the Python torch's version and the scripts that make them.
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PYTHON } from '../helpers/python';
import { SEED_MODEL } from '../helpers/seed_model';

const ROOT = path.join(__dirname, '..', '..');

/** Whether the reference Python can compile packages: torch 2.x with torch._inductor.aoti_compile_and_package. */
export function pythonCanCompile(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import torch._inductor; torch._inductor.aoti_compile_and_package'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface ExportFixtures {
  dir: string;
  resnet: string;
  two: string;
  /** two_inputs.pt2 with its metadata saying it was compiled for CUDA / by PyTorch 99.1. */
  twoCuda: string;
  twoNewer: string;
  ref: {
    torch: string;
    /** Batch size → input, the package's output in Python, and the eager model's. */
    resnet: Record<string, { x: number[][][][]; out: number[][]; eager: number[][] }>;
    two: Record<string, { x: number[][]; y: number[][]; out: [number[][], [number[], number[][]]] }>;
  };
}

function pythonTorchVersion(): string {
  return execFileSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).trim();
}

/** Compiles the packages (or finds them cached) and returns their paths and Python's reference numbers. */
export function makeExportFixtures(): ExportFixtures {
  const script = SEED_MODEL + fs.readFileSync(path.join(__dirname, 'generate.py'), 'utf8');
  const helper = fs.readFileSync(path.join(ROOT, 'examples', 'export_pt2.py'), 'utf8');
  const key = createHash('sha256').update(pythonTorchVersion()).update(script).update(helper).digest('hex').slice(0, 16);
  const dir = path.join(os.tmpdir(), `tn-export-${key}`);
  const refFile = path.join(dir, 'ref.json');
  if (!fs.existsSync(refFile)) {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-export-work-'));
    fs.writeFileSync(path.join(work, 'generate.py'), script);
    let out: string;
    try {
      out = execFileSync(PYTHON, [path.join(work, 'generate.py'), work, path.join(ROOT, 'examples')], {
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
        stdio: ['ignore', 'pipe', 'pipe'],
        // CPU packages: a GPU beside them must change nothing in how Inductor compiles them.
        env: { ...process.env, OMP_NUM_THREADS: '1', CUDA_VISIBLE_DEVICES: '' },
      });
    } catch (e) {
      fs.rmSync(work, { recursive: true, force: true });
      // The Python error's last line first: a one-line failure summary then says what went wrong.
      const stderr = String((e as { stderr?: string }).stderr ?? '').trim().split('\n');
      throw new Error(`export fixtures: ${PYTHON} test/export/generate.py failed: ${stderr[stderr.length - 1] || (e as Error).message}\n${stderr.slice(-40).join('\n')}`);
    }
    const lines = out.trim().split('\n');
    fs.writeFileSync(path.join(work, 'ref.json'), lines[lines.length - 1]);
    // Whole or not at all: a run killed while compiling leaves no half-written cache behind.
    try {
      fs.renameSync(work, dir);
    } catch {
      fs.rmSync(work, { recursive: true, force: true });  // another run cached it first
    }
  }
  return {
    dir,
    resnet: path.join(dir, 'resnet20.pt2'),
    two: path.join(dir, 'two_inputs.pt2'),
    twoCuda: path.join(dir, 'two_inputs_cuda.pt2'),
    twoNewer: path.join(dir, 'two_inputs_newer.pt2'),
    ref: JSON.parse(fs.readFileSync(refFile, 'utf8')),
  };
}
