// The restricted unpickler on its own: every opcode it supports gives the value Python's pickle module
// reads from the same bytes, and every malformed or hostile pickle is refused with its one-line message.
import { describe, expect, it } from 'vitest';
import { TorchError } from '../../lib/errors';
import { PyGlobal, PyOrderedDict, unpickle, type UnpickleHooks } from '../../lib/serialization/pickle';
import { hasPythonTorch, runPython } from '../helpers/python';

const WHERE = "'x.pth'";
const ALLOWED = new Set(['collections.OrderedDict', 'torch.FloatStorage', 'torch.Size']);

/** What load.ts does with OrderedDict, and echoes of everything else, so that the tests see each call. */
const hooks: UnpickleHooks = {
  persistentLoad: (pid) => ({ persistent: pid }),
  call: (fn: PyGlobal, args: unknown[]) => {
    if (fn.qualified !== 'collections.OrderedDict') return { called: fn.qualified, args };
    const d = new PyOrderedDict();
    if (Array.isArray(args[0])) for (const pair of args[0]) d.set(pair[0], pair[1]);
    return d;
  },
  build: (obj, state) => {
    if (!(obj instanceof PyOrderedDict)) return false;
    obj.attributes = state as Map<unknown, unknown>;
    return true;
  },
};

const load = (bytes: Uint8Array): unknown => unpickle(bytes, WHERE, ALLOWED, hooks);

/** Pickle bytes from opcodes: numbers are bytes, strings their UTF-8 bytes. */
function pk(...parts: (number | string)[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) out.push(...(typeof p === 'number' ? [p] : Buffer.from(p, 'utf8')));
  return Uint8Array.from(out);
}

/** A value as JSON the same way on both sides: dicts as key/value pairs, big ints and bytes tagged. */
function canon(v: unknown): unknown {
  if (typeof v === 'bigint') return { big: String(v) };
  if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) return { big: String(v) };
  if (v instanceof Uint8Array) return { bytes: [...v] };
  if (Array.isArray(v)) return v.map(canon);
  if (v instanceof PyOrderedDict) return { odict: [...v].map(([k, x]) => [canon(k), canon(x)]) };
  if (v instanceof Map) return { dict: [...v].map(([k, x]) => [canon(k), canon(x)]) };
  return v;
}

const PY_CANON = `
import collections, pickle, pickletools
def canon(v):
    if v is None or isinstance(v, (bool, str, float)): return v
    if isinstance(v, int): return v if abs(v) <= 2**53 - 1 else {'big': str(v)}
    if isinstance(v, bytes): return {'bytes': list(v)}
    if isinstance(v, (list, tuple)): return [canon(x) for x in v]
    kind = 'odict' if isinstance(v, collections.OrderedDict) else 'dict'
    return {kind: [[canon(k), canon(x)] for k, x in v.items()]}
`;

