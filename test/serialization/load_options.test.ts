// torch.load's weights_only and the message for storage types this library has no tensors of (complex,
// quantized): what PyTorch users pass and save, answered by name rather than as unknown options or globals.
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { hasPythonTorch, runPython } from '../helpers/python';
import { tempDir } from './helpers';

const dir = tempDir('load-options');
const python = hasPythonTorch();

function saved(): string {
  const file = path.join(dir, 'plain.pth');
  torch.save({ w: torch.arange(0, 4).float() }, file);
  return file;
}

describe('torch.load options', () => {
  it('weightsOnly: true (and weights_only=True) load as without it: this loader is always restricted', () => {
    const file = saved();
    for (const o of [{ weightsOnly: true }, { weights_only: true }]) {
      const back = torch.load<{ w: torch.Tensor }>(file, o as torch.LoadOptions);
      expect(back.w.toArray()).toEqual([0, 1, 2, 3]);
    }
  });

  it('weightsOnly: false is refused: arbitrary pickles are never executed here', async () => {
    const file = saved();
    const message = "load: weightsOnly must be true (or left out): this loader never executes arbitrary pickles, it only rebuilds tensors, containers, numbers and strings, which is what weights_only=True means";
    expect(() => torch.load(file, { weightsOnly: false })).toThrow(new torch.TorchError(message));
    await expect(torch.loadAsync(file, { weightsOnly: false })).rejects.toThrow(message.replace('load:', 'loadAsync:'));
  });

  it.skipIf(!python)('a file with a complex tensor says complex tensors are not supported (skipped without python torch)', () => {
    const file = path.join(dir, 'complex.pth');
    runPython(`import torch\ntorch.save({'z': torch.tensor([1+2j, 3-1j])}, inp)\nprint(json.dumps(0))`, file);
    expect(() => torch.load(file)).toThrow(/complex tensors are not supported by torch\.load here \(the file names torch\.ComplexFloatStorage\)$/);
  });

  it.skipIf(!python)('a file with a quantized tensor says quantized tensors are not supported (skipped without python torch)', () => {
    const file = path.join(dir, 'quantized.pth');
    runPython(`import torch\nq = torch.quantize_per_tensor(torch.tensor([0.5, 1.0]), 0.1, 0, torch.qint8)\ntorch.save({'q': q}, inp)\nprint(json.dumps(0))`, file);
    expect(() => torch.load(file)).toThrow(/quantized tensors are not supported by torch\.load here \(the file names torch\._utils\._rebuild_qtensor\)$/);
  });

  it.skipIf(!python)('a file with a sparse tensor says sparse tensors are not supported (skipped without python torch)', () => {
    const file = path.join(dir, 'sparse.pth');
    runPython(`import torch\ntorch.save({'s': torch.eye(3).to_sparse()}, inp)\nprint(json.dumps(0))`, file);
    expect(() => torch.load(file)).toThrow(/sparse tensors are not supported by torch\.load here \(the file names torch\._utils\._rebuild_sparse_tensor\)$/);
  });
});
