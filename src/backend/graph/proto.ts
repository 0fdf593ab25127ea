/**
 * A minimal protobuf writer for the few TensorFlow messages a SavedModel needs (GraphDef, NodeDef, AttrValue,
 * TensorProto, MetaGraphDef, SavedModel). Field numbers follow tensorflow/core/framework/*.proto and
 * tensorflow/core/protobuf/{meta_graph,saved_model}.proto. Writing is all we need, so no protobuf library.
 */

/** Growable byte buffer with protobuf wire-format primitives. */
class Writer {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  varint(value: number | bigint): void {
    // Negative int32/int64 values are written as 64-bit two's complement (10 bytes), as protobuf requires.
    let v = BigInt.asUintN(64, BigInt(value));
    this.ensure(10);
    while (v >= 0x80n) {
      this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.len++] = Number(v);
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  bytes(data: Uint8Array): void {
    this.varint(data.length);
    this.raw(data);
  }

  raw(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

const utf8 = new TextEncoder();

/** One message under construction; fields are appended in call order. */
export class Msg {
  private readonly w = new Writer();

  int(field: number, value: number | bigint): this {
    this.w.tag(field, 0);
    this.w.varint(value);
    return this;
  }

  bool(field: number, value: boolean): this {
    return this.int(field, value ? 1 : 0);
  }

  float(field: number, value: number): this {
    this.w.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.w.raw(b);
    return this;
  }

  bytesField(field: number, data: Uint8Array): this {
    this.w.tag(field, 2);
    this.w.bytes(data);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytesField(field, utf8.encode(value));
  }

  msg(field: number, m: Msg): this {
    return this.bytesField(field, m.finish());
  }

  /** Packed repeated varints (int64 / enum lists). */
  packedInts(field: number, values: ReadonlyArray<number>): this {
    const inner = new Writer();
    for (const v of values) inner.varint(v);
    return this.bytesField(field, inner.finish());
  }

  /** Packed repeated floats. */
  packedFloats(field: number, values: ReadonlyArray<number>): this {
    const b = new Uint8Array(values.length * 4);
    const dv = new DataView(b.buffer);
    values.forEach((v, i) => dv.setFloat32(i * 4, v, true));
    return this.bytesField(field, b);
  }

  /** map<string, Message> entry. */
  mapEntry(field: number, key: string, value: Msg): this {
    return this.msg(field, new Msg().string(1, key).msg(2, value));
  }

  finish(): Uint8Array {
    return this.w.finish();
  }
}
