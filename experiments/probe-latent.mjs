#!/usr/bin/env node
// Probe (issue #15): scores that read the encoder's latent code against a memory of the training
// images' codes, from one trained GANomaly model at the medium MNIST protocol. Prints, per run, the
// test AUROC and the training-side selection AUROC (held-out normals against their synthetic
// anomalies) of every candidate; appends one JSON line per run to --out.
//   node experiments/probe-latent.mjs --dataset mnist --classes 0-9 --seeds 0 --out F
import { parseArgs } from 'node:util';
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: a } = parseArgs({
  options: {
    dataset: { type: 'string', default: 'mnist' },
    classes: { type: 'string', default: '0-9' },
    seeds: { type: 'string', default: '0' },
    epochs: { type: 'string', default: '5' },
    out: { type: 'string', default: '/tmp/probe-latent.jsonl' },
  },
});
const list = (s) => s.split(',').flatMap((p) => { const [x, y] = p.split('-').map(Number); return y === undefined ? [x] : Array.from({ length: y - x + 1 }, (_, i) => x + i); });
const core = await import('@ganomaly/core');
const tf = await import('@tensorflow/tfjs-core');
const math = await import('@ganomaly/math');
const { useStatistics } = await import(path.join(here, '../packages/core/dist/scoring.js'));
const { forward } = await import(path.join(here, '../packages/core/dist/train-step.js'));
const { imageSource } = await import(path.join(here, '../packages/core/dist/inputs.js'));
const { data, Ganomaly } = core;
const mnist = a.dataset === 'mnist';
const dataDir = path.join(here, '../../shared/data');
let train, test;
if (mnist) {
  const m = await data.findMnist({ dirs: [path.join(dataDir, 'mnist')] });
  ({ train, test } = m);
} else {
  const dir = path.join(dataDir, 'cifar10');
  const files = fs.readdirSync(dir).sort();
  const load = async (fs_) => { let s = await data.loadCifar10(path.join(dir, fs_[0])); for (const f of fs_.slice(1)) s = data.concat(s, await data.loadCifar10(path.join(dir, f))); return s; };
  train = await load(files.filter((f) => /^data_batch.*\.bin(\.gz)?$/.test(f)));
  test = await load(files.filter((f) => /^test_batch.*\.bin(\.gz)?$/.test(f)));
}
const P = mnist ? { maxTrain: 3000, nVal: 300, maxTestNormal: 1000, maxTestAnomalous: 1000 } : { maxTrain: 3200, nVal: 320 };

/** z, zHat and D's feature map (flattened) of every image, population statistics. */
async function codes(model, set) {
  const src = await imageSource(set, 'images', 'probe', { imageSize: 32, channels: mnist ? 1 : 3 });
  const state = model.state;
  const nets = model.networks;
  const restore = useStatistics(state, nets, 'population', 'probe');
  const z = [], zh = [], f = [], g = [], rec = [];
  try {
    for (let s = 0; s < src.count; s += 256) {
      const idx = Int32Array.from({ length: Math.min(256, src.count - s) }, (_, i) => s + i);
      const [a1, b1, c1, g1, r1] = tf.tidy(() => {
        const x = src.batch(idx);
        const o = forward(nets, x, false);
        const [, fx] = nets.discriminator.apply(x, { training: false });
        return [o.z.reshape([idx.length, -1]), o.zHat.reshape([idx.length, -1]), fx.reshape([idx.length, -1]), tf.mean(fx, [1, 2]), tf.mean(tf.abs(tf.sub(x, o.xHat)), [1, 2, 3])];
      });
      z.push(a1); zh.push(b1); f.push(c1); g.push(g1); rec.push(r1);
    }
  } finally { restore?.(); }
  const cat = (xs) => { const t = tf.concat(xs); xs.forEach((x) => x.dispose()); return t; };
  return { z: cat(z), zh: cat(zh), f: cat(f), g: cat(g), rec: cat(rec) };
}

/** mean distance to the k nearest rows of bank (Euclidean), for k in ks; self excluded when same. */
function knn(q, bank, ks) {
  return tf.tidy(() => {
    const qq = tf.sum(tf.square(q), 1, true);
    const bb = tf.sum(tf.square(bank), 1).reshape([1, -1]);
    const d2 = tf.relu(tf.add(tf.sub(qq, tf.mul(2, tf.matMul(q, bank, false, true))), bb));
    const kmax = Math.max(...ks);
    const { values } = tf.topk(tf.neg(d2), kmax);
    const dist = tf.sqrt(tf.neg(values));
    const cs = tf.cumsum(dist, 1);
    return Object.fromEntries(ks.map((k) => [k, cs.slice([0, k - 1], [-1, 1]).reshape([-1]).div(k).dataSync()]));
  });
}

