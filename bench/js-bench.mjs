// One backend's throughput, in its own process (so that peak RSS is its own). Prints one JSON
// object on its last line. Used by bench/run.mjs; runs alone too:
//   node bench/js-bench.mjs --backend wasm [--batch 64] [--warmup 2] [--iters 3] [--runs 3]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { Ganomaly, ScoringPool, data } from '@ganomaly/core';

const { values: a } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    isize: { type: 'string', default: '32' },
    nc: { type: 'string', default: '1' },
    nz: { type: 'string', default: '100' },
    ngf: { type: 'string', default: '64' },
    batch: { type: 'string', default: '64' },
    'score-batch': { type: 'string', default: '256' },
    warmup: { type: 'string', default: '2' },
    iters: { type: 'string', default: '3' },
    runs: { type: 'string', default: '3' },
    'score-iters': { type: 'string', default: '4' },
    pool: { type: 'string', default: '0' },
  },
});
const n = (k) => Number(a[k]);
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)];

const model = await Ganomaly.create({
  imageSize: n('isize'),
  channels: n('nc'),
  latentDim: n('nz'),
  baseWidth: n('ngf'),
  backend: a.backend,
  // Time the training steps only: no statistics pass at the end of each timed fit.
  batchNormMode: 'running',
});
const batch = n('batch');
const images = (count, seed) => tf.tidy(() => tf.randomUniform([count, n('isize'), n('isize'), n('nc')], 0, 255, 'float32', seed));

// Warm-up: kernels compiled, optimizer slots created.
const warm = images(batch * n('warmup'), 1);
await model.fit(warm, { epochs: 1, batchSize: batch, shuffle: false });
warm.dispose();

const train = images(batch * n('iters'), 2);
const tensorsBefore = tf.memory().numTensors;
const stepMs = [];
const runImgPerS = [];
for (let r = 0; r < n('runs'); r++) {
  const times = [];
  let last = performance.now();
  const start = last;
  await model.fit(train, {
    epochs: 1,
    batchSize: batch,
    shuffle: false,
    onBatchEnd: () => {
      const now = performance.now();
      times.push(now - last);
      last = now;
    },
  });
  stepMs.push(...times);
  runImgPerS.push((batch * n('iters')) / ((performance.now() - start) / 1000));
}
const tensorsAfter = tf.memory().numTensors;
train.dispose();

const scoreBatch = n('score-batch');
const probe = images(scoreBatch * n('score-iters'), 3);
await model.score(tf.slice(probe, 0, scoreBatch), { batchSize: scoreBatch }); // warm-up
const scoreRuns = [];
for (let r = 0; r < n('runs'); r++) {
  const t = performance.now();
  await model.score(probe, { batchSize: scoreBatch });
  scoreRuns.push(probe.shape[0] / ((performance.now() - t) / 1000));
}
// Peak RSS of training and scoring in this process, before any worker threads add theirs.
const peakRssMb = process.resourceUsage().maxRSS / 1024;
// Scoring on every core (ScoringPool, worker_threads), when asked: same scores, in parallel.
let poolRuns = [];
if (n('pool') > 0) {
  const set = data.fromTensor(tf.round(probe));
  const pool = await ScoringPool.create(model, { workers: n('pool'), batchSize: scoreBatch });
  await pool.score(set); // warm-up
  for (let r = 0; r < n('runs'); r++) {
    const t = performance.now();
    await pool.score(set);
    poolRuns.push(set.count / ((performance.now() - t) / 1000));
  }
  await pool.close();
}
probe.dispose();
model.dispose();

console.log(
  JSON.stringify({
    system: '@ganomaly',
    backend: model.backend,
    train_img_per_s: median(runImgPerS),
    score_img_per_s: median(scoreRuns),
    ...(poolRuns.length ? { score_pool_img_per_s: median(poolRuns), pool_workers: n('pool') } : {}),
    peak_rss_mb: peakRssMb,
    train_step_ms_median: median(stepMs),
    num_tensors_before: tensorsBefore,
    num_tensors_after: tensorsAfter,
    runs: { train_img_per_s: runImgPerS, score_img_per_s: scoreRuns },
    config: { isize: n('isize'), nc: n('nc'), nz: n('nz'), ngf: n('ngf'), batch, score_batch: scoreBatch, warmup: n('warmup'), iters: n('iters'), runs: n('runs') },
  }),
);