describe('unpickle', () => {
  it.skipIf(!hasPythonTorch())("reads Python's pickles of protocols 2 to 5 as Python reads them", () => {
    const cases = runPython<{ protocol: number; hex: string; value: unknown; ops: string[] }[]>(
      `${PY_CANON}
shared = [1]
value = {'none': None, 't': True, 'f': False, 'i1': 7, 'i2': 300, 'i4': -5, 'i4max': 2**31 - 1,
         'long1': 2**40, 'long1neg': -2**70, 'float': 1.5, 'ascii': 'key', 'utf8': 'héllo €',
         'long': 'x' * 300, 'tuples': ((), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)), 'list': [1, [2, []]],
         'one': [9], 'onekey': {'k': 1}, 'shared': [shared, shared], 'many': list(range(2500)),
         'od': collections.OrderedDict([('a', 1), ('b', [2])]), 'intkeys': {1: 'a', 2**40: 'b'},
         'memo': [[i] for i in range(300)] * 2}
out = []
for protocol in (2, 3, 4, 5):
    v = dict(value)
    if protocol >= 3: v['bytes'] = b'\\x00\\xff'; v['longbytes'] = bytes(range(256)) * 2  # protocol 2 writes codecs.encode calls
    data = pickle.dumps(v, protocol=protocol)
    ops = sorted({op.name for op, _, _ in pickletools.genops(data)})
    out.append({'protocol': protocol, 'hex': data.hex(), 'value': canon(pickle.loads(data)), 'ops': ops})
print(json.dumps(out))`,
    );
    for (const c of cases) expect(canon(load(Buffer.from(c.hex, 'hex'))), `protocol ${c.protocol}`).toEqual(c.value);
    // The corpus above really exercises these opcodes (the rest are built by hand below).
    const seen = new Set(cases.flatMap((c) => c.ops));
    for (const op of ['PROTO', 'FRAME', 'STOP', 'MARK', 'EMPTY_DICT', 'EMPTY_LIST', 'EMPTY_TUPLE', 'NONE', 'NEWTRUE', 'NEWFALSE',
      'BININT1', 'BININT2', 'BININT', 'LONG1', 'BINFLOAT', 'BINUNICODE', 'SHORT_BINUNICODE', 'SHORT_BINBYTES', 'BINBYTES',
      'TUPLE', 'TUPLE1', 'TUPLE2', 'TUPLE3', 'APPEND', 'APPENDS', 'SETITEM', 'SETITEMS', 'BINPUT', 'LONG_BINPUT',
      'MEMOIZE', 'BINGET', 'LONG_BINGET', 'GLOBAL', 'STACK_GLOBAL', 'REDUCE']) {
      expect(seen, op).toContain(op);
    }
  });

  it('reads the opcodes Python 3 does not write for these values: protocol 0 and 1 forms, 8-byte lengths, Python 2 strings', () => {
    // MARK 1 2 LIST, DUP POP, MARK None POP_MARK: [1, 2]
    expect(load(pk(0x80, 2, 0x28, 0x4b, 1, 0x4b, 2, 0x6c, 0x32, 0x30, 0x28, 0x4e, 0x31, 0x2e))).toEqual([1, 2]);
    // MARK 'a' 1 DICT
    expect(canon(load(pk(0x28, 0x8c, 1, 'a', 0x4b, 1, 0x64, 0x2e)))).toEqual({ dict: [['a', 1]] });
    expect(load(pk(0x49, '01\n', 0x2e))).toBe(true);
    expect(load(pk(0x49, '00\n', 0x2e))).toBe(false);
    expect(load(pk(0x49, '-123456789012345678901\n', 0x2e))).toBe(-123456789012345678901n);
    expect(load(pk(0x49, '42\n', 0x2e))).toBe(42);
    // LONG4 of 9 bytes: 2^64 + 1; LONG1 of no bytes: 0
    expect(load(pk(0x8b, 9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x2e))).toBe(2n ** 64n + 1n);
    expect(load(pk(0x8a, 0, 0x2e))).toBe(0);
    expect(load(pk(0x8d, 3, 0, 0, 0, 0, 0, 0, 0, 'abc', 0x2e))).toBe('abc');
    expect(load(pk(0x8e, 2, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0x2e))).toEqual(Uint8Array.from([1, 2]));
    // SHORT_BINSTRING and BINSTRING are latin-1: 0xe9 is é
    expect(load(pk(0x55, 2, 0xe9, 0x41, 0x2e))).toBe('éA');
    expect(load(pk(0x54, 1, 0, 0, 0, 0xe9, 0x2e))).toBe('é');
    // a long ASCII string and a non-ASCII one both go past the short-ASCII fast path
    expect(load(pk(0x58, 100, 0, 0, 0, 'y'.repeat(100), 0x2e))).toBe('y'.repeat(100));
  });

  it('hands persistent ids, calls of allowed globals (REDUCE, NEWOBJ) and BUILD to the hooks', () => {
    const size = pk(0x8c, 5, 'torch', 0x8c, 4, 'Size', 0x93);
    // BINPERSID of ('storage', 1)
    expect(load(pk(0x8c, 7, 'storage', 0x4b, 1, 0x86, 0x51, 0x2e))).toEqual({ persistent: ['storage', 1] });
    expect(load(pk(...size, 0x4b, 3, 0x85, 0x52, 0x2e))).toEqual({ called: 'torch.Size', args: [3] });
    expect(load(pk(...size, 0x29, 0x81, 0x2e))).toEqual({ called: 'torch.Size', args: [] });
    // OrderedDict() then BUILD with {'v': 1}: its _metadata
    const od = load(pk(0x63, 'collections\nOrderedDict\n', 0x29, 0x52, 0x7d, 0x8c, 1, 'v', 0x4b, 1, 0x73, 0x62, 0x2e));
    expect(od).toBeInstanceOf(PyOrderedDict);
    expect([...(od as PyOrderedDict).attributes!]).toEqual([['v', 1]]);
    // A global is one object however often it is named (GLOBAL and STACK_GLOBAL alike).
    const [a, b] = load(pk(...size, 0x63, 'torch\nSize\n', 0x86, 0x2e)) as PyGlobal[];
    expect(a).toBeInstanceOf(PyGlobal);
    expect(a).toBe(b);
  });

  it('stores a hostile memo index as one entry: LONG_BINPUT 2^32 - 1 and LONG_BINGET it back', () => {
    expect(load(pk(0x4b, 5, 0x72, 255, 255, 255, 255, 0x30, 0x6a, 255, 255, 255, 255, 0x2e))).toBe(5);
  });

  const refusals: [string, Uint8Array, string][] = [
    ['a truncated argument', pk(0x4d, 1), 'truncated pickle (needs 2 more bytes at offset 1)'],
    ['a pickle without STOP', pk(0x4e), 'truncated pickle (needs 1 more bytes at offset 1)'],
    ['an 8-byte length past the end', pk(0x8d, 255, 255, 255, 255, 0, 0, 0, 0), 'length 4294967295 runs past the end of the pickle'],
    ['a FRAME cut short', pk(0x95, 1, 0), 'truncated pickle (needs 8 more bytes at offset 1)'],
    ['invalid UTF-8', pk(0x58, 2, 0, 0, 0, 0xc3, 0x28, 0x2e), 'invalid UTF-8 in a string at offset 5'],
    ['an unterminated GLOBAL', pk(0x63, 'torch'), 'truncated pickle (unterminated text argument)'],
    ['a POP of nothing', pk(0x30), 'stack underflow at offset 0'],
    ['a POP across a MARK', pk(0x4e, 0x28, 0x30), 'stack underflow at offset 2'],
    ['a DUP of nothing', pk(0x32), 'stack underflow at offset 0'],
    ['a TUPLE without MARK', pk(0x74), 'no MARK for the opcode at offset 0'],
    ['a global outside the allowed set', pk(0x63, 'posix\nsystem\n'), "refusing to load the global 'posix.system': only tensors, numbers, strings, lists, tuples and dicts are allowed (the checkpoint may be malicious, or holds a custom class)"],
    ['a STACK_GLOBAL outside the allowed set', pk(0x8c, 8, 'builtins', 0x8c, 4, 'eval', 0x93), "refusing to load the global 'builtins.eval': only tensors, numbers, strings, lists, tuples and dicts are allowed (the checkpoint may be malicious, or holds a custom class)"],
    ['a STACK_GLOBAL of a number', pk(0x4b, 1, 0x8c, 1, 'a', 0x93), 'STACK_GLOBAL needs two strings'],
    ['a SETITEM on a list', pk(0x5d, 0x4b, 1, 0x4b, 2, 0x73), 'SETITEM(S) on a list/tuple, not a dict'],
    ['SETITEMS with an odd number of items', pk(0x7d, 0x28, 0x4b, 1, 0x75), 'SETITEMS with an odd number of items'],
    ['an APPEND to a dict', pk(0x7d, 0x4b, 1, 0x61), 'APPEND to a dict, not a list'],
    ['an APPENDS to None', pk(0x4e, 0x28, 0x4b, 1, 0x65), 'APPENDS to a None, not a list'],
    ['a call of a string', pk(0x8c, 1, 'f', 0x29, 0x52), 'call of a string, not an allowed global'],
    ['a call without an argument tuple', pk(0x63, 'torch\nSize\n', 0x4e, 0x52), 'arguments of torch.Size are not a tuple'],
    ['a BUILD the hooks refuse', pk(0x5d, 0x4e, 0x62), 'BUILD (setting the state) of a list/tuple is not allowed'],
    ['an undefined memo entry', pk(0x68, 3), 'memo entry 3 is not defined (offset 2)'],
    ['a bad INT', pk(0x49, '1x\n'), "bad INT argument '1x'"],
    ['a protocol newer than 5', pk(0x80, 6), 'pickle protocol 6 is newer than 5'],
    ['an unsupported opcode', pk(0x80, 2, 0x69), "unsupported pickle opcode 0x69 ('i') at offset 2; only what torch.save writes for tensors and plain containers is allowed"],
    ['two values left at STOP', pk(0x4e, 0x4e, 0x2e), 'the pickle ends with 2 values on the stack'],
    ['a MARK left open at STOP', pk(0x28, 0x4e, 0x2e), 'the pickle ends with 1 values on the stack'],
  ];
  it.each(refusals)('refuses %s, naming the file', (_, bytes, message) => {
    let err: unknown;
    try {
      load(bytes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TorchError);
    expect((err as Error).message).toBe(`load: ${WHERE}: ${message}`);
  });
});
