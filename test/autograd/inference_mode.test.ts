// torch.inferenceMode / isInferenceModeEnabled / Tensor.isInference against Python's torch.inference_mode
// (the same libtorch guard, c10::InferenceMode): the flags inside, outside and nested, libtorch's errors for an
// inference tensor used outside the mode, and the scope's end on a throw. An async fn is refused (the guard is
// thread-local and must end last-in-first-out).
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { hasPythonTorch, runPython } from '../helpers/python';

const havePython = hasPythonTorch();

// The flags this file checks, computed the same way on both sides.
function ours() {
  const x = torch.ones([2]);
  const w = torch.ones([2], { requiresGrad: true });
  const flags = torch.inferenceMode(() => {
    const made = torch.ones([2]);
    const y = w.mul(2);
    const nested = torch.inferenceMode(() => ({ enabled: torch.isInferenceModeEnabled(), made: torch.ones([2]).isInference(), grad: torch.isGradEnabled() }), false);
    return { enabled: torch.isInferenceModeEnabled(), grad: torch.isGradEnabled(), made: made.isInference(), y: [y.isInference(), y.requiresGrad], nested, after: torch.isInferenceModeEnabled() };
  });
  const off = torch.noGrad(() => torch.inferenceMode(() => [torch.isInferenceModeEnabled(), torch.isGradEnabled()], false));
  return { outside: [torch.isInferenceModeEnabled(), x.isInference(), w.isInference()], inside: flags, off };
}

const PY = `
import torch
x = torch.ones(2)
w = torch.ones(2, requires_grad=True)
with torch.inference_mode():
    made = torch.ones(2)
    y = w * 2
    with torch.inference_mode(False):
        nested = {'enabled': torch.is_inference_mode_enabled(), 'made': torch.ones(2).is_inference(), 'grad': torch.is_grad_enabled()}
    inside = {'enabled': torch.is_inference_mode_enabled(), 'grad': torch.is_grad_enabled(), 'made': made.is_inference(),
              'y': [y.is_inference(), y.requires_grad], 'nested': nested, 'after': torch.is_inference_mode_enabled()}
with torch.no_grad():
    with torch.inference_mode(False):
        off = [torch.is_inference_mode_enabled(), torch.is_grad_enabled()]
print(json.dumps({'outside': [torch.is_inference_mode_enabled(), x.is_inference(), w.is_inference()], 'inside': inside, 'off': off}))
`;

describe.skipIf(!havePython)('inferenceMode equals torch.inference_mode (requires python3 with torch)', () => {
  it('isInference of tensors made inside and outside, requiresGrad of an op inside, and the mode inside, outside and nested with mode false', () => {
    const got = ours();
    const want = runPython(PY);
    expect(got).toEqual(want);
    // What Python says, written out, so a change on both sides shows too.
    expect(got.inside.made).toBe(true);
    expect(got.inside.y).toEqual([true, false]);
    expect(got.inside.nested.enabled).toBe(false);
    expect(got.off).toEqual([false, true]);
    expect(got.outside).toEqual([false, false, false]);
  });

  it("an inference tensor in autograd or updated in place outside the mode is libtorch's error, as Python's", () => {
    const w = torch.ones([2], { requiresGrad: true });
    const y = torch.inferenceMode(() => torch.ones([2]).mul(2));
    const py = runPython<{ errors: string[]; after: number[]; inside: number[] }>(`
import torch
w = torch.ones(2, requires_grad=True)
with torch.inference_mode():
    y = torch.ones(2) * 2
errors = []
for f in (lambda: y * w, lambda: y.add_(1)):
    try:
        f()
        errors.append('')
    except RuntimeError as e:
        errors.append(str(e))
after = y.tolist()
with torch.inference_mode():
    y.add_(1)
print(json.dumps({'errors': errors, 'after': after, 'inside': y.tolist()}))`);
    expect(py.errors[0]).toMatch(/^Inference tensors cannot be saved for backward/);
    expect(py.errors[1]).toMatch(/^Inplace update to inference tensor outside InferenceMode is not allowed/);
    const caught = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const saved = caught(() => y.mul(w));
    expect(saved).toBeInstanceOf(torch.TorchError);
    expect((saved as Error).message).toContain(py.errors[0]);
    const inplace = caught(() => y.add_(1));
    expect(inplace).toBeInstanceOf(torch.TorchError);
    expect((inplace as Error).message).toContain(py.errors[1]);
    // libtorch checks after the kernel ran: the refused update still changed y, in Python as here.
    expect(y.tolist()).toEqual(py.after);
    // Inside the mode the in-place update is allowed.
    torch.inferenceMode(() => y.add_(1));
    expect(y.tolist()).toEqual(py.inside);
    expect(py.inside).toEqual([4, 4]);
  });
});

