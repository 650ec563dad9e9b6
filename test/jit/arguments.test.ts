// TorchScript method arguments are bound by the method's schema, as the generic op call binds an ATen op's:
// by position or by name in a trailing object (Python's keyword arguments), with lists, tuples, dicts and
// optionals by their declared types. Python torch.jit is the oracle: the same module, scripted and saved by
// Python, is called there with the same arguments; a call Python accepts gives Python's numbers here, and a
// call it refuses is refused here for the same reason and the same argument, in our message form
// ("Mixer.forward(): argument 'scale' must be a number (float), not string 'a'").
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { jit, tensor, TorchError } from '../../lib';
import { maxDiff, type Nested } from '../helpers/compare';
import { hasPythonTorch, PYTHON } from '../helpers/python';

const MIXER = `
import json, sys, torch
from typing import Dict, List, Optional, Tuple

class Mixer(torch.nn.Module):
    def forward(self, x: torch.Tensor, scale: float = 1.0, shift: Optional[torch.Tensor] = None, clamp: bool = False) -> torch.Tensor:
        y = x * scale
        if shift is not None:
            y = y + shift
        if clamp:
            y = y.clamp(0.0, 1.0)
        return y

    @torch.jit.export
    def combine(self, xs: List[torch.Tensor], weights: Dict[str, float], pair: Tuple[int, float], names: List[str], k: Optional[int] = None) -> torch.Tensor:
        out = xs[0] * pair[1] + pair[0]
        for n in names:
            out = out + weights[n]
        if k is not None:
            out = out * k
        return out

    @torch.jit.export
    def weigh(self, x: torch.Tensor, weights: Dict[str, float]) -> torch.Tensor:
        total = 0.0
        for w in weights.values():
            total += w
        return x * total

    @torch.jit.export
    def offset(self, x: torch.Tensor, extra_shift: float = 0.0) -> torch.Tensor:
        return x + extra_shift

m = torch.jit.script(Mixer())
m.save(sys.argv[1] + '/mixer.pt')
x = torch.tensor([0.25, -0.5, 2.0])
s = torch.tensor([1.0, 0.5, -3.0])
results = []
for call in json.loads(sys.argv[2]):
    try:
        results.append({'ok': True, 'out': eval(call).tolist()})
    except Exception as e:
        results.append({'ok': False, 'message': str(e).split('\\n')[0]})
print(json.dumps({'x': x.tolist(), 's': s.tolist(), 'results': results}))
`;

type Mixer = torch.jit.ScriptModule;
interface Case {
  method: 'forward' | 'combine' | 'weigh' | 'offset';
  py: string;  // the call in Python, on the scripted module m and tensors x, s
  js: (m: Mixer, x: torch.Tensor, s: torch.Tensor) => unknown;
}

const CASES: Case[] = [
  // Accepted: keywords in any order, mixed with positions, every argument by position, containers.
  { method: 'forward', py: 'm(x, clamp=True, scale=3.0)', js: (m, x) => m.forward(x, { clamp: true, scale: 3 }) },
  { method: 'forward', py: 'm(x, 0.5, shift=s)', js: (m, x, s) => m.forward(x, 0.5, { shift: s }) },
  { method: 'forward', py: 'm(x, 2, s, True)', js: (m, x, s) => m.forward(x, 2, s, true) },
  { method: 'forward', py: 'm(x, shift=None)', js: (m, x) => m.forward(x, { shift: null }) },
  { method: 'combine', py: "m.combine([x, s], {'a': 0.5, 'b': 2.0}, (1, 2.5), ['a', 'b'], k=3)", js: (m, x, s) => m.methods.combine([x, s], { a: 0.5, b: 2 }, [1, 2.5], ['a', 'b'], { k: 3 }) },
  // A trailing object where the schema takes a dict is that dict, unless its keys all name arguments from there on.
  { method: 'weigh', py: "m.weigh(x, {'a': 2.0, 'b': 0.5})", js: (m, x) => m.methods.weigh(x, { a: 2, b: 0.5 }) },
  { method: 'weigh', py: "m.weigh(x, weights={'a': 2.0})", js: (m, x) => m.methods.weigh(x, { weights: { a: 2 } }) },
  { method: 'offset', py: 'm.offset(x, extra_shift=2.0)', js: (m, x) => m.methods.offset(x, { extra_shift: 2 }) },
  // Refused: a missing, mistyped, unknown or doubly given argument, too many positions.
  { method: 'forward', py: 'm()', js: (m) => m.forward() },
  { method: 'forward', py: 'm(3)', js: (m) => m.forward(3) },
  { method: 'forward', py: "m(x, 'a')", js: (m, x) => m.forward(x, 'a') },
  { method: 'forward', py: "m(x, scale='a')", js: (m, x) => m.forward(x, { scale: 'a' }) },
  { method: 'forward', py: 'm(x, shift=3)', js: (m, x) => m.forward(x, { shift: 3 }) },
  { method: 'forward', py: 'm(x, scal=2.0)', js: (m, x) => m.forward(x, { scal: 2 }) },
  { method: 'forward', py: 'm(x, x=s)', js: (m, x, s) => m.forward(x, { x: s }) },
  { method: 'forward', py: 'm(x, 1.0, None, True, 5)', js: (m, x) => m.forward(x, 1, null, true, 5) },
  { method: 'combine', py: "m.combine([x, 3], {'a': 1.0}, (1, 2.0), ['a'])", js: (m, x) => m.methods.combine([x, 3], { a: 1 }, [1, 2], ['a']) },
  { method: 'combine', py: "m.combine([x], {'a': 'no'}, (1, 2.0), ['a'])", js: (m, x) => m.methods.combine([x], { a: 'no' }, [1, 2], ['a']) },
  { method: 'combine', py: "m.combine([x], {'a': 1.0}, (1, 2.0, 3), ['a'])", js: (m, x) => m.methods.combine([x], { a: 1 }, [1, 2, 3], ['a']) },
  { method: 'combine', py: "m.combine([x], {'a': 1.0}, (1.5, 2.0), ['a'])", js: (m, x) => m.methods.combine([x], { a: 1 }, [1.5, 2], ['a']) },
  { method: 'combine', py: "m.combine([x], {'a': 1.0}, (1, 2.0), [3])", js: (m, x) => m.methods.combine([x], { a: 1 }, [1, 2], [3]) },
  { method: 'combine', py: "m.combine([x], {'a': 1.0}, (1, 2.0), ['a'], k=2.5)", js: (m, x) => m.methods.combine([x], { a: 1 }, [1, 2], ['a'], { k: 2.5 }) },
];

