// A TensorFlow GraphDef written from JavaScript, wrapped as a SavedModel (saved_model.pb only, no
// variables) that tfjs-node's binding loads into a TF session: the compiled training step of the
// `node` backend (compiled-step.ts) runs as one session call instead of hundreds of eager ops.
// Only what that step needs: a protobuf writer for the few messages involved, and a builder of
// nodes with typed attributes. Not part of the public API.

/** A protobuf message being written: fields appended in order. */
class Pb {
  private readonly parts: number[] = [];

  private varint(v: number | bigint): void {
    let n = BigInt.asUintN(64, BigInt(v));
    while (n >= 0x80n) {
      this.parts.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    this.parts.push(Number(n));
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, v: number): this {
    this.tag(field, 0);
    this.varint(v);
    return this;
  }

  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(new Float32Array([v]).buffer);
    this.parts.push(...b);
    return this;
  }

  bytes(field: number, v: Uint8Array): this {
    this.tag(field, 2);
    this.varint(v.length);
    for (const x of v) this.parts.push(x);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, m: Pb): this {
    return this.bytes(field, m.finish());
  }

  packedInts(field: number, vs: readonly number[]): this {
    const inner = new Pb();
    for (const v of vs) inner.varint(v);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export const DT_FLOAT = 1;
export const DT_INT32 = 3;
export const DT_BOOL = 10;

/** An attribute value of a node. */
export type Attr =
  | { type: number }
  | { i: number }
  | { f: number }
  | { b: boolean }
  | { s: string }
  | { ints: readonly number[] }
  | { shape: readonly number[] }
  | { tensor: { dtype: number; shape: readonly number[]; values: Float32Array | Int32Array } };

function shapeProto(dims: readonly number[]): Pb {
  const s = new Pb();
  for (const d of dims) s.message(2, new Pb().int(1, d));
  return s;
}

function attrProto(a: Attr): Pb {
  const p = new Pb();
  if ('type' in a) p.int(6, a.type);
  else if ('i' in a) p.int(3, a.i);
  else if ('f' in a) p.float(4, a.f);
  else if ('b' in a) p.int(5, a.b ? 1 : 0);
  else if ('s' in a) p.string(2, a.s);
  else if ('ints' in a) p.message(1, new Pb().packedInts(3, a.ints));
  else if ('shape' in a) p.message(7, shapeProto(a.shape));
  else {
    const t = new Pb().int(1, a.tensor.dtype).message(2, shapeProto(a.tensor.shape));
    t.bytes(4, new Uint8Array(a.tensor.values.buffer, a.tensor.values.byteOffset, a.tensor.values.byteLength));
    p.message(8, t);
  }
  return p;
}

/** A graph under construction: `op` adds a node and returns its name (its output 0). */
export class GraphBuilder {
  private readonly nodes: Pb[] = [];
  private count = 0;
  private readonly consts = new Map<string, string>();

  op(op: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, name?: string): string {
    const n = name ?? `${op}_${this.count++}`;
    const node = new Pb().string(1, n).string(2, op);
    for (const i of inputs) node.string(3, i);
    for (const [k, v] of Object.entries(attrs)) node.message(5, new Pb().string(1, k).message(2, attrProto(v)));
    this.nodes.push(node);
    return n;
  }

  /** A float32 scalar constant (one node per value). */
  scalar(v: number): string {
    const key = `f${v}`;
    let n = this.consts.get(key);
    if (!n) {
      n = this.op('Const', [], { dtype: { type: DT_FLOAT }, value: { tensor: { dtype: DT_FLOAT, shape: [], values: new Float32Array([v]) } } });
      this.consts.set(key, n);
    }
    return n;
  }

  /** An int32 vector constant (shapes, axes). */
  ints(vs: readonly number[]): string {
    const key = `i${vs.join(',')}`;
    let n = this.consts.get(key);
    if (!n) {
      n = this.op('Const', [], { dtype: { type: DT_INT32 }, value: { tensor: { dtype: DT_INT32, shape: [vs.length], values: Int32Array.from(vs) } } });
      this.consts.set(key, n);
    }
    return n;
  }

  /** An empty float32 vector (FusedBatchNorm's mean and variance inputs in training mode). */
  empty(): string {
    let n = this.consts.get('empty');
    if (!n) {
      n = this.op('Const', [], { dtype: { type: DT_FLOAT }, value: { tensor: { dtype: DT_FLOAT, shape: [0], values: new Float32Array(0) } } });
      this.consts.set('empty', n);
    }
    return n;
  }

  placeholder(name: string, shape: readonly number[]): string {
    return this.op('Placeholder', [], { dtype: { type: DT_FLOAT }, shape: { shape } }, name);
  }

  /** A MetaGraphDef tagged `tag` holding this graph (GraphDef with VersionDef.producer 1000). */
  private meta(tag: string): Pb {
    const graph = new Pb();
    for (const n of this.nodes) graph.message(1, n);
    graph.message(4, new Pb().int(1, 1000));
    return new Pb().message(1, new Pb().string(4, tag)).message(2, graph);
  }

  /** The bytes of that MetaGraphDef (what the tests parse with TensorFlow's own protobuf types). */
  metaGraph(tag = 'serve'): Uint8Array {
    return this.meta(tag).finish();
  }

  /** The bytes of saved_model.pb: SavedModel { saved_model_schema_version: 1, meta_graphs: [metaGraph] }. */
  savedModel(tag = 'serve'): Uint8Array {
    return new Pb().int(1, 1).message(2, this.meta(tag)).finish();
  }
}
