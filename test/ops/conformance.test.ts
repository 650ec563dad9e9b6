// A conformance sweep driven by the schemas of the running libtorch: every generated Tensor method and
// torch.* function that can be called with one Tensor (all else defaulted), two or three Tensors, or a Tensor and
// one or two integers or Scalars is called so here and in Python torch on the same inputs; values, and gradients where PyTorch has them,
// must agree, and an op that PyTorch refuses must be refused here too (a TorchError, never a crash).
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { Tensor } from '../../lib';
import { opSchema } from '../../lib/ops';
import { METHODS } from '../../lib/generated/tensor_methods';
import * as generatedTorch from '../../lib/generated/torch';
import { runPython } from '../helpers/python';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const gen = require('../../scripts/gen-ops.js');

// Random or storage-dependent results cannot be compared value for value; device moves need a GPU.
// slice_copy and slice_scatter: Python 1.13's binding does not apply their SymInt defaults (step=1, end=None:
// torch.slice_copy(x) refuses with 'slice step must be positive'), so Python is not the reference for them.
// fbgemm_*: packed weights, opaque bytes.
const SKIP = /^slice_copy|^slice_scatter|^fbgemm_|rand|bernoulli|normal|dropout|uniform|exponential|geometric|cauchy|multinomial|poisson|random|data_ptr|^pin_memory|^is_pinned|^empty|^new_empty|^resize|^set_|^to_mkldnn|^q_|^int_repr|^dequantize|quantize|^record_stream|^coalesce|^indices|^values|^crow|^col|^row|^ccol|sparse|^to_dense|^nonzero_static|^share_memory|^retain_grad/;

interface Probe {
  /** method: x.name(...), function: torch.name(...) */
  kind: 'method' | 'function';
  name: string; // aten name (Python's)
  js: string;
  /** the arguments after self: none, another tensor, a dim, a Scalar, or two more tensors */
  pattern: Pattern;
}
type Pattern = 'unary' | 'binary' | 'ternary' | 'int' | 'int2' | 'scalar' | 'scalar2' | 'tensorScalar' | 'index' | 'intIndex' | 'intIndex1';
const PATTERNS: Pattern[] = ['unary', 'binary', 'ternary', 'int', 'int2', 'scalar', 'scalar2', 'tensorScalar', 'index', 'intIndex', 'intIndex1'];
// The values each pattern passes after self: y, z are float tensors of x's shape [3, 4]; idx an int64 [3, 4]
// of indices valid along either dimension, idx1 a 1-D one.
const REST = (y: unknown, z: unknown, idx: unknown, idx1: unknown): Record<Pattern, unknown[]> => ({
  unary: [], binary: [y], ternary: [y, z], int: [1], int2: [1, 0], scalar: [0.5], scalar2: [0.5, 0.25], tensorScalar: [y, 0.5],
  index: [idx], intIndex: [1, idx], intIndex1: [1, idx1],
});

// The call patterns an operator admits, read from the running libtorch's schemas.
function patterns(overloads: string[]): Set<Pattern> {
  const out = new Set<Pattern>();
  const isTensor = (a: { type: string; kwargOnly: boolean }) => /^Tensor(\(.*\))?$/.test(a.type) && !a.kwargOnly;
  for (const ov of overloads) {
    const text = opSchema(ov);
    if (text === null) continue;
    const s = gen.parseSchema(text.replace(/^aten::/, ''));
    const args = s.args as { type: string; name: string; def?: string; kwargOnly: boolean }[];
    if (args.length === 0 || !isTensor(args[0])) continue;
    const restDefaulted = (from: number) => args.slice(from).every((a) => a.def !== undefined);
    const kinds = args.slice(1, 3).map((a) =>
      a.kwargOnly ? 'kw' : isTensor(a) ? 'T' : /^(int|SymInt)(\[1\])?\??$/.test(a.type) ? 'i' : /^(Scalar|float)\??$/.test(a.type) ? 's' : 'other');
    const sig = (pattern: Pattern, ks: string[]) => {
      if (ks.every((k, i) => kinds[i] === k) && restDefaulted(1 + ks.length)) out.add(pattern);
    };
    sig('unary', []);
    sig('binary', ['T']);
    sig('ternary', ['T', 'T']);
    sig('int', ['i']);
    sig('int2', ['i', 'i']);
    sig('scalar', ['s']);
    sig('scalar2', ['s', 's']);
    sig('tensorScalar', ['T', 's']);
    sig('index', ['T']);
    sig('intIndex', ['i', 'T']);
    sig('intIndex1', ['i', 'T']);
  }
  return out;
}