describe('inferenceMode scopes', () => {
  it('a synchronous throw ends the scope: the mode and grad mode are restored and the error passes on', () => {
    expect(() =>
      torch.inferenceMode(() => {
        expect(torch.isInferenceModeEnabled()).toBe(true);
        throw new Error('sync boom');
      }),
    ).toThrow('sync boom');
    expect(torch.isInferenceModeEnabled()).toBe(false);
    expect(torch.isGradEnabled()).toBe(true);
    expect(torch.ones([2]).isInference()).toBe(false);
  });

  it('a throw from a nested scope restores each level in turn', () => {
    const seen = torch.inferenceMode(() => {
      expect(() => torch.inferenceMode(() => { throw new Error('inner'); }, false)).toThrow('inner');
      return torch.isInferenceModeEnabled();
    });
    expect(seen).toBe(true);
    expect(torch.isInferenceModeEnabled()).toBe(false);
  });

  it('returns what fn returns', () => {
    const out = torch.inferenceMode(() => ({ t: torch.tensor([1, 2]).add(1), n: 7 }));
    expect(out.n).toBe(7);
    expect(out.t.tolist()).toEqual([2, 3]);
    expect(out.t.isInference()).toBe(true);
  });

  it('refuses a non-function fn and a non-boolean mode with a TorchError, and enters no scope', () => {
    expect(() => torch.inferenceMode(5 as never)).toThrow(new torch.TorchError("inferenceMode(): argument 'fn' must be a function, not number"));
    expect(() => torch.inferenceMode(() => 1, 'yes' as never)).toThrow(new torch.TorchError("inferenceMode(): argument 'mode' must be a boolean, not string"));
    expect(torch.isInferenceModeEnabled()).toBe(false);
    expect(torch.inferenceMode(() => torch.isInferenceModeEnabled())).toBe(true);
  });

  it('an async fn is a TorchError, and the mode is off again at once (its body after an await runs outside)', async () => {
    let afterAwait: boolean | undefined;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    expect(() =>
      torch.inferenceMode(async () => {
        await gate;
        afterAwait = torch.isInferenceModeEnabled();
      }),
    ).toThrow(torch.TorchError);
    expect(() => torch.inferenceMode(() => Promise.resolve(1))).toThrow('inferenceMode: fn must be synchronous (it returned a Promise)');
    expect(torch.isInferenceModeEnabled()).toBe(false);
    release();
    await gate;
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(afterAwait).toBe(false);
  });

  it('the native guards refuse to end out of order', async () => {
    const { native } = await import('../../lib/native');
    const outer = native.enterInferenceMode(true);
    const inner = native.enterInferenceMode(false);
    expect(() => native.exitInferenceMode(outer)).toThrow(/^inferenceMode: scopes must end in the reverse order they began/);
    native.exitInferenceMode(inner);
    expect(torch.isInferenceModeEnabled()).toBe(true);
    native.exitInferenceMode(outer);
    expect(torch.isInferenceModeEnabled()).toBe(false);
  });
});
