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
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let pos = 0;

  const fail = (what: string): never => {
    throw new TorchError(`load: ${where}: ${what}`);
  };
  const need = (n: number): number => {
    if (pos + n > data.length) fail(`truncated pickle (needs ${n} more bytes at offset ${pos})`);
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = () => data[need(1)];
  const u16 = () => view.getUint16(need(2), true);
  const u32 = () => view.getUint32(need(4), true);
  const u64 = (): number => {
    const v = view.getBigUint64(need(8), true);
    if (v > BigInt(data.length)) fail(`length ${v} runs past the end of the pickle`);
    return Number(v);
  };
  const bytes = (n: number) => data.subarray(need(n), pos);
  // Short ASCII strings (keys, 'storage', 'cpu': most of a checkpoint's) skip the decoder, which costs
  // more than the string for a few bytes.
  const ascii = (from: number, to: number): string | undefined => {
    if (to - from > 64) return undefined;
    for (let i = from; i < to; i++) if (data[i] >= 0x80) return undefined;
    return String.fromCharCode.apply(null, data.subarray(from, to) as unknown as number[]);
  };
  const text = (n: number): string => {
    const at = need(n);
    const fast = ascii(at, pos);
    if (fast !== undefined) return fast;
    pos = at;
    try {
      return utf8.decode(bytes(n));
    } catch {
      return fail(`invalid UTF-8 in a string at offset ${pos - n}`);
    }
  };
  const line = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) fail('truncated pickle (unterminated text argument)');
    const s = ascii(pos, end) ?? Buffer.from(data.subarray(pos, end)).toString('latin1');
    pos = end + 1;
    return s;
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1])) fail(`stack underflow at offset ${pos - 1}`);
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail(`stack underflow at offset ${pos - 1}`);
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail(`no MARK for the opcode at offset ${pos - 1}`);
    return stack.splice(m as number);
  };
  // One PyGlobal per name (they are immutable): a pickle without memo names the same three globals per tensor.
  const globals = new Map<string, PyGlobal>();
  const global = (module: string, name: string): PyGlobal => {
    const q = `${module}.${name}`;
    const known = globals.get(q);
    if (known && known.module === module) return known;
    if (!allowed.has(q)) {
      fail(`refusing to load the global '${q}': only tensors, numbers, strings, lists, tuples and dicts are allowed (the checkpoint may be malicious, or holds a custom class)`);
    }
    const g = new PyGlobal(module, name);
    globals.set(q, g);
    return g;
  };
  const setItems = (target: unknown, items: unknown[]): void => {
    if (!(target instanceof Map)) fail(`SETITEM(S) on a ${describe(target)}, not a dict`);
    if (items.length % 2) fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) (target as Map<unknown, unknown>).set(key(items[i]), items[i + 1]);
  };
  // Python compares dict keys by value; JS Maps by identity, so numbers stay numbers and a bigint
  // that fits becomes a number (the same key Python would see).
  const key = (k: unknown): unknown => (typeof k === 'bigint' && isSafe(k) ? Number(k) : k);
  const call = (fn: unknown, args: unknown): unknown => {
    if (!(fn instanceof PyGlobal)) fail(`call of a ${describe(fn)}, not an allowed global`);
    if (!Array.isArray(args)) fail(`arguments of ${(fn as PyGlobal).qualified} are not a tuple`);
    return hooks.call(fn as PyGlobal, args as unknown[]);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail(`pickle protocol ${data[pos - 1]} is newer than 5`);
        break;
      case 0x95: // FRAME: only a length hint
        need(8);
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length) fail(`the pickle ends with ${stack.length} values on the stack`);
        return stack[0];
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        stack.push(view.getInt32(need(4), true));
        break;
      case 0x8a: // LONG1
        stack.push(decodeLong(bytes(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(decodeLong(bytes(u32())));
        break;
      case 0x49: {
        // INT (protocol 0, and how protocol 1 writes booleans)
        const s = line();
        if (s === '01' || s === '00') stack.push(s === '01');
        else if (/^-?\d+$/.test(s)) stack.push(normalize(BigInt(s)));
        else fail(`bad INT argument '${s}'`);
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        stack.push(view.getFloat64(need(8), false));
        break;
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(u64()));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(Uint8Array.from(bytes(u8())));
        break;
      case 0x42: // BINBYTES
        stack.push(Uint8Array.from(bytes(u32())));
        break;
      case 0x8e: // BINBYTES8
        stack.push(Uint8Array.from(bytes(u64())));
        break;
      case 0x55: // SHORT_BINSTRING (Python 2 str): latin-1 text
        stack.push(Buffer.from(bytes(u8())).toString('latin1'));
        break;
      case 0x54: // BINSTRING
        stack.push(Buffer.from(bytes(u32())).toString('latin1'));
        break;
      case 0x74: // TUPLE
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x64: {
        // DICT
        const d = new PyDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        const list = top();
        if (!Array.isArray(list)) fail(`APPEND to a ${describe(list)}, not a list`);
        (list as unknown[]).push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const list = top();
        if (!Array.isArray(list)) fail(`APPENDS to a ${describe(list)}, not a list`);
        for (const v of items) (list as unknown[]).push(v);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const i = op === 0x68 ? u8() : u32();
        if (!memo.has(i)) fail(`memo entry ${i} is not defined (offset ${pos})`);
        stack.push(memo.get(i));
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE: callable(*args)
        const args = pop();
        const fn = pop();
        stack.push(call(fn, args));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args); only OrderedDict is ever constructed this way here
        const args = pop();
        const cls = pop();
        stack.push(call(cls, args));
        break;
      }
      case 0x62: {
        // BUILD: obj.__setstate__(state)
        const state = pop();
        const obj = top();
        if (!hooks.build?.(obj, state)) fail(`BUILD (setting the state) of a ${describe(obj)} is not allowed`);
        break;
      }
      case 0x51: // BINPERSID
        stack.push(hooks.persistentLoad(pop()));
        break;
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16)} ('${String.fromCharCode(op)}') at offset ${pos - 1}; only what torch.save writes for tensors and plain containers is allowed`);
    }
  }
}

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
