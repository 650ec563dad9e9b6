// A restricted unpickler and a small pickler for the data.pkl of torch.save checkpoints.
//
// The unpickler is the JS analogue of torch.load(weights_only=True): it executes no code and knows
// only a fixed list of globals (OrderedDict, the tensor rebuild functions, the storage types, …).
// Any other global — os.system, builtins.eval, a user class — is refused by name, so a malicious
// checkpoint cannot do anything but fail to load. The pickler writes protocol 2, as torch.save does.
import { TorchError } from '../errors';

/** A Python global (module.name) met in the pickle; only the allowed ones are ever created. */
export class PyGlobal {
  readonly qualified: string;
  constructor(
    readonly module: string,
    readonly name: string,
  ) {
    this.qualified = `${module}.${name}`;
  }
}

/** A Python dict while unpickling (converted to a plain object or a Map afterwards, see index.ts). */
export class PyDict extends Map<unknown, unknown> {}

/** collections.OrderedDict (a Map); `_metadata` is what PyTorch's state_dict() attaches to it. */
export class PyOrderedDict extends Map<unknown, unknown> {
  attributes?: Map<unknown, unknown>;
}

export interface UnpickleHooks {
  /** BINPERSID: torch.save's ('storage', StorageType, key, location, numel) tuples. */
  persistentLoad(pid: unknown): unknown;
  /** REDUCE/NEWOBJ of an allowed global. */
  call(fn: PyGlobal, args: unknown[]): unknown;
  /** BUILD (obj.__setstate__(state)) on an object the hooks know; return false to refuse. */
  build?(obj: unknown, state: unknown): boolean;
}

/**
 * Unpickles `data` (the bytes of `where`, for error messages), allowing only `allowed` globals
 * ('module.name' strings); calls and persistent ids go to `hooks`.
 */
export function unpickle(data: Uint8Array, where: string, allowed: ReadonlySet<string>, hooks: UnpickleHooks): unknown {
  return new Unpickler(data, where, allowed, hooks).run();
}

/** One opcode's work on the unpickler, which has already read the opcode byte `op`. */
type OpHandler = (u: Unpickler, op: number) => void;

const UTF8 = new TextDecoder('utf-8', { fatal: true });
// torch's storage types and rebuilders for tensors this library has none of: refused by what they hold, not
// as unknown globals.
const UNSUPPORTED_STORAGES = new Map<string, string>([
  ['torch._utils._rebuild_qtensor', 'quantized'],
  ['torch._utils._rebuild_sparse_tensor', 'sparse'],
  ['torch.ComplexFloatStorage', 'complex'],
  ['torch.ComplexDoubleStorage', 'complex'],
  ...['QInt8Storage', 'QUInt8Storage', 'QInt32Storage', 'QUInt4x2Storage', 'QUInt2x4Storage'].map((s): [string, string] => [`torch.${s}`, 'quantized']),
]);

/**
 * The state of one unpickling: the bytes and the reader's position in them, the stack with its marks,
 * the memo. Every value it holds was pushed by an opcode of the file, so the stack and the memo (a Map,
 * not an array: a LONG_BINPUT index up to 2^32 costs one entry) grow with the file, never past it.
 */
class Unpickler {
  pos = 0;
  stopped = false;
  readonly stack: unknown[] = [];
  readonly marks: number[] = [];
  readonly memo = new Map<number, unknown>();
  private readonly view: DataView;
  /** The same bytes, for latin-1 slices: one native call, where String.fromCharCode.apply copied them to arguments. */
  private readonly buf: Buffer;
  // One PyGlobal per name (they are immutable): a pickle without memo names the same three globals per
  // tensor. Keyed by 'module\nname', GLOBAL's own argument, so that naming a known one again is one slice
  // and one lookup.
  private readonly globals = new Map<string, PyGlobal>();

  constructor(
    readonly data: Uint8Array,
    private readonly where: string,
    private readonly allowed: ReadonlySet<string>,
    readonly hooks: UnpickleHooks,
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }

  run(): unknown {
    while (!this.stopped) {
      const op = this.u8();
      (HANDLERS[op] ?? unsupported)(this, op);
    }
    return this.stack[0];
  }

  fail(what: string): never {
    throw new TorchError(`load: ${this.where}: ${what}`);
  }

