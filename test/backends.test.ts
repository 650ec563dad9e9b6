// torch.backends' flags, the determinism switches and the float32 matmul precision: PyTorch's defaults (read
// from the reference Python torch, a fresh process) and the same values after the same sequence of sets.
// The flags are process-wide: each test puts back what it changed.
import { afterEach, describe, expect, it } from 'vitest';
import * as torch from '../lib';
import { hasPythonTorch, runPython } from './helpers/python';

const { backends } = torch;

/** Every flag, named as in the Python script below. */
function flags() {
  return {
    matmulAllowTf32: backends.cuda.matmul.allowTf32,
    cudnnAllowTf32: backends.cudnn.allowTf32,
    cudnnDeterministic: backends.cudnn.deterministic,
    cudnnBenchmark: backends.cudnn.benchmark,
    cudnnEnabled: backends.cudnn.enabled,
    deterministicAlgorithms: torch.areDeterministicAlgorithmsEnabled(),
    warnOnly: torch.isDeterministicAlgorithmsWarnOnlyEnabled(),
    precision: torch.getFloat32MatmulPrecision(),
  };
}

const PY_FLAGS = `
import torch
b = torch.backends
def flags():
    return {'matmulAllowTf32': b.cuda.matmul.allow_tf32, 'cudnnAllowTf32': b.cudnn.allow_tf32,
            'cudnnDeterministic': b.cudnn.deterministic, 'cudnnBenchmark': b.cudnn.benchmark, 'cudnnEnabled': b.cudnn.enabled,
            'deterministicAlgorithms': torch.are_deterministic_algorithms_enabled(),
            'warnOnly': torch.is_deterministic_algorithms_warn_only_enabled(), 'precision': torch.get_float32_matmul_precision()}
`;

// Read before any test changes a flag: this process's defaults.
const defaults = flags();

afterEach(() => {
  backends.cuda.matmul.allowTf32 = defaults.matmulAllowTf32;
  backends.cudnn.allowTf32 = defaults.cudnnAllowTf32;
  backends.cudnn.deterministic = defaults.cudnnDeterministic;
  backends.cudnn.benchmark = defaults.cudnnBenchmark;
  backends.cudnn.enabled = defaults.cudnnEnabled;
  torch.useDeterministicAlgorithms(defaults.deterministicAlgorithms, { warnOnly: defaults.warnOnly });
  torch.setFloat32MatmulPrecision(defaults.precision);
});