/** Mahalanobis distance² of rows of q to the Gaussian of bank (ridge 1e-3·mean variance + 1e-6). */
function gauss(q, bank) {
  return tf.tidy(() => {
    const n = bank.shape[0];
    const mu = tf.mean(bank, 0, true);
    const c = tf.sub(bank, mu);
    let cov = tf.div(tf.matMul(c, c, true, false), n - 1);
    const d = cov.shape[0];
    const tr = tf.div(tf.mean(tf.sum(tf.square(c), 0)), n - 1);
    cov = tf.add(cov, tf.mul(tf.eye(d), tf.add(tf.mul(tr, 1e-2), 1e-6)));
    const [qm, r] = tf.linalg.qr(cov);
    const inv = invUpper(r).matMul(qm, false, true);
    const qc = tf.sub(q, mu);
    return tf.sum(tf.mul(tf.matMul(qc, inv), qc), 1).dataSync();
  });
}
function invUpper(r) {
  const n = r.shape[0];
  const R = r.arraySync();
  const X = Array.from({ length: n }, () => new Float64Array(n));
  for (let j = 0; j < n; j++) {
    X[j][j] = 1 / R[j][j];
    for (let i = j - 1; i >= 0; i--) {
      let s = 0;
      for (let k = i + 1; k <= j; k++) s += R[i][k] * X[k][j];
      X[i][j] = -s / R[i][i];
    }
  }
  return tf.tensor2d(X.map((r) => Array.from(r)));
}

for (const seed of list(a.seeds)) for (const cls of list(a.classes)) {
  const split = data.leaveOneClassOut(train, test, { anomalyClass: cls, seed, maxTrain: P.maxTrain + P.nVal, maxTestNormal: P.maxTestNormal, maxTestAnomalous: P.maxTestAnomalous });
  const trainSet = data.subset(split.train, Array.from({ length: P.maxTrain }, (_, i) => i));
  const valSet = data.subset(split.train, Array.from({ length: P.nVal }, (_, i) => P.maxTrain + i));
  const syn = data.syntheticAnomalies(valSet, { seed });
  const model = await Ganomaly.create({ imageSize: 32, channels: mnist ? 1 : 3, latentDim: 100, baseWidth: 32, seed, backend: 'node' });
  const t0 = performance.now();
  await model.fit(trainSet, { epochs: Number(a.epochs), batchSize: 64 });
  const tTrain = (performance.now() - t0) / 1000;
  const tr = await codes(model, trainSet), te = await codes(model, split.test), va = await codes(model, valSet), sy = await codes(model, syn);
  const y = split.test.labels;
  const yv = Uint8Array.from({ length: 2 * valSet.count }, (_, i) => (i < valSet.count ? 0 : 1));
  const cand = {};
  const raw = {};
  const add = (name, fn) => {
    const t = fn(te), v = fn(va), s = fn(sy), m = fn(tr);
    cand[name] = { test: math.auroc(t, y), selection: math.auroc([...v, ...s], yv) };
    raw[name] = { test: Array.from(t), val: Array.from(v), syn: Array.from(s), train: Array.from(m) };
  };
  const dlt = (c) => tf.sub(c.z, c.zh);
  add('latent', (c) => tf.tidy(() => tf.mean(tf.square(dlt(c)), 1).dataSync()));
  for (const [key, pick] of [['z', (c) => c.z], ['d', dlt], ['f', (c) => c.f], ['g', (c) => c.g]]) {
    const bank = pick(tr);
    const res = { te: knn(pick(te), bank, [1, 5]), va: knn(pick(va), bank, [1, 5]), sy: knn(pick(sy), bank, [1, 5]), tr: knn(pick(tr), bank, [2]) };
    for (const k of [1, 5]) cand[`knn_${key}_${k}`] = { test: math.auroc(res.te[k], y), selection: math.auroc([...res.va[k], ...res.sy[k]], yv) };
    // train: each training code's distance to its nearest other training code (k = 2 includes itself at 0).
    raw[`knn_${key}_1`] = { test: Array.from(res.te[1]), val: Array.from(res.va[1]), syn: Array.from(res.sy[1]), train: Array.from(res.tr[2], (v) => 2 * v) };
    if (key === 'z' || key === 'g') add(`gauss_${key}`, (c) => gauss(pick(c), bank));
  }
  add('recon', (c) => c.rec.dataSync());
  const row = { dataset: a.dataset, anomaly_class: cls, seed, train_seconds: tTrain, candidates: cand };
  fs.writeFileSync(`${a.out}.${a.dataset}-${cls}-${seed}.raw.json`, JSON.stringify({ labels: Array.from(y), raw }));
  fs.appendFileSync(a.out, JSON.stringify(row) + '\n');
  console.log(`class ${cls} seed ${seed} (${tTrain.toFixed(0)} s): ` + Object.entries(cand).map(([k, v]) => `${k} ${v.test.toFixed(3)}/${v.selection.toFixed(3)}`).join('  '));
  for (const c of [tr, te, va, sy]) Object.values(c).forEach((t) => t.dispose());
  model.dispose();
}