  // ---- reading the opcodes' arguments ----

  /** Moves past the next n bytes and returns where they start. */
  need(n: number): number {
    if (this.pos + n > this.data.length) this.fail(`truncated pickle (needs ${n} more bytes at offset ${this.pos})`);
    const at = this.pos;
    this.pos += n;
    return at;
  }
  u8(): number {
    return this.data[this.need(1)];
  }
  u16(): number {
    return this.view.getUint16(this.need(2), true);
  }
  u32(): number {
    return this.view.getUint32(this.need(4), true);
  }
  i32(): number {
    return this.view.getInt32(this.need(4), true);
  }
  /** An 8-byte length, which cannot be more than the whole pickle. */
  u64(): number {
    const v = this.view.getBigUint64(this.need(8), true);
    if (v > BigInt(this.data.length)) this.fail(`length ${v} runs past the end of the pickle`);
    return Number(v);
  }
  f64be(): number {
    return this.view.getFloat64(this.need(8), false);
  }
  bytes(n: number): Uint8Array {
    return this.data.subarray(this.need(n), this.pos);
  }
  /** A str: UTF-8. Short ASCII strings (keys, 'storage', 'cpu': most of a checkpoint's) skip the decoder,
   *  which costs more than the string for a few bytes. */
  text(n: number): string {
    const at = this.need(n);
    if (n <= 64 && this.isAscii(at, this.pos)) return this.buf.toString('latin1', at, this.pos);
    try {
      return UTF8.decode(this.data.subarray(at, this.pos));
    } catch {
      return this.fail(`invalid UTF-8 in a string at offset ${at}`);
    }
  }
  /** A Python 2 str: latin-1. */
  latin1(n: number): string {
    const at = this.need(n);
    return this.buf.toString('latin1', at, this.pos);
  }
  /** A protocol-0 argument: the bytes up to the next newline, as latin-1. */
  line(): string {
    return this.lines(1);
  }
  /** `count` newline-terminated arguments, as one latin-1 string without the last newline. */
  lines(count: number): string {
    let end = this.pos - 1;
    for (let i = 0; i < count; i++) {
      end = this.data.indexOf(0x0a, end + 1);
      if (end < 0) this.fail('truncated pickle (unterminated text argument)');
    }
    const s = this.buf.toString('latin1', this.pos, end);
    this.pos = end + 1;
    return s;
  }
  private isAscii(from: number, to: number): boolean {
    const data = this.data;
    for (let i = from; i < to; i++) if (data[i] >= 0x80) return false;
    return true;
  }

  // ---- the stack ----

  /** Pops one value; the values above the last MARK are all it may take. */
  pop(): unknown {
    const stack = this.stack;
    const marks = this.marks;
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1])) this.fail(`stack underflow at offset ${this.pos - 1}`);
    return stack.pop();
  }
  top(): unknown {
    if (this.stack.length === 0) this.fail(`stack underflow at offset ${this.pos - 1}`);
    return this.stack[this.stack.length - 1];
  }
  /** The values pushed since the last MARK, taken off the stack with it. */
  popMark(): unknown[] {
    const m = this.marks.pop();
    if (m === undefined) this.fail(`no MARK for the opcode at offset ${this.pos - 1}`);
    return this.stack.splice(m);
  }

  // ---- what the values mean ----

  /** The allowed global module.name; any other is refused by name. */
  global(module: string, name: string): PyGlobal {
    // Every key stored has exactly one newline (no allowed name has one), so a hit is this very split.
    return this.globals.get(`${module}\n${name}`) ?? this.newGlobal(module, name);
  }
  /** GLOBAL's argument 'module\nname\n', looked up whole before it is split. */
  globalLines(): PyGlobal {
    const key = this.lines(2);
    const known = this.globals.get(key);
    if (known) return known;
    const nl = key.indexOf('\n');
    return this.newGlobal(key.slice(0, nl), key.slice(nl + 1));
  }
  private newGlobal(module: string, name: string): PyGlobal {
    const q = `${module}.${name}`;
    if (!this.allowed.has(q)) {
      const unsupported = UNSUPPORTED_STORAGES.get(q);
      if (unsupported) this.fail(`${unsupported} tensors are not supported by torch.load here (the file names ${q})`);
      this.fail(`refusing to load the global '${q}': only tensors, numbers, strings, lists, tuples and dicts are allowed (the checkpoint may be malicious, or holds a custom class)`);
    }
    const g = new PyGlobal(module, name);
    this.globals.set(`${module}\n${name}`, g);
    return g;
  }
  setItems(target: unknown, items: unknown[]): void {
    if (!(target instanceof Map)) this.fail(`SETITEM(S) on a ${describe(target)}, not a dict`);
    if (items.length % 2) this.fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) target.set(dictKey(items[i]), items[i + 1]);
  }
  /** fn(*args) for REDUCE and NEWOBJ: only an allowed global, and the hooks decide what it makes. */
  call(fn: unknown, args: unknown): unknown {
    if (!(fn instanceof PyGlobal)) this.fail(`call of a ${describe(fn)}, not an allowed global`);
    if (!Array.isArray(args)) this.fail(`arguments of ${fn.qualified} are not a tuple`);
    return this.hooks.call(fn, args);
  }
}