describe('torch.backends and the determinism switches', () => {
  it("start at PyTorch's defaults: no TF32 in matmuls, TF32 in cuDNN convolutions, cuDNN on, nothing deterministic or benchmarked, 'highest'", () => {
    expect(defaults).toEqual({
      matmulAllowTf32: false,
      cudnnAllowTf32: true,
      cudnnDeterministic: false,
      cudnnBenchmark: false,
      cudnnEnabled: true,
      deterministicAlgorithms: false,
      warnOnly: false,
      precision: 'highest',
    });
  });

  it.skipIf(!hasPythonTorch())("equal the reference Python torch's defaults", () => {
    expect(defaults).toEqual(runPython(`${PY_FLAGS}\nprint(json.dumps(flags()))`));
  });

  it('each boolean flag reads back what was set, and only that flag changes', () => {
    const names = ['matmulAllowTf32', 'cudnnAllowTf32', 'cudnnDeterministic', 'cudnnBenchmark', 'cudnnEnabled'] as const;
    const set: Record<(typeof names)[number], (v: boolean) => void> = {
      matmulAllowTf32: (v) => (backends.cuda.matmul.allowTf32 = v),
      cudnnAllowTf32: (v) => (backends.cudnn.allowTf32 = v),
      cudnnDeterministic: (v) => (backends.cudnn.deterministic = v),
      cudnnBenchmark: (v) => (backends.cudnn.benchmark = v),
      cudnnEnabled: (v) => (backends.cudnn.enabled = v),
    };
    for (const name of names) {
      const flipped = !defaults[name];
      set[name](flipped);
      const expected = { ...defaults, [name]: flipped };
      // allow_tf32 for matmuls is the float32 matmul precision seen from cuBLAS: 'high' when turned on.
      if (name === 'matmulAllowTf32') expected.precision = 'high';
      expect(flags(), name).toEqual(expected);
      set[name](!flipped);
      expect(flags(), name).toEqual(defaults);
    }
  });

  it('useDeterministicAlgorithms sets the mode and warnOnly, read back by areDeterministicAlgorithmsEnabled and isDeterministicAlgorithmsWarnOnlyEnabled', () => {
    torch.useDeterministicAlgorithms(true);
    expect([torch.areDeterministicAlgorithmsEnabled(), torch.isDeterministicAlgorithmsWarnOnlyEnabled()]).toEqual([true, false]);
    torch.useDeterministicAlgorithms(true, { warnOnly: true });
    expect([torch.areDeterministicAlgorithmsEnabled(), torch.isDeterministicAlgorithmsWarnOnlyEnabled()]).toEqual([true, true]);
    torch.useDeterministicAlgorithms(false);
    expect([torch.areDeterministicAlgorithmsEnabled(), torch.isDeterministicAlgorithmsWarnOnlyEnabled()]).toEqual([false, false]);
  });

  // The precision and cuBLAS's TF32 flag are one setting in libtorch; the sequence shows how they move together.
  const SEQUENCE = [
    ['precision', 'high'],
    ['precision', 'medium'],
    ['precision', 'highest'],
    ['matmulAllowTf32', true],
    ['matmulAllowTf32', false],
    ['useDeterministicAlgorithms', true],
    ['cudnnDeterministic', true],
  ] as const;

  function runSequence() {
    const states = [];
    for (const [what, value] of SEQUENCE) {
      if (what === 'precision') torch.setFloat32MatmulPrecision(value);
      else if (what === 'matmulAllowTf32') backends.cuda.matmul.allowTf32 = value;
      else if (what === 'useDeterministicAlgorithms') torch.useDeterministicAlgorithms(value);
      else backends.cudnn.deterministic = value;
      states.push(flags());
    }
    return states;
  }

  it("setFloat32MatmulPrecision and cuda.matmul.allowTf32 move together as in libtorch: 'high' and 'medium' allow TF32, allowTf32 reads as 'high'", () => {
    const states = runSequence();
    expect(states.map((s) => [s.precision, s.matmulAllowTf32])).toEqual([
      ['high', true],
      ['medium', true],
      ['highest', false],
      ['high', true],
      ['highest', false],
      ['highest', false],
      ['highest', false],
    ]);
    expect(states[6]).toMatchObject({ deterministicAlgorithms: true, cudnnDeterministic: true });
  });

  it.skipIf(!hasPythonTorch())('the same sequence of sets gives the reference Python torch\'s flags after each step', () => {
    const py = runPython(
      `${PY_FLAGS}
states = []
for what, value in inp:
    if what == 'precision': torch.set_float32_matmul_precision(value)
    elif what == 'matmulAllowTf32': b.cuda.matmul.allow_tf32 = value
    elif what == 'useDeterministicAlgorithms': torch.use_deterministic_algorithms(value)
    else: b.cudnn.deterministic = value
    states.append(flags())
print(json.dumps(states))`,
      SEQUENCE,
    );
    expect(runSequence()).toEqual(py);
  });

  it('refuses a non-boolean flag and an unknown precision with one-line TorchErrors, leaving the flags as they were', () => {
    expect(() => ((backends.cudnn as { benchmark: unknown }).benchmark = 1)).toThrow(new torch.TorchError('torch.backends.cudnn.benchmark must be a boolean, got number'));
    expect(() => ((backends.cuda.matmul as { allowTf32: unknown }).allowTf32 = 'yes')).toThrow(
      new torch.TorchError('torch.backends.cuda.matmul.allowTf32 must be a boolean, got string'),
    );
    expect(() => torch.setFloat32MatmulPrecision('low' as 'high')).toThrow(
      new torch.TorchError(`setFloat32MatmulPrecision: precision must be 'highest', 'high' or 'medium', got "low"`),
    );
    expect(() => torch.useDeterministicAlgorithms('yes' as unknown as boolean)).toThrow(torch.TorchError);
    expect(flags()).toEqual(defaults);
  });

  it("Python's spellings (allow_tf32) set the flags; a misspelt switch is a TorchError naming the closest, not a new property", () => {
    const cudnn = backends.cudnn as unknown as Record<string, unknown>;
    const matmul = backends.cuda.matmul as unknown as Record<string, unknown>;
    cudnn.allow_tf32 = false;
    matmul.allow_tf32 = true;
    expect([backends.cudnn.allowTf32, cudnn.allow_tf32, backends.cuda.matmul.allowTf32]).toEqual([false, false, true]);
    cudnn.allow_tf32 = true;
    matmul.allow_tf32 = false;
    expect(() => (cudnn.benchmrk = true)).toThrow(new torch.TorchError("torch.backends.cudnn has no switch 'benchmrk'; did you mean 'benchmark'?"));
    expect('benchmrk' in backends.cudnn).toBe(false);
    expect(() => torch.useDeterministicAlgorithms(false, { warn_only: true, warnonly: true } as never)).toThrow(/unknown option 'warnonly'; did you mean 'warnOnly'/);
    expect(flags()).toEqual(defaults);
  });

  it('torch.backends.cudnn.isAvailable() is torch.cuda.cudnnIsAvailable(), false without CUDA', () => {
    expect(backends.cudnn.isAvailable()).toBe(torch.cuda.cudnnIsAvailable());
    if (!torch.cuda.isAvailable()) expect(backends.cudnn.isAvailable()).toBe(false);
  });
});
