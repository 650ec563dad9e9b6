// PyTorch's pytree specs as an AOTInductor package stores them (torch.utils._pytree.treespec_dumps,
// protocol 1): the structure of the exported call's inputs (args, kwargs) and of its outputs. The package
// runs on flat lists of tensors; these walk a spec to flatten JS inputs and to rebuild the outputs as
// PyTorch's unflatten would: tuples and lists as arrays, dicts as objects, None as null.
import { TorchError } from '../errors';
import { isTensor } from '../tensor';
import type { Tensor } from '../tensor';

export interface TreeSpec {
  /** 'builtins.tuple', 'builtins.list', 'builtins.dict', 'builtins.NoneType' …; null for a leaf. */
  type: string | null;
  /** JSON: a dict's keys, a namedtuple's fields; 'null' otherwise. */
  context: string | null;
  children_spec: TreeSpec[];
}

export function parseTreeSpec(json: string, where: string): TreeSpec {
  const parsed = JSON.parse(json) as [number, TreeSpec];
  if (!Array.isArray(parsed) || parsed[0] !== 1) throw new TorchError(`${where}: unknown pytree spec protocol in the package (${json.slice(0, 40)})`);
  return parsed[1];
}

const SEQUENCES = ['builtins.tuple', 'builtins.list', 'collections.namedtuple', 'torch.fx.immutable_collections.immutable_list'];
const DICTS = ['builtins.dict', 'collections.OrderedDict', 'collections.defaultdict', 'torch.fx.immutable_collections.immutable_dict'];

function dictKeys(spec: TreeSpec): string[] {
  const ctx = spec.context ? JSON.parse(spec.context) : [];
  // defaultdict's context is {default_factory_type, dict_context}.
  const keys = Array.isArray(ctx) ? ctx : (ctx.dict_context ?? []);
  return keys.map(String);
}

/** Describes a spec the way messages show it: "(Tensor, [Tensor, Tensor])". */
export function describeSpec(spec: TreeSpec): string {
  if (spec.type === null) return 'Tensor';
  if (spec.type === 'builtins.NoneType') return 'None';
  const parts = spec.children_spec.map(describeSpec);
  if (DICTS.includes(spec.type)) return `{${dictKeys(spec).map((k, i) => `${k}: ${parts[i]}`).join(', ')}}`;
  if (spec.type === 'builtins.list') return `[${parts.join(', ')}]`;
  return `(${parts.join(', ')}${parts.length === 1 ? ',' : ''})`;
}

/** The tensors of `value` in the spec's leaf order; a value of another structure is a TorchError at `where`. */
export function flatten(value: unknown, spec: TreeSpec, where: string, out: Tensor[] = []): Tensor[] {
  if (spec.type === null) {
    if (!isTensor(value)) throw new TorchError(`${where}: expected a Tensor, got ${describeValue(value)}`);
    out.push(value);
  } else if (spec.type === 'builtins.NoneType') {
    if (value !== null && value !== undefined) throw new TorchError(`${where}: expected null (None), got ${describeValue(value)}`);
  } else if (DICTS.includes(spec.type)) {
    const keys = dictKeys(spec);
    if (value === null || typeof value !== 'object' || Array.isArray(value) || isTensor(value)) {
      throw new TorchError(`${where}: expected an object with keys ${keys.join(', ')}, got ${describeValue(value)}`);
    }
    keys.forEach((k, i) => flatten((value as Record<string, unknown>)[k], spec.children_spec[i], `${where}.${k}`, out));
  } else if (SEQUENCES.includes(spec.type)) {
    const n = spec.children_spec.length;
    if (!Array.isArray(value) || value.length !== n) {
      throw new TorchError(`${where}: expected an array of ${n} (${describeSpec(spec)}), got ${describeValue(value)}`);
    }
    spec.children_spec.forEach((child, i) => flatten(value[i], child, `${where}[${i}]`, out));
  } else {
    throw new TorchError(`${where}: the package's inputs contain a ${spec.type}, which export.load cannot build from JS values`);
  }
  return out;
}

/** The spec's structure with the flat outputs in its leaves (consumed from `flat` in order). */
export function unflatten(flat: Tensor[], spec: TreeSpec, cursor = { i: 0 }): unknown {
  if (spec.type === null) return flat[cursor.i++];
  if (spec.type === 'builtins.NoneType') return null;
  const children = spec.children_spec.map((c) => unflatten(flat, c, cursor));
  if (DICTS.includes(spec.type)) return Object.fromEntries(dictKeys(spec).map((k, i) => [k, children[i]]));
  return children;
}

function describeValue(v: unknown): string {
  if (isTensor(v)) return `a Tensor`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