function unsupported(u: Unpickler, op: number): never {
  return u.fail(
    `unsupported pickle opcode 0x${op.toString(16)} ('${String.fromCharCode(op)}') at offset ${u.pos - 1}; only what torch.save writes for tensors and plain containers is allowed`,
  );
}

// Python compares dict keys by value; JS Maps by identity, so numbers stay numbers and a bigint
// that fits becomes a number (the same key Python would see).
function dictKey(k: unknown): unknown {
  return typeof k === 'bigint' && isSafe(k) ? Number(k) : k;
}

// ---- the opcode handlers, one table indexed by the opcode byte ----

/** Protocol, frames, STOP and the marks. */
const FRAMING: Record<number, OpHandler> = {
  0x80: (u) => {
    // PROTO
    if (u.u8() > 5) u.fail(`pickle protocol ${u.data[u.pos - 1]} is newer than 5`);
  },
  0x95: (u) => void u.need(8), // FRAME: only a length hint
  0x2e: (u) => {
    // STOP
    if (u.stack.length !== 1 || u.marks.length) u.fail(`the pickle ends with ${u.stack.length} values on the stack`);
    u.stopped = true;
  },
  0x28: (u) => void u.marks.push(u.stack.length), // MARK
  0x30: (u) => void u.pop(), // POP
  0x31: (u) => void u.popMark(), // POP_MARK
  0x32: (u) => void u.stack.push(u.top()), // DUP
};

/** None, booleans and numbers. */
const SCALARS: Record<number, OpHandler> = {
  0x4e: (u) => void u.stack.push(null), // NONE
  0x88: (u) => void u.stack.push(true), // NEWTRUE
  0x89: (u) => void u.stack.push(false), // NEWFALSE
  0x4b: (u) => void u.stack.push(u.u8()), // BININT1
  0x4d: (u) => void u.stack.push(u.u16()), // BININT2
  0x4a: (u) => void u.stack.push(u.i32()), // BININT
  0x8a: (u) => void u.stack.push(decodeLong(u.bytes(u.u8()))), // LONG1
  0x8b: (u) => void u.stack.push(decodeLong(u.bytes(u.u32()))), // LONG4
  0x47: (u) => void u.stack.push(u.f64be()), // BINFLOAT (big-endian)
  0x49: (u) => {
    // INT (protocol 0, and how protocol 1 writes booleans)
    const s = u.line();
    if (s === '01' || s === '00') u.stack.push(s === '01');
    else if (/^-?\d+$/.test(s)) u.stack.push(normalize(BigInt(s)));
    else u.fail(`bad INT argument '${s}'`);
  },
};

/** str (UTF-8), bytes, and Python 2 str (latin-1). */
const STRINGS: Record<number, OpHandler> = {
  0x58: (u) => void u.stack.push(u.text(u.u32())), // BINUNICODE
  0x8c: (u) => void u.stack.push(u.text(u.u8())), // SHORT_BINUNICODE
  0x8d: (u) => void u.stack.push(u.text(u.u64())), // BINUNICODE8
  0x43: (u) => void u.stack.push(Uint8Array.from(u.bytes(u.u8()))), // SHORT_BINBYTES
  0x42: (u) => void u.stack.push(Uint8Array.from(u.bytes(u.u32()))), // BINBYTES
  0x8e: (u) => void u.stack.push(Uint8Array.from(u.bytes(u.u64()))), // BINBYTES8
  0x55: (u) => void u.stack.push(u.latin1(u.u8())), // SHORT_BINSTRING
  0x54: (u) => void u.stack.push(u.latin1(u.u32())), // BINSTRING
};