type PyResult = { ok: true; out: Nested } | { ok: false; message: string };

// Python's refusal read as (what, argument): the message shapes of TorchScript's schema matching.
function pythonReason(message: string): { what: string; arg: string } {
  const shapes: [RegExp, string][] = [
    [/is missing value for argument '(\w+)'/, 'missing'],
    [/Expected a value of type '.*' for argument '(\w+)'/, 'type'],
    [/Unknown keyword argument '(\w+)'/, 'unknown'],
    [/Argument '(\w+)' specified both as positional and keyword argument/, 'twice'],
    [/expected at most (\d+ argument\(s\) but received \d+)/, 'count'],
  ];
  for (const [re, what] of shapes) {
    const m = message.match(re);
    if (m) return { what, arg: m[1] };
  }
  throw new Error(`unrecognised Python message: ${message}`);
}

// Our message for the same reason. Python counts self among the arguments; our count is of the inputs given.
function ourMessage(display: string, reason: { what: string; arg: string }): RegExp {
  const esc = (s: string) => s.replace(/[.()[\]]/g, '\\$&');
  const head = `^${esc(display)}\\(\\): `;
  switch (reason.what) {
    case 'missing': return new RegExp(`${head}missing required argument '${reason.arg}' \\(`);
    case 'type': return new RegExp(`${head}argument '${reason.arg}' must be .+, not .+$`);
    case 'unknown': return new RegExp(`${head}unknown option '${reason.arg}'; did you mean '\\w+'\\?$`);
    case 'twice': return new RegExp(`${head}got multiple values for argument '${reason.arg}'$`);
    default: {
      const [at, given] = reason.arg.match(/\d+/g)!.map(Number);
      return new RegExp(`${head}takes at most ${at - 1} positional arguments but ${given - 1} were given$`);
    }
  }
}

const havePython = hasPythonTorch();
let dir: string;
let oracle: { x: number[]; s: number[]; results: PyResult[] };

beforeAll(() => {
  if (!havePython) return;
  torch.setNumThreads(1);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-jit-args-'));
  fs.writeFileSync(path.join(dir, 'mixer.py'), MIXER);
  const out = execFileSync(PYTHON, [path.join(dir, 'mixer.py'), dir, JSON.stringify(CASES.map((c) => c.py))], { encoding: 'utf8' });
  const lines = out.trim().split('\n');
  oracle = JSON.parse(lines[lines.length - 1]);
});
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!havePython)('TorchScript arguments are bound by the method’s schema, as Python torch.jit binds them', () => {
  it.each(CASES.map((c, i) => [c.py, i] as const))('%s', (_py, i) => {
    const c = CASES[i];
    const want = oracle.results[i];
    const model = jit.load(path.join(dir, 'mixer.pt'));
    const x = tensor(oracle.x);
    const s = tensor(oracle.s);
    if (want.ok) {
      const out = c.js(model, x, s) as torch.Tensor;
      expect(maxDiff(out.toArray() as Nested, want.out)).toBeLessThan(1e-6);
      return;
    }
    let err: unknown;
    try {
      c.js(model, x, s);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TorchError);
    expect((err as Error).message).toMatch(ourMessage(`Mixer.${c.method}`, pythonReason(want.message)));
  });

  it('the async call binds the same way: keywords accepted, a misfit refused before anything runs', async () => {
    const model = jit.load(path.join(dir, 'mixer.pt'));
    const x = tensor(oracle.x);
    const out = (await model.forwardAsync(x, { clamp: true, scale: 3 })) as torch.Tensor;
    expect(maxDiff(out.toArray() as Nested, (oracle.results[0] as { out: Nested }).out)).toBeLessThan(1e-6);
    await expect(model.forwardAsync(x, { scale: 'a' })).rejects.toThrow(/^Mixer\.forward\(\): argument 'scale' must be a number \(float\), not string 'a'$/);
  });

  it('a keyword may also be given in camelCase, and not in both spellings at once', () => {
    const model = jit.load(path.join(dir, 'mixer.pt'));
    const x = tensor(oracle.x);
    const snake = CASES.findIndex((c) => c.py === 'm.offset(x, extra_shift=2.0)');
    const out = model.methods.offset(x, { extraShift: 2 }) as torch.Tensor;
    expect(maxDiff(out.toArray() as Nested, (oracle.results[snake] as { out: Nested }).out)).toBe(0);
    expect(() => model.methods.offset(x, { extra_shift: 2, extraShift: 3 })).toThrow(
      /^Mixer\.offset\(\): option 'extra_shift' given twice \(also as 'extraShift'\)$/,
    );
    expect(() => model.methods.offset(x, { extraShit: 2 })).toThrow(/^Mixer\.offset\(\): unknown option 'extraShit'; did you mean 'extra_shift'\?$/);
  });
});
