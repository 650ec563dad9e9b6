// A checkpoint is data: pickles that name any global outside the allow-list (os.system, eval, a
// user class) are refused by name and nothing runs — like torch.load(weights_only=True).
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { hasPythonTorch, runPython } from '../helpers/python';
import { tempDir } from './helpers';

const dir = tempDir('sec');

function loadError(file: string): Error {
  try {
    torch.load(file);
  } catch (e) {
    return e as Error;
  }
  throw new Error(`load('${file}') did not throw`);
}

describe.skipIf(!hasPythonTorch())('restricted unpickling', () => {
  it('refuses os.system in a torch.save checkpoint and runs nothing', () => {
    const file = path.join(dir, 'evil.pth');
    const marker = path.join(dir, 'pwned');
    runPython(
      `import os, torch
class Evil:
    def __reduce__(self):
        return (os.system, ('echo pwned > ' + inp['marker'],))
torch.save({'net': {'w': torch.ones(2)}, 'x': Evil()}, inp['path'])
print(1)`,
      { path: file, marker },
    );
    expect(fs.existsSync(marker)).toBe(false); // Python did not run it while saving
    const err = loadError(file);
    expect(err).toBeInstanceOf(torch.TorchError);
    // os.system is posix.system on Linux: the refusal names the global and the file.
    expect(err.message).toMatch(/refusing to load the global 'posix\.system'/);
    expect(err.message).toContain(file);
    expect(fs.existsSync(marker)).toBe(false);
    // Python's unrestricted unpickler would run it: proof that the file really is malicious. (PyTorch 2.6+
    // refuses it by default, as we do; weights_only=False asks for the old behaviour on every version.)
    runPython(`import torch\ntorch.load(inp['path'], weights_only=False)\nprint(1)`, { path: file });
    expect(fs.existsSync(marker)).toBe(true);
  });

  it('refuses builtins.eval and custom classes by name', () => {
    const evalFile = path.join(dir, 'eval.pth');
    const classFile = path.join(dir, 'class.pth');
    runPython(
      `import torch
class Evil:
    def __reduce__(self):
        return (eval, ("__import__('os').getcwd()",))
class Custom:
    def __init__(self):
        self.a = 1
torch.save([Evil()], inp['e'])
torch.save({'c': Custom()}, inp['c'])
print(1)`,
      { e: evalFile, c: classFile },
    );
    // Protocol 2 writes Python 3's builtins under their Python 2 name.
    expect(loadError(evalFile).message).toMatch(/'__builtin__\.eval'/);
    expect(loadError(classFile).message).toMatch(/'__main__\.Custom'/);
  });
});