/** Lists, tuples (JS arrays both) and dicts. */
const CONTAINERS: Record<number, OpHandler> = {
  0x7d: (u) => void u.stack.push(new PyDict()), // EMPTY_DICT
  0x5d: (u) => void u.stack.push([]), // EMPTY_LIST
  0x29: (u) => void u.stack.push([]), // EMPTY_TUPLE
  0x74: (u) => void u.stack.push(u.popMark()), // TUPLE
  0x6c: (u) => void u.stack.push(u.popMark()), // LIST
  0x85: (u) => void u.stack.push([u.pop()]), // TUPLE1
  0x86: (u) => {
    // TUPLE2
    const b = u.pop();
    u.stack.push([u.pop(), b]);
  },
  0x87: (u) => {
    // TUPLE3
    const c = u.pop();
    const b = u.pop();
    u.stack.push([u.pop(), b, c]);
  },
  0x64: (u) => {
    // DICT
    const d = new PyDict();
    u.setItems(d, u.popMark());
    u.stack.push(d);
  },
  0x61: (u) => {
    // APPEND
    const v = u.pop();
    const list = u.top();
    if (!Array.isArray(list)) return u.fail(`APPEND to a ${describe(list)}, not a list`);
    list.push(v);
  },
  0x65: (u) => {
    // APPENDS
    const items = u.popMark();
    const list = u.top();
    if (!Array.isArray(list)) return u.fail(`APPENDS to a ${describe(list)}, not a list`);
    for (const v of items) list.push(v);
  },
  0x73: (u) => {
    // SETITEM
    const v = u.pop();
    const k = u.pop();
    u.setItems(u.top(), [k, v]);
  },
  0x75: (u) => {
    // SETITEMS
    const items = u.popMark();
    u.setItems(u.top(), items);
  },
};

function memoGet(u: Unpickler, i: number): void {
  if (!u.memo.has(i)) u.fail(`memo entry ${i} is not defined (offset ${u.pos})`);
  u.stack.push(u.memo.get(i));
}

/** The memo: values stored by index and pushed again (shared objects, repeated globals). */
const MEMO: Record<number, OpHandler> = {
  0x71: (u) => void u.memo.set(u.u8(), u.top()), // BINPUT
  0x72: (u) => void u.memo.set(u.u32(), u.top()), // LONG_BINPUT
  0x94: (u) => void u.memo.set(u.memo.size, u.top()), // MEMOIZE
  0x68: (u) => memoGet(u, u.u8()), // BINGET
  0x6a: (u) => memoGet(u, u.u32()), // LONG_BINGET
};

/** Globals (allowed ones only), calls of them, BUILD and torch.save's persistent ids: all through the hooks. */
const OBJECTS: Record<number, OpHandler> = {
  0x63: (u) => void u.stack.push(u.globalLines()), // GLOBAL "module\nname\n"
  0x93: (u) => {
    // STACK_GLOBAL
    const name = u.pop();
    const module = u.pop();
    if (typeof module !== 'string' || typeof name !== 'string') return u.fail('STACK_GLOBAL needs two strings');
    u.stack.push(u.global(module, name));
  },
  0x52: (u) => {
    // REDUCE: callable(*args)
    const args = u.pop();
    const fn = u.pop();
    u.stack.push(u.call(fn, args));
  },
  0x81: (u) => {
    // NEWOBJ: cls.__new__(cls, *args); only OrderedDict is ever constructed this way here
    const args = u.pop();
    const cls = u.pop();
    u.stack.push(u.call(cls, args));
  },
  0x62: (u) => {
    // BUILD: obj.__setstate__(state)
    const state = u.pop();
    const obj = u.top();
    if (!u.hooks.build?.(obj, state)) u.fail(`BUILD (setting the state) of a ${describe(obj)} is not allowed`);
  },
  0x51: (u) => void u.stack.push(u.hooks.persistentLoad(u.pop())), // BINPERSID
};