function probes(): Probe[] {
  const out: Probe[] = [];
  const aten = (overloads: string[]) => overloads[0].split('.')[0];
  const add = (kind: Probe['kind'], js: string, overloads: string[]) => {
    const name = aten(overloads);
    if (SKIP.test(name)) return;
    const ps = patterns(overloads);
    for (const pattern of PATTERNS) if (ps.has(pattern)) out.push({ kind, name, js, pattern });
  };
  for (const [js, overloads] of METHODS) add('method', js, overloads);
  const text = require('fs').readFileSync(require('path').join(__dirname, '../../lib/generated/torch.ts'), 'utf8') as string;
  for (const m of text.matchAll(/bindOp\('torch\.([A-Za-z0-9_]+)', \[([^\]]+)\]\)/g)) {
    add('function', m[1], m[2].split(', ').map((s) => s.slice(1, -1)));
  }
  return out;
}

type Outcome = { error: true } | { error: false; values: (number | string)[][]; grad: (number | string)[] | null };

const enc = (v: number) => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v);
function flatValues(r: unknown): (number | string)[][] | null {
  const items = Array.isArray(r) ? r : [r];
  const out: (number | string)[][] = [];
  for (const it of items) {
    if (torch.isTensor(it)) {
      if (!['float32', 'float64', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool', 'float16', 'bfloat16'].includes(it.dtype)) return null;
      out.push(Array.from(it.toTypedArray() as ArrayLike<number | bigint>, (v) => enc(Number(v))));
    } else if (typeof it === 'number' || typeof it === 'boolean') out.push([enc(Number(it))]);
    else return null;
  }
  return out;
}

function runOurs(p: Probe, x: Tensor, y: Tensor, z: Tensor, idx: Tensor, idx1: Tensor): Outcome | null {
  try {
    const xg = x.clone().requiresGrad_(true);
    const self = p.name.endsWith('_') ? xg.clone() : xg;
    const f = p.kind === 'method' ? (self as any)[p.js].bind(self) : (generatedTorch as any)[p.js];
    const rest = REST(y, z, idx, idx1)[p.pattern];
    const args = p.kind === 'method' ? rest : [self, ...rest];
    const r = f(...args);
    const values = flatValues(r);
    if (values === null) return null;
    const first = Array.isArray(r) ? r[0] : r;
    let grad: (number | string)[] | null = null;
    if (torch.isTensor(first) && first.requiresGrad && (first.dtype === 'float32' || first.dtype === 'float64')) {
      try {
        first.sum().backward();
        grad = xg.grad ? Array.from(xg.grad.toTypedArray() as Float32Array, enc) : null;
      } catch {
        grad = null;
      }
    }
    return { error: false, values, grad };
  } catch (e) {
    if (!(e instanceof torch.TorchError)) throw e;
    return { error: true };
  }
}

const PY = `
import torch, math
def enc(v):
    v = float(v)
    return 'nan' if math.isnan(v) else ('inf' if v == math.inf else ('-inf' if v == -math.inf else v))
def flat(r):
    items = list(r) if isinstance(r, (tuple, list)) else [r]
    out = []
    for it in items:
        if isinstance(it, torch.Tensor):
            if it.is_complex() or it.layout != torch.strided or it.is_quantized: return None
            out.append([enc(v) for v in it.detach().reshape(-1).double().tolist()])
        elif isinstance(it, (int, float, bool)): out.append([enc(it)])
        else: return None
    return out
res = []
x = torch.tensor(inp['x']); y = torch.tensor(inp['y']); z = torch.tensor(inp['z'])
idx = torch.tensor(inp['idx']); idx1 = torch.tensor(inp['idx1'])
REST = {'unary': [], 'binary': [y], 'ternary': [y, z], 'int': [1], 'int2': [1, 0], 'scalar': [0.5], 'scalar2': [0.5, 0.25], 'tensorScalar': [y, 0.5],
        'index': [idx], 'intIndex': [1, idx], 'intIndex1': [1, idx1]}
for p in inp['probes']:
    try:
        xg = x.clone().requires_grad_(True)
        s = xg.clone() if p['name'].endswith('_') else xg
        rest = REST[p['pattern']]
        r = getattr(s, p['name'])(*rest) if p['kind'] == 'method' else getattr(torch, p['name'])(s, *rest)
        values = flat(r)
        if values is None:
            res.append(None); continue
        first = r[0] if isinstance(r, (tuple, list)) else r
        grad = None
        if isinstance(first, torch.Tensor) and first.requires_grad and first.dtype in (torch.float32, torch.float64):
            try:
                first.sum().backward()
                # an efficient zero tensor (the gradient of sgn) has no storage: copy its values out
                grad = [enc(v) for v in torch.zeros_like(x).copy_(xg.grad).reshape(-1).tolist()] if xg.grad is not None else None
            except Exception:
                grad = None
        res.append({'error': False, 'values': values, 'grad': grad})
    except Exception:
        res.append({'error': True})
print(json.dumps(res))
`;

function close(a: (number | string)[], b: (number | string)[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((v, i) => {
    const w = b[i];
    if (typeof v === 'string' || typeof w === 'string') return v === w;
    return Math.abs(v - w) <= 1e-4 + 1e-4 * Math.abs(w);
  });
}

let list: Probe[] = [];
let ours: (Outcome | null)[] = [];
let py: (Outcome | null)[] = [];

beforeAll(() => {
  list = probes();
  // Values inside (0.1, 0.9): in the domain of log, acos, atanh, logit … for every op here.
  const x = torch.tensor([[0.15, 0.7, 0.35, 0.55], [0.85, 0.25, 0.45, 0.6], [0.3, 0.8, 0.5, 0.2]]);
  const y = torch.tensor([[0.4, 0.2, 0.65, 0.3], [0.5, 0.75, 0.1, 0.9], [0.6, 0.35, 0.25, 0.7]]);
  const z = torch.tensor([[0.55, 0.45, 0.2, 0.85], [0.3, 0.6, 0.15, 0.4], [0.7, 0.1, 0.5, 0.35]]);
  const idx = torch.tensor([[0, 1, 2, 0], [1, 0, 2, 1], [2, 2, 0, 1]], { dtype: 'int64' });
  const idx1 = torch.tensor([2, 0], { dtype: 'int64' });
  ours = list.map((p) => runOurs(p, x, y, z, idx, idx1));
  py = runPython(PY, { probes: list, x: x.toArray(), y: y.toArray(), z: z.toArray(), idx: idx.toArray(), idx1: idx1.toArray() });
}, 300_000);

describe('schema-driven conformance with PyTorch', () => {
  it('every probed op agrees with PyTorch: the same values and gradients, or refused by both', () => {
    const disagree: string[] = [];
    let compared = 0, grads = 0, refused = 0;
    const operators = new Set<string>();
    list.forEach((p, i) => {
      const a = ours[i], b = py[i];
      const label = `${p.kind === 'method' ? 'Tensor.' : 'torch.'}${p.js} (${p.pattern})`;
      if (a === null || b === null) return; // results not comparable as numbers (complex, sparse) on either side
      if (a.error || b.error) {
        if (a.error !== b.error) disagree.push(`${label}: ${a.error ? 'refused here, computed by PyTorch' : 'computed here, refused by PyTorch'}`);
        else refused++;
        return;
      }
      if (a.values.length !== b.values.length || !a.values.every((v, k) => close(v, b.values[k]))) {
        disagree.push(`${label}: values differ`);
        return;
      }
      if ((a.grad === null) !== (b.grad === null) || (a.grad && !close(a.grad, b.grad!))) {
        disagree.push(`${label}: gradients differ`);
        return;
      }
      compared++;
      if (a.grad) grads++;
      operators.add(p.name);
    });
    console.log(`conformance on libtorch ${torch.libtorchVersion}: ${list.length} calls probed, ${compared} equal to PyTorch ` +
      `(${grads} with gradients) over ${operators.size} operators, ${refused} refused by both`);
    expect(disagree).toEqual([]);
    expect(operators.size).toBeGreaterThan(350);
  });
});
