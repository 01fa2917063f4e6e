/**
 * Just enough protobuf to write an ONNX ModelProto (onnx/onnx.proto, IR version 8) in memory.
 *
 * Why hand-written rather than protobufjs or onnx-proto: we only ever encode, only ~8 message types, and
 * a GPT-2-small model carries ~500 MB of weights. Messages here are lists of byte chunks with a known
 * length, so the weights' Float32Array buffers are referenced, not copied, until the single final
 * concatenation. No schema file or extra runtime dependency ships with the extension.
 */

/** A protobuf message under construction: encoded chunks in order, and their total length. */
export class ProtoMessage {
  readonly chunks: Uint8Array[] = [];
  length = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  private tag(field: number, wireType: number): void {
    this.push(encodeVarint(BigInt(field * 8 + wireType)));
  }

  /** int32/int64/enum/bool: negative values take 10 bytes (two's complement), as protobuf requires. */
  int(field: number, value: number): this {
    if (!Number.isSafeInteger(value)) throw new Error(`protobuf int field ${field}: ${value} is not a safe integer`);
    this.tag(field, 0);
    this.push(encodeVarint(BigInt.asUintN(64, BigInt(value))));
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2);
    this.push(encodeVarint(BigInt(value.length)));
    if (value.length > 0) this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, value: ProtoMessage): this {
    this.tag(field, 2);
    this.push(encodeVarint(BigInt(value.length)));
    for (const c of value.chunks) this.push(c);
    return this;
  }

  /** The whole message as one buffer (the only copy of large payloads). */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

export function encodeVarint(value: bigint): Uint8Array {
  if (value < 0n) throw new Error('varint of a negative value: convert with BigInt.asUintN first');
  const bytes: number[] = [];
  let v = value;
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (v > 0n);
  return Uint8Array.from(bytes);
}

// ---------------------------------------------------------------------------------------------------
// ONNX messages (field numbers from onnx.proto).

export const enum OnnxType {
  FLOAT = 1,
  INT32 = 6,
  INT64 = 7,
  BOOL = 9,
}

export type AttrValue = number | number[] | string | { float: number };

/** TensorProto: dims=1, data_type=2, name=8, raw_data=9 (little-endian, which every supported platform is). */
export function tensorProto(name: string, type: OnnxType, dims: number[], raw: Uint8Array): ProtoMessage {
  const m = new ProtoMessage();
  for (const d of dims) m.int(1, d);
  m.int(2, type);
  m.string(8, name);
  m.bytes(9, raw);
  return m;
}

/** AttributeProto: name=1, f=2, i=3, s=4, ints=8, type=20 (FLOAT=1, INT=2, STRING=3, INTS=7). */
function attributeProto(name: string, value: AttrValue): ProtoMessage {
  const m = new ProtoMessage().string(1, name);
  if (typeof value === 'string') m.bytes(4, new TextEncoder().encode(value)).int(20, 3);
  else if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: use {float: x} for float values`);
    m.int(3, value).int(20, 2);
  } else if (Array.isArray(value)) {
    for (const v of value) m.int(8, v);
    m.int(20, 7);
  } else m.float(2, value.float).int(20, 1);
  return m;
}

/** NodeProto: input=1, output=2, name=3, op_type=4, attribute=5. */
export function nodeProto(op: string, inputs: string[], outputs: string[], name: string, attrs: Record<string, AttrValue> = {}): ProtoMessage {
  const m = new ProtoMessage();
  for (const i of inputs) m.string(1, i);
  for (const o of outputs) m.string(2, o);
  m.string(3, name).string(4, op);
  for (const [k, v] of Object.entries(attrs)) m.message(5, attributeProto(k, v));
  return m;
}

/** ValueInfoProto{name=1, type=2: TypeProto{tensor_type=1: {elem_type=1, shape=2: {dim=1: {dim_value=1 | dim_param=2}}}}}. */
export function valueInfoProto(name: string, type: OnnxType, dims: (number | string)[]): ProtoMessage {
  const shape = new ProtoMessage();
  for (const d of dims) shape.message(1, typeof d === 'number' ? new ProtoMessage().int(1, d) : new ProtoMessage().string(2, d));
  const tensorType = new ProtoMessage().int(1, type).message(2, shape);
  return new ProtoMessage().string(1, name).message(2, new ProtoMessage().message(1, tensorType));
}

export interface GraphParts {
  name: string;
  nodes: ProtoMessage[];
  initializers: ProtoMessage[];
  inputs: ProtoMessage[];
  outputs: ProtoMessage[];
}

/** ModelProto{ir_version=1, producer_name=2, graph=7, opset_import=8: {domain=1, version=2}}; GraphProto{node=1, name=2, initializer=5, input=11, output=12}. */
export function modelProto(g: GraphParts, opset: number, producer: string): Uint8Array {
  const graph = new ProtoMessage();
  for (const n of g.nodes) graph.message(1, n);
  graph.string(2, g.name);
  for (const t of g.initializers) graph.message(5, t);
  for (const i of g.inputs) graph.message(11, i);
  for (const o of g.outputs) graph.message(12, o);
  const model = new ProtoMessage().int(1, 8).string(2, producer).message(7, graph);
  model.message(8, new ProtoMessage().string(1, '').int(2, opset));
  // Protobuf messages are limited to 2 GiB; beyond that onnxruntime would need external data files.
  if (model.length > 0x7fffffff) throw new Error(`the ONNX model would take ${(model.length / 2 ** 30).toFixed(1)} GiB, over protobuf's 2 GiB limit`);
  return model.toBytes();
}
