/**
 * Hand-encodes a tiny ONNX model (protobuf wire format) so the ONNX teacher test needs no python and no binary
 * fixture: input x [N, 3, H, W] -> Conv 1x1 (weights W [2, 3, 1, 1], bias B [2]) -> y [N, 2, H, W].
 * Field numbers follow onnx.proto (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto, TypeProto).
 */

class Writer {
  private bytes: number[] = [];
  varint(v: number): this {
    let x = BigInt(v);
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x > 0n) b |= 0x80;
      this.bytes.push(b);
    } while (x > 0n);
    return this;
  }
  tag(field: number, wire: number): this { return this.varint((field << 3) | wire); }
  int(field: number, v: number): this { return this.tag(field, 0).varint(v); }
  bytesField(field: number, data: Uint8Array): this {
    this.tag(field, 2).varint(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }
  str(field: number, s: string): this { return this.bytesField(field, new TextEncoder().encode(s)); }
  msg(field: number, w: Writer): this { return this.bytesField(field, w.done()); }
  done(): Uint8Array { return Uint8Array.from(this.bytes); }
}

const FLOAT = 1;

function floatTensor(name: string, dims: number[], values: number[]): Writer {
  const t = new Writer();
  for (const d of dims) t.int(1, d);
  t.int(2, FLOAT).str(8, name);
  const raw = new Uint8Array(new Float32Array(values).buffer);
  return t.bytesField(9, raw);
}

function valueInfo(name: string, dims: (number | string)[]): Writer {
  const shape = new Writer();
  for (const d of dims) shape.msg(1, typeof d === 'number' ? new Writer().int(1, d) : new Writer().str(2, d));
  const tensorType = new Writer().int(1, FLOAT).msg(2, shape);
  return new Writer().str(1, name).msg(2, new Writer().msg(1, tensorType));
}

/** The 1x1 conv model; W is [out=2][in=3], B is [2]. */
export function tinyConvOnnx(W: number[][], B: number[]): Uint8Array {
  const node = new Writer().str(1, 'x').str(1, 'W').str(1, 'B').str(2, 'y').str(3, 'conv').str(4, 'Conv');
  const graph = new Writer()
    .msg(1, node)
    .str(2, 'tiny')
    .msg(5, floatTensor('W', [2, 3, 1, 1], W.flat()))
    .msg(5, floatTensor('B', [2], B))
    .msg(11, valueInfo('x', ['N', 3, 'H', 'W']))
    .msg(12, valueInfo('y', ['N', 2, 'H', 'W']));
  return new Writer()
    .int(1, 7) // ir_version
    .str(2, 'tintem-test')
    .msg(7, graph)
    .msg(8, new Writer().str(1, '').int(2, 13)) // opset_import: default domain, opset 13
    .done();
}
