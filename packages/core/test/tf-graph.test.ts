// The GraphDef writer of the compiled step (tf-graph.ts), read back by TensorFlow's own protobuf
// types (tensorboard's copies of meta_graph.proto, graph.proto, attr_value.proto, in .venv;
// `npm run setup:python`). Needs no tfjs-node; skips with the reason where .venv cannot read them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DT_FLOAT, DT_INT32, GraphBuilder } from '../src/tf-graph.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const python = path.join(root, '.venv/bin/python');
const noReader = !existsSync(python)
  ? `no ${python} (npm run setup:python makes it)`
  : spawnSync(python, ['-c', 'from tensorboard.compat.proto import meta_graph_pb2'], { encoding: 'utf8' }).status !== 0
    ? `${python} cannot import tensorboard's protobuf types`
    : null;

const READ = `
import json, sys
from tensorboard.compat.proto import meta_graph_pb2
m = meta_graph_pb2.MetaGraphDef()
m.ParseFromString(open(sys.argv[1], 'rb').read())
def attr(a):
    k = a.WhichOneof('value')
    if k == 'list': return {'ints': list(a.list.i)}
    if k == 'shape': return {'shape': [d.size for d in a.shape.dim]}
    if k == 'tensor':
        t = a.tensor
        import struct
        n = len(t.tensor_content) // 4
        fmt = '<%d%s' % (n, 'f' if t.dtype == 1 else 'i')
        return {'tensor': {'dtype': t.dtype, 'shape': [d.size for d in t.tensor_shape.dim], 'values': list(struct.unpack(fmt, t.tensor_content))}}
    v = getattr(a, k)
    return {k: v.decode() if isinstance(v, bytes) else v}
print(json.dumps({'tags': list(m.meta_info_def.tags), 'producer': m.graph_def.versions.producer,
  'nodes': [{'name': n.name, 'op': n.op, 'input': list(n.input), 'attr': {k: attr(v) for k, v in sorted(n.attr.items())}} for n in m.graph_def.node]}))
`;

describe.skipIf(noReader !== null)(`the GraphDef writer, read by TensorFlow's protobuf types${noReader ? ` (skipped: ${noReader})` : ''}`, () => {
  it('writes nodes, inputs and every attribute kind as TensorFlow reads them', () => {
    const g = new GraphBuilder();
    const x = g.placeholder('x', [-1, 4, 4, 1]);
    const w = g.placeholder('w', [2, 2, 1, 3]);
    const y = g.op('Conv2D', [x, w], { T: { type: DT_FLOAT }, strides: { ints: [1, 2, 2, 1] }, padding: { s: 'SAME' } }, 'y');
    const bn = g.op('FusedBatchNormV3', [y, g.empty(), g.empty(), g.empty(), g.empty()], { epsilon: { f: 1e-5 }, is_training: { b: true } });
    g.op('Mean', [`${bn}:2`, g.ints([0, 1, 2, 3])], { T: { type: DT_FLOAT }, Tidx: { type: DT_INT32 }, keep_dims: { b: false }, N: { i: 300 } }, 'm');
    expect(g.scalar(0.5)).toBe(g.scalar(0.5)); // one node per constant
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ganomaly-graph-'));
    try {
      writeFileSync(path.join(dir, 'meta.pb'), g.metaGraph());
      const r = spawnSync(python, ['-c', READ, path.join(dir, 'meta.pb')], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      const m = JSON.parse(r.stdout) as { tags: string[]; producer: number; nodes: { name: string; op: string; input: string[]; attr: Record<string, any> }[] };
      expect(m.tags).toEqual(['serve']);
      expect(m.producer).toBe(1000);
      const by = Object.fromEntries(m.nodes.map((n) => [n.name, n]));
      expect(by['x']).toEqual({ name: 'x', op: 'Placeholder', input: [], attr: { dtype: { type: DT_FLOAT }, shape: { shape: [-1, 4, 4, 1] } } });
      expect(by['y']).toEqual({ name: 'y', op: 'Conv2D', input: ['x', 'w'], attr: { T: { type: DT_FLOAT }, padding: { s: 'SAME' }, strides: { ints: [1, 2, 2, 1] } } });
      const fbn = m.nodes.find((n) => n.op === 'FusedBatchNormV3')!;
      expect(fbn.input).toEqual(['y', ...Array(4).fill(m.nodes.find((n) => n.op === 'Const' && n.attr['value'].tensor.shape[0] === 0)!.name)]);
      expect(fbn.attr['epsilon'].f).toBeCloseTo(1e-5, 10);
      expect(fbn.attr['is_training']).toEqual({ b: true });
      expect(by['m']!.input).toEqual([`${fbn.name}:2`, expect.stringMatching(/^Const_/)]);
      expect(by['m']!.attr['N']).toEqual({ i: 300 });
      const axes = m.nodes.find((n) => n.name === by['m']!.input[1])!;
      expect(axes.attr['value']).toEqual({ tensor: { dtype: DT_INT32, shape: [4], values: [0, 1, 2, 3] } });
      const half = m.nodes.find((n) => n.name === g.scalar(0.5))!;
      expect(half.attr['value']).toEqual({ tensor: { dtype: DT_FLOAT, shape: [], values: [0.5] } });
      // saved_model.pb: SavedModel { saved_model_schema_version: 1 (field 1), meta_graphs: [that MetaGraphDef] (field 2) }.
      const meta = g.metaGraph();
      const sm = g.savedModel();
      const len: number[] = [];
      for (let v = meta.length; ; v >>= 7) {
        if (v < 0x80) { len.push(v); break; }
        len.push((v & 0x7f) | 0x80);
      }
      expect([...sm]).toEqual([0x08, 0x01, 0x12, ...len, ...meta]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
