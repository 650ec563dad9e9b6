// The pytree specs a .pt2 package stores (torch.utils._pytree.treespec_dumps): inputs flattened and
// outputs rebuilt in PyTorch's leaf order, for tuples, lists and dicts; a value of another
// structure is one TorchError line naming where. The spec strings are what PyTorch 2.14 writes.
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { TorchError } from '../../lib';
import { flatten, parseTreeSpec, unflatten } from '../../lib/export';

const LEAF = '{"type": null, "context": null, "children_spec": []}';
// treespec_dumps(tree_flatten({'a': (x, w), 'b': [y, z]})[1]) in PyTorch 2.14
const DICT = `[1, {"type": "builtins.dict", "context": "[\\"a\\", \\"b\\"]", "children_spec": [{"type": "builtins.tuple", "context": "null", "children_spec": [${LEAF}, ${LEAF}]}, {"type": "builtins.list", "context": "null", "children_spec": [${LEAF}, ${LEAF}]}]}]`;

describe('export pytree specs', () => {
  it('flatten takes leaves in PyTorch’s order (dict keys in the spec’s order) and unflatten rebuilds the structure', () => {
    const spec = parseTreeSpec(DICT, 'test');
    const [x, w, y, z] = [torch.zeros([1]), torch.zeros([4]), torch.ones([2]), torch.full([3], 2)];
    const flat = flatten({ b: [y, z], a: [x, w] }, spec, 'in');
    expect(flat.map((t) => t.shape[0])).toEqual([1, 4, 2, 3]);
    const back = unflatten(flat, spec) as { a: torch.Tensor[]; b: torch.Tensor[] };
    expect(Object.keys(back)).toEqual(['a', 'b']);
    expect(back.a[0]).toBe(x);
    expect(back.a[1]).toBe(w);
    expect(back.b[0]).toBe(y);
    expect(back.b[1]).toBe(z);
  });

  it('a value of another structure is one TorchError line naming where it is', () => {
    const spec = parseTreeSpec(DICT, 'test');
    const t = torch.zeros([1]);
    expect(() => flatten({ a: [t, t], b: [t] }, spec, 'forward: inputs')).toThrow(new TorchError('forward: inputs.b: expected an array of 2 ([Tensor, Tensor]), got an array of 1'));
    expect(() => flatten({ a: [3, t], b: [t, t] }, spec, 'forward: inputs')).toThrow(new TorchError('forward: inputs.a[0]: expected a Tensor, got a number'));
    expect(() => flatten([t], spec, 'forward: inputs')).toThrow(/expected an object with keys a, b, got an array of 1/);
  });

  it('an unknown protocol is refused', () => {
    expect(() => parseTreeSpec(`[2, ${LEAF}]`, 'export.load')).toThrow(/unknown pytree spec protocol/);
  });
});
