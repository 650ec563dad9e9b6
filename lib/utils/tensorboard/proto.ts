// A minimal protocol-buffers encoder for the few messages an event file holds (Event, Summary,
// HistogramProto, TensorProto, SummaryMetadata). Fields are written in field-number order and proto3
// defaults (0, '', empty) are left out, as Python's protobuf does, so the bytes match PyTorch's.
const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private size = 0;

  private push(bytes: Uint8Array): this {
    this.chunks.push(bytes);
    this.size += bytes.length;
    return this;
  }

  private varint(value: number | bigint): this {
    // Negative int32/int64 values are ten bytes of two's complement, as protobuf encodes them.
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    return this.push(Uint8Array.from(out));
  }

  private key(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }

  /** int32, int64, enum, bool: skipped when 0 (proto3 default). */
  int(field: number, value: number | bigint | undefined): this {
    if (value === undefined || value === 0 || value === 0n) return this;
    return this.key(field, WIRE_VARINT).varint(value);
  }

  double(field: number, value: number | undefined): this {
    if (value === undefined || Object.is(value, 0)) return this;
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value, true);
    return this.key(field, WIRE_FIXED64).push(b);
  }

  float(field: number, value: number | undefined): this {
    if (value === undefined || Object.is(value, 0)) return this;
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    return this.key(field, WIRE_FIXED32).push(b);
  }

  /** A float that is written even at 0 (a member of a oneof, such as Summary.Value.simple_value). */
  floatAlways(field: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    return this.key(field, WIRE_FIXED32).push(b);
  }

  bytes(field: number, value: Uint8Array | undefined): this {
    if (value === undefined || value.length === 0) return this;
    return this.key(field, WIRE_BYTES).varint(value.length).push(value);
  }

  string(field: number, value: string | undefined): this {
    return value ? this.bytes(field, new TextEncoder().encode(value)) : this;
  }

  /** An embedded message; written even when empty when `always` (a set but empty submessage). */
  message(field: number, value: Uint8Array | undefined, always = false): this {
    if (value === undefined) return this;
    if (value.length === 0 && !always) return this;
    return this.key(field, WIRE_BYTES).varint(value.length).push(value);
  }

  /** A repeated bytes/string field: one key per element, empty elements included. */
  repeatedBytes(field: number, values: Uint8Array[]): this {
    for (const v of values) this.key(field, WIRE_BYTES).varint(v.length).push(v);
    return this;
  }

  /** A packed repeated double field (proto3's default for repeated scalars). */
  packedDouble(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    const b = new Uint8Array(8 * values.length);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < values.length; i++) dv.setFloat64(8 * i, values[i], true);
    return this.bytes(field, b);
  }

  packedFloat(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    const b = new Uint8Array(4 * values.length);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < values.length; i++) dv.setFloat32(4 * i, values[i], true);
    return this.bytes(field, b);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
