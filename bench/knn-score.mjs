#!/usr/bin/env node
// Scoring speed of the default 'knn' score against the latent 'mse' score, same trained weights:
// the library on a backend, and the exported ONNX graphs on ONNX Runtime (Node, CPU). A 'knn'
// graph holds the encoder alone; an 'mse' graph the whole generator chain.
//   node bench/knn-score.mjs [--backend node] [--width 64] [--train 3000] [--rounds 5] [--threads 2]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { Ganomaly } from '@ganomaly/core';
import { OnnxScorer } from '@ganomaly/onnx';

const { values: a } = parseArgs({
  options: {
    backend: { type: 'string', default: 'node' },
    width: { type: 'string', default: '64' },
    train: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '5' },
    threads: { type: 'string', default: '2' },
    batch: { type: 'string', default: '256' },
  },
});
const n = (k) => Number(a[k]);
const median = (v) => [...v].sort((x, y) => x - y)[v.length >> 1];
const images = (count, seed) => tf.tidy(() => tf.round(tf.randomUniform([count, 32, 32, 1], 0, 255, 'float32', seed)));

const knn = await Ganomaly.create({ imageSize: 32, channels: 1, latentDim: 100, baseWidth: n('width'), backend: a.backend, seed: 0 });
const train = images(n('train'), 1);
// One short epoch: the weights do not matter for speed, the memory's size (the training images) does.
await knn.fit(train, { epochs: 1, batchSize: 64 });
let saved;
await knn.save(tf.io.withSaveHandler(async (x) => ((saved = x), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
saved.modelTopology.ganomaly.config.scoreVariant = 'mse';
const mse = await Ganomaly.load(tf.io.fromMemory(saved), { backend: a.backend });
const probe = images(n('batch') * 4, 2);
const pixels = Float32Array.from(await probe.data());
const out = { backend: knn.backend, width: n('width'), memory: knn.memoryCount, images: probe.shape[0], rounds: n('rounds'), ort_threads: n('threads') };
for (const [name, m] of [['knn', knn], ['mse', mse]]) {
  await m.score(probe, { batchSize: n('batch') }); // warm-up
  const lib = [];
  for (let r = 0; r < n('rounds'); r++) {
    const t0 = performance.now();
    await m.score(probe, { batchSize: n('batch') });
    lib.push(probe.shape[0] / ((performance.now() - t0) / 1000));
  }
  const bytes = await m.exportOnnx();
  const scorer = await OnnxScorer.load(bytes, { runtime: 'node', threads: n('threads') });
  await scorer.score(pixels, { batchSize: n('batch') });
  const ort = [];
  for (let r = 0; r < n('rounds'); r++) {
    const t0 = performance.now();
    await scorer.score(pixels, { batchSize: n('batch') });
    ort.push(probe.shape[0] / ((performance.now() - t0) / 1000));
  }
  await scorer.dispose();
  out[name] = { library_img_s: Math.round(median(lib)), onnx_img_s: Math.round(median(ort)), onnx_bytes: bytes.length };
}
out.knn_over_mse = { library: +(out.knn.library_img_s / out.mse.library_img_s).toFixed(2), onnx: +(out.knn.onnx_img_s / out.mse.onnx_img_s).toFixed(2) };
console.log(JSON.stringify(out, null, 2));
tf.dispose([train, probe]);
knn.dispose();
mse.dispose();
