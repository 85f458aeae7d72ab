// One backend's throughput, in its own process (so that peak RSS is its own). Prints one JSON
// object on its last line. Used by bench/run.mjs; runs alone too:
//   node bench/js-bench.mjs --backend wasm [--batch 64] [--warmup 2] [--iters 3] [--runs 3]
//   node bench/js-bench.mjs --backend wasm --workers 2     data-parallel training on 2 threads
//
// Training is timed as one fit of `runs` epochs over `iters` batches, after a warm-up fit of
// `warmup` batches (0: one step on 2 images); with --workers, one more epoch first, also a warm-up (its workers
// are cold), each later epoch is one run (its img/s from the epoch's logs, which exclude starting
// the workers; that time is reported as train_startup_s). Each run also records how busy the rest
// of the machine was (other_cores: CPU time of other processes per second, from /proc/stat).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { Ganomaly, ScoringPool, data, wasmThreadsStatus } from '@ganomaly/core';

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
    workers: { type: 'string', default: '1' },
    'skip-score': { type: 'boolean', default: false },
  },
});
const n = (k) => Number(a[k]);
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)];

/** CPU seconds all processes spent (from /proc/stat), or null off Linux. */
function machineCpuSeconds() {
  try {
    const [, ...f] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
    return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / 100;
  } catch {
    return null;
  }
}
/** Marks a point in time; `since(mark)` gives how many cores other processes kept busy meanwhile. */
const mark = () => ({ wall: performance.now(), machine: machineCpuSeconds(), own: process.cpuUsage() });
function otherCores(m) {
  const machine = machineCpuSeconds();
  if (machine === null || m.machine === null) return null;
  const own = process.cpuUsage(m.own);
  const wall = (performance.now() - m.wall) / 1000;
  return Math.max(0, (machine - m.machine - (own.user + own.system) / 1e6) / wall);
}

const model = await Ganomaly.create({
  imageSize: n('isize'),
  channels: n('nc'),
  latentDim: n('nz'),
  baseWidth: n('ngf'),
  backend: a.backend,
  // Time the training steps only: no statistics pass at the end of each timed fit.
  batchNormMode: 'running',
  // Scoring timed as PyTorch's scorer runs it: the whole generator chain (the default 'knn' runs G_E only).
  scoreVariant: 'mse',
});
const batch = n('batch');
const images = (count, seed) => tf.tidy(() => tf.randomUniform([count, n('isize'), n('isize'), n('nc')], 0, 255, 'float32', seed));

// Warm-up: kernels compiled, optimizer slots created.
{
  // --warmup 0: one step on 2 images only, which creates the optimizer's slots (so the tensor
  // count before and after the timed fit compares like with like) at a fraction of a step's cost.
  const warm = n('warmup') > 0 ? images(batch * n('warmup'), 1) : images(2, 1);
  await model.fit(warm, { epochs: 1, batchSize: n('warmup') > 0 ? batch : 2, shuffle: false });
  warm.dispose();
}
// With workers, the timed fit's first epoch warms them up and is not a run; one thread is warm already.
const workers = n('workers');
const extraEpoch = workers > 1 ? 1 : 0;
const fittedFirstEpoch = extraEpoch ? model.epochs + 1 : -1;

const train = images(batch * n('iters'), 2);
const tensorsBefore = tf.memory().numTensors;
const stepMs = [];
const otherLoad = [];
let last = performance.now();
let runMark = mark();
const fitted = await model.fit(train, {
  epochs: n('runs') + extraEpoch,
  batchSize: batch,
  shuffle: false,
  workers,
  onBatchEnd: ({ epoch }) => {
    const now = performance.now();
    if (epoch !== fittedFirstEpoch) stepMs.push(now - last);
    last = now;
  },
  onEpochEnd: ({ epoch }) => {
    if (epoch !== fittedFirstEpoch) otherLoad.push(otherCores(runMark));
    runMark = mark();
    last = performance.now();
  },
});
const tensorsAfter = tf.memory().numTensors;
train.dispose();
const runImgPerS = fitted.history.slice(extraEpoch).map((h) => h.imagesPerSecond);

const scoreBatch = n('score-batch');
const probe = images(scoreBatch * n('score-iters'), 3);
if (!a['skip-score']) await model.score(tf.slice(probe, 0, scoreBatch), { batchSize: scoreBatch }); // warm-up
const scoreRuns = [];
for (let r = 0; r < (a['skip-score'] ? 0 : n('runs')); r++) {
  const t = performance.now();
  await model.score(probe, { batchSize: scoreBatch });
  scoreRuns.push(probe.shape[0] / ((performance.now() - t) / 1000));
}
// Peak RSS of training and scoring in this process, before any scoring worker threads add theirs
// (with --workers it includes the training workers, which run in this process).
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
    score_img_per_s: scoreRuns.length ? median(scoreRuns) : null,
    train_workers: workers,
    // XNNPACK's threads on the main thread (wasm in Node; GANOMALY_WASM_THREADS sets it).
    ...(model.backend === 'wasm' ? { wasm_threads: wasmThreadsStatus()?.threads ?? null } : {}),
    ...(fitted.parallel
      ? {
          train_startup_s: fitted.parallel.startupSeconds,
          // Per step, milliseconds (all epochs of the timed fit, warm-up included).
          train_step_phases_ms: Object.fromEntries(Object.entries(fitted.parallel.timings).filter(([k]) => k !== 'steps').map(([k, v]) => [k, +(v / fitted.parallel.timings.steps).toFixed(1)])),
        }
      : {}),
    ...(poolRuns.length ? { score_pool_img_per_s: median(poolRuns), pool_workers: n('pool') } : {}),
    peak_rss_mb: peakRssMb,
    train_step_ms_median: median(stepMs),
    num_tensors_before: tensorsBefore,
    num_tensors_after: tensorsAfter,
    runs: { train_img_per_s: runImgPerS, score_img_per_s: scoreRuns, train_other_cores: otherLoad },
    config: { isize: n('isize'), nc: n('nc'), nz: n('nz'), ngf: n('ngf'), batch, score_batch: scoreBatch, warmup: n('warmup'), iters: n('iters'), runs: n('runs') },
  }),
);