/** Every supported opcode's handler at its byte; the other 200-odd bytes are refused. */
const HANDLERS: readonly (OpHandler | undefined)[] = (() => {
  const table = new Array<OpHandler | undefined>(256).fill(undefined);
  for (const group of [FRAMING, SCALARS, STRINGS, CONTAINERS, MEMO, OBJECTS]) {
    for (const [op, handler] of Object.entries(group)) table[Number(op)] = handler;
  }
  return table;
})();

function describe(x: unknown): string {
  if (x === null) return 'None';
  if (x instanceof PyGlobal) return `global ${x.qualified}`;
  if (x instanceof Map) return 'dict';
  if (Array.isArray(x)) return 'list/tuple';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return typeof x;
}

function isSafe(v: bigint): boolean {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER);
}

/** Integers are JS numbers when exactly representable, bigints otherwise. */
function normalize(v: bigint): number | bigint {
  return isSafe(v) ? Number(v) : v;
}

/** LONG1/LONG4 payload: little-endian two's complement. */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return normalize(v);
}

function encodeLong(v: bigint): Uint8Array {
  const out: number[] = [];
  let x = v;
  // Emit bytes until the rest is pure sign extension and the sign bit of the last byte agrees.
  for (;;) {
    const byte = Number(x & 0xffn);
    out.push(byte);
    x >>= 8n;
    if ((x === 0n && !(byte & 0x80)) || (x === -1n && byte & 0x80)) break;
  }
  return Uint8Array.from(out);
}

// ---- Pickler ----

/** Appends pickle opcodes to a growable buffer. */
export class PickleWriter {
  private buf = Buffer.alloc(1 << 12);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  op(...codes: number[]): this {
    this.reserve(codes.length);
    for (const c of codes) this.buf[this.len++] = c;
    return this;
  }
  raw(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }
  proto(): this {
    return this.op(0x80, 2);
  }
  stop(): this {
    return this.op(0x2e);
  }
  mark(): this {
    return this.op(0x28);
  }
  none(): this {
    return this.op(0x4e);
  }
  bool(b: boolean): this {
    return this.op(b ? 0x88 : 0x89);
  }
  int(v: number | bigint): this {
    if (typeof v === 'number' && v >= 0 && v < 0x100) return this.op(0x4b, v);
    if (typeof v === 'number' && v >= 0 && v < 0x10000) return this.op(0x4d, v & 0xff, v >> 8);
    if (typeof v === 'number' && v >= -0x80000000 && v < 0x80000000) {
      const b = Buffer.alloc(4);
      b.writeInt32LE(v);
      return this.op(0x4a).raw(b);
    }
    const payload = encodeLong(BigInt(v));
    if (payload.length > 255) throw new TorchError('save: integer too large to pickle');
    return this.op(0x8a, payload.length).raw(payload);
  }
  float(v: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v);
    return this.op(0x47).raw(b);
  }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    const n = Buffer.alloc(4);
    n.writeUInt32LE(b.length);
    return this.op(0x58).raw(n).raw(b);
  }
  global(module: string, name: string): this {
    return this.op(0x63).raw(Buffer.from(`${module}\n${name}\n`, 'utf8'));
  }
  /** Closes a tuple of n items pushed since the last MARK (or without one for n ≤ 3). */
  tuple(n: number): this {
    return this.op(n === 0 ? 0x29 : n === 1 ? 0x85 : n === 2 ? 0x86 : n === 3 ? 0x87 : 0x74);
  }
  /** A tuple of ints (sizes and strides), with a MARK first when it has more than 3. */
  intTuple(values: number[]): this {
    if (values.length > 3) this.mark();
    for (const v of values) this.int(v);
    return this.tuple(values.length);
  }
  reduce(): this {
    return this.op(0x52);
  }
  emptyDict(): this {
    return this.op(0x7d);
  }
  emptyList(): this {
    return this.op(0x5d);
  }
  setitems(): this {
    return this.op(0x75);
  }
  appends(): this {
    return this.op(0x65);
  }
  build(): this {
    return this.op(0x62);
  }
  binpersid(): this {
    return this.op(0x51);
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}
