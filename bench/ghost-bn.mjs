// How far data-parallel training's gradient is from the single-thread one: with `fit({ workers })`
// each shard's BatchNorm normalises by the shard's own statistics ("ghost batch norm"). Compares,
// at the bench's settings (widths 64, nz 100, 32x32x1) on the first 64 MNIST test digits and an
// untrained model, the gradient of the whole batch with the mean of the two halves' gradients, and
// puts it beside the difference between the two halves' gradients (the minibatch noise).
//   node bench/ghost-bn.mjs [--ngf 64] [--batch 64] [--shards 2]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { Ganomaly, data, useBackend } from '@ganomaly/core';
import { shardSizes } from '../packages/core/dist/data-parallel.js';
import { shardGradients } from '../packages/core/dist/train-step.js';

const { values: a } = parseArgs({ options: { ngf: { type: 'string', default: '64' }, batch: { type: 'string', default: '64' }, shards: { type: 'string', default: '2' } } });
await useBackend('wasm');
const model = await Ganomaly.create({ imageSize: 32, channels: 1, latentDim: 100, baseWidth: Number(a.ngf), seed: 0, backend: 'wasm' });
const mnist = await data.findMnist({ dirs: ['../shared/data/mnist'], loadTrain: false });
const n = Number(a.batch);
const set = data.subset(mnist.test, Int32Array.from({ length: n }, (_, i) => i));
const x = data.preprocess(set, { imageSize: 32, channels: 1 });
const grads = (t) => {
  const r = shardGradients(model.networks, t, model.config.lossWeights);
  const out = [...r.generator, ...r.discriminator].map((g) => Float64Array.from(g.dataSync()));
  tf.dispose([...r.generator, ...r.discriminator, r.losses]);
  return out;
};
const full = grads(x);
const parts = [];
let offset = 0;
for (const s of shardSizes(n, Number(a.shards))) {
  const t = tf.slice(x, offset, s);
  parts.push({ g: grads(t), share: s / n });
  t.dispose();
  offset += s;
}
const ghost = full.map((f, j) => f.map((_, k) => parts.reduce((acc, p) => acc + p.share * p.g[j][k], 0)));
const rel = (u, v) => {
  let d = 0;
  let m = 0;
  u.forEach((w, j) => w.forEach((val, k) => ((d += (val - v[j][k]) ** 2), (m += v[j][k] ** 2))));
  return Math.sqrt(d / m);
};
console.log(
  JSON.stringify({
    shards: parts.length,
    batch: n,
    ngf: Number(a.ngf),
    ghost_vs_full: rel(ghost, full),
    ...(parts.length === 2 ? { half_vs_half: rel(parts[0].g, parts[1].g) } : {}),
  }),
);
