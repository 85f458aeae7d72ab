#!/usr/bin/env node
// The authors' seeded leave-one-class-out protocol (docs/GANOMALY-SPEC.md) over a list of anomaly
// classes and seeds, for this library (--impl ganomaly) or the PyTorch reference
// (--impl pytorch: bench/pytorch/ganomaly.py protocol, through experiments/pytorch_protocol.py).
// One JSON record per (class, seed) is appended to a JSONL file as soon as it is done; a run whose
// record (same impl, data set, class, seed and config) is already in the file is skipped, so an
// interrupted sweep resumes where it stopped. Progress goes to stderr.
//
//   node experiments/run.mjs --dataset mnist --impl ganomaly --classes 0-9 --seeds 0,1,2 [options]
//   node experiments/run.mjs --help
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import path from 'node:path';
import fs from 'node:fs';
import { byVariant, fromLibrary, variantAurocs } from './variants.mjs';
import { BN_MODES, CIFAR10_NAMES, appendRecord, defaultOutFile, makeConfig, parseIntList, readJsonl, runKey } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..');

const HELP = `Usage: node experiments/run.mjs [options]

  --dataset mnist|cifar10      data set (default mnist)
  --impl ganomaly|pytorch      this library, or bench/pytorch/ganomaly.py (default ganomaly)
  --classes LIST               anomaly classes, e.g. 0-9 or 1,3 (default 0-9)
  --seeds LIST                 seeds of the split and of the weights, e.g. 0,1,2 (default 0)
  --epochs N                   training epochs (default 15, the paper's)
  --max-train N                cap on training images, a seeded prefix (0 or absent: all)
  --val-normal N               (library only, with --max-train) the next N normal images after the
                               training prefix are a validation set never trained on: its mean score
                               after each epoch is recorded, and the epoch with the lowest one is
                               the model-selection rule studied (no test data involved)
                               (both impls: the held-out normals also calibrate the skip and
                               combined score variants of every record)
  --model KIND                 the detector (library: ganomaly, autoencoder, vae, skip-ganomaly,
                               anogan, egbad; pytorch: ganomaly, skip-ganomaly). Default ganomaly
  --select last|validation     (library only, with --val-normal) fit's model selection: 'validation'
                               = select: 'validation' with the held-out normals and their synthetic
                               anomalies; the record keeps the last epoch's figures and adds the
                               selected epoch's (default last)
  --ema D                      (library GANomaly) also score the test set, after the last epoch, with an
                               exponential moving average of G's weights (decay D, e.g. 0.99): auroc_ema
  --test-every epoch|last      (library detectors other than ganomaly) score the test set after
                               every epoch (per-epoch AUROC, best epoch) or only after the last:
                               a quarter of the scoring for AnoGAN, whose scores are a z search
                               (default epoch; 'last' goes into the record's config)
  --max-test-normal N          cap on normal test images (0 or absent: all)
  --max-test-anomalous N       cap on anomalous test images, drawn with the seed (0 or absent: all)
  --width W                    ngf = ndf (default 64)
  --latent Z                   nz (default 100)
  --batch B                    batch size (default 64)
  --w-adv --w-con --w-enc      loss weights (default 1, 50, 1)
  --score l2|l1|knn            l2: mean (z - z^)^2 (code; library 'mse'), l1: sum |z - z^| (paper),
                               knn: distance from z to the nearest training code (library only)
  --bn population|running|batch   BatchNorm mode of the per-epoch and final AUROC (default population)
  --backend NAME               library backend (auto, cpu, wasm, node, ...; default auto)
  --device cpu|cuda            PyTorch device (default cpu)
  --threads N                  PyTorch threads (default 2; 0: all cores)
  --data-dir DIR               folder holding mnist/ and cifar10/ (default <repo>/../shared/data)
  --python PATH                Python with torch (default /usr/bin/python3)
  --out FILE                   JSONL output (default experiments/results/<dataset>-<impl>.jsonl)
  --stop-after N               exit after N new records (tests of the resume; default: no limit)
  --list                       print the planned runs and whether each is done, then exit
`;

/** @type {any} */
let a;
try {
({ values: a } = parseArgs({
  options: {
    dataset: { type: 'string', default: 'mnist' },
    impl: { type: 'string', default: 'ganomaly' },
    classes: { type: 'string', default: '0-9' },
    seeds: { type: 'string', default: '0' },
    epochs: { type: 'string', default: '15' },
    'max-train': { type: 'string', default: '0' },
    'max-test-normal': { type: 'string', default: '0' },
    'max-test-anomalous': { type: 'string', default: '0' },
    'val-normal': { type: 'string', default: '0' },
    select: { type: 'string', default: 'last' },
    model: { type: 'string', default: 'ganomaly' },
    'test-every': { type: 'string', default: 'epoch' },
    ema: { type: 'string', default: '0' },
    width: { type: 'string', default: '64' },
    latent: { type: 'string', default: '100' },
    batch: { type: 'string', default: '64' },
    'w-adv': { type: 'string', default: '1' },
    'w-con': { type: 'string', default: '50' },
    'w-enc': { type: 'string', default: '1' },
    score: { type: 'string', default: 'l2' },
    bn: { type: 'string', default: 'population' },
    backend: { type: 'string', default: 'auto' },
    device: { type: 'string', default: 'cpu' },
    threads: { type: 'string', default: '2' },
    'data-dir': { type: 'string' },
    python: { type: 'string', default: '/usr/bin/python3' },
    out: { type: 'string' },
    'stop-after': { type: 'string', default: '0' },
    list: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
}));
} catch (e) {
  process.stderr.write(`run.mjs: ${/** @type {Error} */ (e).message}\nTry --help.\n`);
  process.exit(2);
}
if (a.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

/** @param {string} msg */
function die(msg) {
  process.stderr.write(`run.mjs: ${msg}\n`);
  process.exit(2);
}
/** @param {string} k @param {number} [min] */
function int(k, min = 0) {
  const v = Number(a[k]);
  if (!Number.isInteger(v) || v < min) die(`--${k} must be an integer >= ${min}, got '${a[k]}'`);
  return v;
}
/** @param {string} k */
function weight(k) {
  const v = Number(a[k]);
  if (!Number.isFinite(v) || v < 0) die(`--${k} must be a finite number >= 0, got '${a[k]}'`);
  return v;
}
/** @template {string} T @param {string} k @param {readonly T[]} allowed @returns {T} */
function oneOf(k, allowed) {
  if (!allowed.includes(/** @type {T} */ (a[k]))) die(`--${k} must be one of ${allowed.join(', ')}, got '${a[k]}'`);
  return /** @type {T} */ (a[k]);
}

const dataset = oneOf('dataset', ['mnist', 'cifar10']);
const impl = oneOf('impl', ['ganomaly', 'pytorch']);
const score = oneOf('score', ['l2', 'l1', 'knn']);
const bn = oneOf('bn', BN_MODES);
let classes, seeds;
try {
  classes = parseIntList(String(a.classes), { name: 'classes', min: 0, max: 9 });
  seeds = parseIntList(String(a.seeds), { name: 'seeds', min: 0, max: 2 ** 32 - 1 });
} catch (e) {
  die(/** @type {Error} */ (e).message);
}
const config = makeConfig({
  epochs: int('epochs', 1),
  maxTrain: int('max-train'),
  maxTestNormal: int('max-test-normal'),
  maxTestAnomalous: int('max-test-anomalous'),
  valNormal: int('val-normal'),
  width: int('width', 1),
  latent: int('latent', 1),
  batch: int('batch', 2),
  wAdv: weight('w-adv'),
  wCon: weight('w-con'),
  wEnc: weight('w-enc'),
  score,
  bn,
  select: oneOf('select', ['last', 'validation']),
  model: String(a.model),
  testEvery: oneOf('test-every', ['epoch', 'last']),
  ema: emaDecay(),
});
/** --ema D: 0 (off) or a decay in (0, 1). */
function emaDecay() {
  const v = Number(a.ema);
  if (!(v === 0 || (v > 0 && v < 1))) die(`--ema must be 0 or a decay in (0, 1), got '${a.ema}'`);
  return v;
}
if (config.ema && (impl !== 'ganomaly' || config.model || config.select)) die('--ema is implemented for the library\'s GANomaly (--impl ganomaly, no --model, --select last)');
if (config.test_every && (impl !== 'ganomaly' || !config.model)) die('--test-every last is implemented for the library\'s other detectors (--model KIND, not ganomaly)');
if (config.model && config.select) die('--select validation is implemented for --model ganomaly only');
if (config.model && impl === 'pytorch' && config.model !== 'skip-ganomaly') die(`--impl pytorch knows --model ganomaly and skip-ganomaly, not '${config.model}'`);
if (config.score === 'knn' && (impl !== 'ganomaly' || config.model)) die('--score knn is the library\'s GANomaly score variant (--impl ganomaly, no --model)');
if (config.select && (impl !== 'ganomaly' || !config.val_normal)) die('--select validation needs --impl ganomaly and --val-normal N');
const stopAfter = int('stop-after');
const threads = int('threads');
const dataDir = path.resolve(a['data-dir'] ?? path.join(repoRoot, '..', 'shared', 'data'));
const outFile = path.resolve(a.out ?? defaultOutFile(repoRoot, dataset, impl));

/** @param {string} msg */
const log = (msg) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

// ---------------------------------------------------------------------------------------------
// Resume: what is already in the output file.
const existing = readJsonl(outFile);
if (existing.bad.length) log(`warning: ${existing.bad.length} unreadable line(s) in ${outFile} (e.g. line ${existing.bad[0].line}); ignored`);
const done = new Set(existing.records.map(runKey));
const plan = [];
for (const anomaly_class of classes) for (const seed of seeds) plan.push({ impl, dataset, anomaly_class, seed, config });
const todo = plan.filter((p) => !done.has(runKey(p)));

if (a.list) {
  for (const p of plan) process.stdout.write(`${done.has(runKey(p)) ? 'done' : 'todo'}  ${impl} ${dataset} class ${p.anomaly_class} seed ${p.seed}\n`);
  process.exit(0);
}
log(`${impl} on ${dataset}: ${plan.length} run(s) planned, ${plan.length - todo.length} already in ${path.relative(process.cwd(), outFile) || outFile}, ${todo.length} to do`);
log(`config ${JSON.stringify(config)}`);

// ---------------------------------------------------------------------------------------------
// Data (library only; the PyTorch script loads its own from the same folder).

/** @type {any} */
let core;
/** @type {{ train: any, test: any, source: string } | undefined} */
let loaded;

async function loadData() {
  if (loaded) return loaded;
  core ??= await import('@ganomaly/core');
  const { data } = core;
  if (dataset === 'mnist') {
    const m = await data.findMnist({ dirs: [path.join(dataDir, 'mnist')] });
    if (!m.train?.labels) throw new Error(`MNIST from ${m.source} has no labelled training set (${m.note ?? ''})`);
    loaded = { train: m.train, test: m.test, source: m.source };
  } else {
    const dir = path.join(dataDir, 'cifar10');
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
    const trainFiles = files.filter((f) => /^data_batch.*\.bin(\.gz)?$/.test(f));
    const testFiles = files.filter((f) => /^test_batch.*\.bin(\.gz)?$/.test(f));
    if (!trainFiles.length || !testFiles.length) throw new Error(`no CIFAR-10 data_batch*.bin and test_batch*.bin in ${dir}`);
    const load = async (/** @type {string[]} */ fs_) => {
      let set = await data.loadCifar10(path.join(dir, fs_[0]));
      for (const f of fs_.slice(1)) set = data.concat(set, await data.loadCifar10(path.join(dir, f)));
      return set;
    };
    loaded = { train: await load(trainFiles), test: await load(testFiles), source: `${dir} (${trainFiles.join(' ')} | ${testFiles.join(' ')})` };
  }
  log(`${dataset} from ${loaded.source}: ${loaded.train.count} train + ${loaded.test.count} test images`);
  return loaded;
}

/** @param {number[]} xs */
function best(xs) {
  let k = -1;
  for (let i = 0; i < xs.length; i++) if (Number.isFinite(xs[i]) && (k < 0 || xs[i] > xs[k])) k = i;
  return k < 0 ? { value: null, epoch: null } : { value: xs[k], epoch: k + 1 };
}

/**
 * The records' score-variant fields from per-epoch {variant: test AUROC} (calibration of skip and
 * combined: the held-out normal images of --val-normal; without them those two are null).
 * @param {Record<string, number|null>[]} perEpoch
 */
function variantFields(perEpoch) {
  return {
    variant_auroc: perEpoch[perEpoch.length - 1],
    per_epoch_variant_auroc: byVariant(perEpoch),
  };
}

/**
 * The record's best-epoch and last-epoch metric fields of the library's runs: the test-selected
 * epoch of `perEpoch` (shown, never used) and `ev`'s AP, F1 at phi = 0.2 and EER.
 * @param {(number|null)[]} perEpoch @param {any} ev
 */
function epochMetrics(perEpoch, ev) {
  const b = best(perEpoch.map((v) => (v === null ? NaN : v)));
  return {
    best_epoch_auroc: b.value,
    best_epoch: b.epoch,
    best_epoch_note: BEST_NOTE,
    average_precision: ev.averagePrecision,
    f1: ev.f1,
    precision: ev.precision,
    recall: ev.recall,
    f1_threshold: { source: ev.thresholdSource, phi: 0.2, value: ev.threshold },
    eer: ev.eer,
  };
}

const BEST_NOTE = "max over epochs of the test-set AUROC: the epoch the paper's code selected (selection on the test set, optimistic); auroc is the last epoch's";

/**
 * Another detector of the library's family (createDetector): trained on the same split with its
 * defaults at the protocol's sizes; the test AUROC after every epoch (fit's `validation`), the last
 * epoch's metrics from `evaluate`.
 * @param {{ anomaly_class: number, seed: number }} p
 */
async function runDetector(p) {
  const { train, test } = await loadData();
  const { createDetector, data } = core;
  const split = data.leaveOneClassOut(train, test, {
    anomalyClass: p.anomaly_class,
    seed: p.seed,
    maxTrain: config.max_train ?? undefined,
    maxTestNormal: config.max_test_normal ?? undefined,
    maxTestAnomalous: config.max_test_anomalous ?? undefined,
  });
  const trainSet = config.max_train && config.val_normal ? data.subset(split.train, Array.from({ length: Math.min(config.max_train, split.train.count) }, (_, i) => i)) : split.train;
  const t0 = performance.now();
  const model = await createDetector(config.model, {
    imageSize: config.image_size,
    channels: dataset === 'mnist' ? 1 : 3,
    // Skip-GANomaly's U-Net has no latent size (it refuses one).
    ...(config.model === 'skip-ganomaly' ? {} : { latentDim: config.latent }),
    baseWidth: config.width,
    learningRate: config.lr,
    batchNormMode: config.bn,
    seed: p.seed,
    backend: String(a.backend),
  });
  try {
    const labels = split.test.labels;
    const { history } = await model.fit(trainSet, {
      epochs: config.epochs,
      batchSize: config.batch,
      ...(config.test_every ? {} : { validation: { images: split.test, labels } }),
      onEpochEnd: (/** @type {any} */ l) => log(`  epoch ${l.epoch}/${l.epochs}  ${config.test_every ? '' : `test AUROC ${l.auroc?.toFixed(4)}  `}${l.seconds.toFixed(1)} s`),
    });
    const ev = await model.evaluate(split.test, labels);
    // With --test-every last only the last epoch has a test AUROC (the final evaluation's).
    const perEpoch = config.test_every ? history.map((/** @type {any} */ _l, /** @type {number} */ i) => (i === history.length - 1 ? ev.auroc : null)) : history.map((/** @type {any} */ l) => (Number.isFinite(l.auroc) ? l.auroc : null));
    return {
      per_epoch_auroc: perEpoch,
      auroc: ev.auroc,
      ...epochMetrics(perEpoch, ev),
      train_seconds: history.reduce((/** @type {number} */ s, /** @type {any} */ l) => s + l.seconds, 0),
      total_seconds: (performance.now() - t0) / 1000,
      split: { normal_pool: split.counts.normalPool, anomaly_pool: split.counts.anomalyPool, train: trainSet.count, test_normal: split.counts.testNormal, test_anomalous: split.counts.testAnomalous },
      history: history.map((/** @type {any} */ l) => ({ epoch: l.epoch, seconds: l.seconds, losses: l.losses ?? Object.fromEntries(Object.entries(l).filter(([k, v]) => /Loss$/.test(k) && typeof v === 'number')) })),
      runtime: { backend: model.backend, node: process.version, data_source: loaded?.source },
    };
  } finally {
    model.dispose();
  }
}

/**
 * An exponential moving average of the trainable weights of G's three networks (G_E, G_D, E),
 * updated after every step with TensorFlow's ExponentialMovingAverage rule (decay
 * min(decay, (1 + t) / (10 + t)), so early steps do not pin the average to the initial weights).
 */
class WeightAverage {
  /** @param {any} tf @param {any} model @param {number} decay */
  constructor(tf, model, decay) {
    this.tf = tf;
    this.model = model;
    this.decay = decay;
    this.t = 0;
    /** @type {any[]} */
    this.vars = ['encoder', 'decoder', 'reencoder'].flatMap((k) => model.networks[k].trainableWeights);
    /** @type {any[]} */
    this.avg = this.vars.map((w) => tf.keep(tf.clone(w.read())));
  }
  update() {
    const d = Math.min(this.decay, (1 + this.t) / (10 + this.t));
    this.t++;
    this.avg = this.avg.map((m, i) => {
      const tf = this.tf;
      const next = tf.tidy(() => tf.add(tf.mul(m, d), tf.mul(this.vars[i].read(), 1 - d)));
      m.dispose();
      return next;
    });
  }
  /** Test AUROC with the averaged weights; the trained weights and statistics are put back. */
  async evaluate(trainSet, test, labels, batch) {
    const tf = this.tf;
    const saved = this.model.networks;
    const all = Object.values(saved).flatMap((n) => n.weights);
    const copy = all.map((w) => tf.clone(w.read()));
    try {
      this.vars.forEach((w, i) => w.write(this.avg[i]));
      await this.model.recomputeStatistics(trainSet, batch);
      return (await this.model.evaluate(test, labels)).auroc;
    } finally {
      all.forEach((w, i) => w.write(copy[i]));
      tf.dispose(copy);
      await this.model.recomputeStatistics(trainSet, batch);
    }
  }
  dispose() {
    this.tf.dispose(this.avg);
  }
}

/** @param {{ anomaly_class: number, seed: number }} p */
async function runGanomaly(p) {
  const { train, test } = await loadData();
  const { Ganomaly, data } = core;
  const nVal = config.val_normal ?? 0;
  if (nVal && !config.max_train) throw new Error('--val-normal needs --max-train (the validation images follow the training prefix)');
  const split = data.leaveOneClassOut(train, test, {
    anomalyClass: p.anomaly_class,
    seed: p.seed,
    maxTrain: config.max_train ? config.max_train + nVal : undefined,
    maxTestNormal: config.max_test_normal ?? undefined,
    maxTestAnomalous: config.max_test_anomalous ?? undefined,
  });
  // The seeded training order is a prefix: the first max_train images train (as without
  // --val-normal), the next nVal are held out.
  const trainSet = nVal ? data.subset(split.train, Array.from({ length: config.max_train }, (_, i) => i)) : split.train;
  const valSet = nVal ? data.subset(split.train, Array.from({ length: nVal }, (_, i) => config.max_train + i)) : null;
  /** @type {number[]} */
  const valMeans = [];
  // Score variants (issue #15): every epoch's components of the test images, and of the held-out
  // normals (the calibration of skip and combined) and their synthetic anomalies (the validation
  // AUROC of every variant, training-side data only).
  /** @type {Record<string, number|null>[]} */
  const perEpochVariants = [];
  /** @type {Record<string, number|null>[]} */
  const perEpochValVariants = [];
  /** @type {number[]} */
  let lastLatent = [];
  const synthetic = valSet ? data.syntheticAnomalies(valSet, { seed: p.seed }) : null;
  const valLabels = valSet ? Uint8Array.from({ length: 2 * valSet.count }, (_, i) => (i < valSet.count ? 0 : 1)) : null;
  const metricsLib = await import('@ganomaly/math');
  const t0 = performance.now();
  const model = await Ganomaly.create({
    imageSize: config.image_size,
    channels: dataset === 'mnist' ? 1 : 3,
    latentDim: config.latent,
    baseWidth: config.width,
    learningRate: config.lr,
    lossWeights: config.loss_weights,
    scoreVariant: config.score === 'l2' ? 'mse' : config.score,
    batchNormMode: config.bn,
    seed: p.seed,
    backend: String(a.backend),
  });
  try {
    const labels = split.test.labels;
    const ema = config.ema ? new WeightAverage(await import('@tensorflow/tfjs-core'), model, config.ema) : null;
    const { history, selection } = await model.fit(trainSet, {
      epochs: config.epochs,
      batchSize: config.batch,
      ...(ema ? { onBatchEnd: () => ema.update() } : {}),
      // With select: 'validation', fit recomputes the statistics before every epoch's selection
      // scores, and the test AUROC per epoch comes from the test images' components (their latent
      // component is the model's 'mse' score) instead of a second pass over the test set.
      ...(config.select === 'validation' ? { select: 'validation', selection: { images: valSet } } : { validation: { images: split.test, labels } }),
      onEpochEnd: async (/** @type {any} */ l) => {
        const test = fromLibrary(await model.scoreComponents(split.test));
        // The model's own score: 'mse' is the latent component, 'l1' the latent_l1 one, 'knn' knn.
        const own = test[config.score === 'l1' ? 'latent_l1' : config.score === 'knn' ? 'knn' : 'latent'];
        lastLatent = Array.from(own);
        if (config.select === 'validation') l.auroc = metricsLib.auroc(own, labels);
        if (valSet && synthetic && valLabels) {
          const cal = fromLibrary(await model.scoreComponents(valSet));
          const syn = fromLibrary(await model.scoreComponents(synthetic));
          perEpochVariants.push(variantAurocs(test, labels, cal));
          const both = Object.fromEntries(Object.keys(cal).map((k) => [k, [...cal[k], ...syn[k]]]));
          perEpochValVariants.push(variantAurocs(both, valLabels, cal));
          valMeans.push(cal.latent.reduce((x, y) => x + y, 0) / cal.latent.length);
        } else {
          perEpochVariants.push(variantAurocs(test, labels, null));
        }
        const v = perEpochVariants[perEpochVariants.length - 1];
        log(
          `  epoch ${l.epoch}/${l.epochs}  G ${l.generatorLoss.toFixed(3)}  D ${l.discriminatorLoss.toFixed(4)}  test AUROC ${l.auroc.toFixed(4)}` +
            `${Number.isFinite(l.selectionAuroc) ? `  selection AUROC ${l.selectionAuroc.toFixed(4)}` : ''}  reconstruction ${v.reconstruction?.toFixed(4)}  ${l.seconds.toFixed(1)} s`,
        );
      },
    });
    const perEpoch = history.map((/** @type {any} */ l) => (Number.isFinite(l.auroc) ? l.auroc : null));
    const selecting = config.select === 'validation';
    // The last epoch's metrics: from the model itself, or (when fit restored the selected epoch's
    // weights) from the last epoch's scores of the model's own variant (lastLatent).
    const metrics = await import('@ganomaly/math');
    let ev;
    if (selecting) {
      const r = metrics.fitMinMax(lastLatent);
      const threshold = r.min + 0.2 * (r.max - r.min);
      ev = { ...metrics.evaluateScores(lastLatent, labels, threshold), threshold, thresholdSource: 'phi' };
    } else {
      ev = await model.evaluate(split.test, labels); // uncalibrated: F1 at phi = 0.2 on min-max scores
    }
    /** @type {Record<string, number|null>} */
    const byMode = {};
    for (const mode of ['running', 'batch', 'population']) {
      if (selecting) continue; // the model now holds the selected epoch, not the last one
      // A 'knn' model scores in its own mode only (its memory's codes were computed with it).
      if (config.score === 'knn' && mode !== config.bn) continue;
      // population needs statistics recomputed over the training images when training used another mode
      if (mode === 'population' && config.bn !== 'population') await model.recomputeStatistics(trainSet, config.batch);
      const r = await model.evaluate(split.test, labels, { batchNormMode: mode });
      byMode[mode] = Number.isFinite(r.auroc) ? r.auroc : null;
    }
    // --ema: the same test set scored with G's averaged weights (statistics recomputed for them),
    // then the trained weights put back.
    const emaFields = ema ? { auroc_ema: await ema.evaluate(trainSet, split.test, labels, config.batch), ema_note: 'test AUROC of the exponential moving average of the generator networks\' weights over the steps (decay min(ema, (1 + t) / (10 + t))), population statistics recomputed for them; auroc is the trained weights\'' } : {};
    ema?.dispose();
    const sel = valMeans.length ? valMeans.indexOf(Math.min(...valMeans)) : -1;
    /** @type {Record<string, unknown>} */
    const selected = {};
    if (selecting && selection) {
      // What fit's select: 'validation' kept (its validation AUROC on held-out normals + synthetic
      // anomalies), that epoch's test AUROC, and the restored model's own test AUROC (a check: equal).
      const restored = await model.evaluate(split.test, labels);
      Object.assign(selected, {
        selection: { rule: selection.rule, epoch: selection.epoch, validation_auroc: selection.auroc, per_epoch_validation_auroc: selection.perEpoch },
        auroc_selected_by_validation: perEpoch[selection.epoch - 1],
        auroc_selected_restored: restored.auroc,
      });
    }
    return {
      ...(valSet
        ? {
            val_normal_mean_score: valMeans,
            selected_epoch_by_val: sel + 1,
            auroc_selected_by_val: perEpoch[sel],
            selection_note: 'epoch with the lowest mean score on held-out normal images (no test data); its test AUROC',
            per_epoch_validation_variant_auroc: byVariant(perEpochValVariants),
          }
        : {}),
      ...selected,
      per_epoch_auroc: perEpoch,
      ...variantFields(perEpochVariants),
      auroc: selecting ? perEpoch[perEpoch.length - 1] : ev.auroc,
      ...epochMetrics(perEpoch, ev),
      auroc_by_bn_mode: { population: byMode.population, running: byMode.running, batch: byMode.batch },
      ...emaFields,
      train_seconds: history.reduce((/** @type {number} */ s, /** @type {any} */ l) => s + l.seconds, 0),
      total_seconds: (performance.now() - t0) / 1000,
      split: {
        normal_pool: split.counts.normalPool,
        anomaly_pool: split.counts.anomalyPool,
        train: trainSet.count,
        test_normal: split.counts.testNormal,
        test_anomalous: split.counts.testAnomalous,
      },
      history: history.map((/** @type {any} */ l) => ({
        epoch: l.epoch,
        generator_loss: l.generatorLoss,
        discriminator_loss: l.discriminatorLoss,
        adversarial_loss: l.adversarialLoss,
        contextual_loss: l.contextualLoss,
        encoder_loss: l.encoderLoss,
        discriminator_resets: l.discriminatorResets,
        seconds: l.seconds,
      })),
      runtime: { backend: model.backend, node: process.version, data_source: loaded?.source },
    };
  } finally {
    model.dispose();
  }
}

/** @type {{ run: (argv: string[]) => Promise<any>, close: () => void } | null} */
let server = null;

/**
 * One `serve` process of `script` for the whole sweep (pytorch_protocol.py, or
 * bench/pytorch/skip_ganomaly.py for --model skip-ganomaly; torch is imported and the data files
 * read once, not once per run): each run is one JSON argument list on its stdin and one result
 * line on its stdout; its stderr carries the per-epoch progress.
 * @param {string} script
 */
function pythonServer(script) {
  if (server) return server;
  const child = spawn(String(a.python), [script, 'serve'], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  let errTail = '';
  let outBuf = '';
  /** @type {{ resolve: (v: any) => void, reject: (e: Error) => void } | null} */
  let pending = null;
  /** @type {Error | null} */
  let dead = null;
  const fail = (/** @type {Error} */ e) => {
    dead ??= e;
    pending?.reject(e);
    pending = null;
  };
  child.stderr.on('data', (d) => {
    const s = String(d);
    errTail = (errTail + s).slice(-4000);
    for (const line of s.split('\n')) {
      if (!line.trim()) continue;
      try {
        const e = JSON.parse(line);
        log(`  epoch ${e.epoch}  test AUROC ${e.auroc?.toFixed?.(4) ?? e.auroc}  ${e.seconds?.toFixed?.(1)} s`);
      } catch {
        process.stderr.write(`  [python] ${line}\n`);
      }
    }
  });
  child.stdout.on('data', (d) => {
    outBuf += d;
    let nl;
    while ((nl = outBuf.indexOf('\n')) >= 0) {
      const line = outBuf.slice(0, nl);
      outBuf = outBuf.slice(nl + 1);
      if (!line.trim() || !pending) continue;
      const msg = JSON.parse(line);
      const p = pending;
      pending = null;
      if (msg.error) p.reject(new Error(`${a.python} ${script}: ${msg.error}\n${errTail}`));
      else p.resolve(msg.ok);
    }
  });
  child.on('error', fail);
  child.on('close', (code) => fail(new Error(`${a.python} ${script} serve exited with ${code}:\n${errTail}`)));
  server = {
    run: (argv) =>
      new Promise((resolve, reject) => {
        if (dead) return reject(dead);
        pending = { resolve, reject };
        errTail = '';
        child.stdin.write(`${JSON.stringify(argv)}\n`);
      }),
    close: () => child.stdin.end(),
  };
  return server;
}

/** @param {{ anomaly_class: number, seed: number }} p */
async function runPytorch(p) {
  // --model skip-ganomaly: bench/pytorch/skip_ganomaly.py, with pytorch_protocol.py's flags and
  // JSON fields (its components are Skip-GANomaly's own, not GANomaly's score variants).
  const skip = config.model === 'skip-ganomaly';
  const script = skip ? path.join(repoRoot, 'bench', 'pytorch', 'skip_ganomaly.py') : path.join(here, 'pytorch_protocol.py');
  const args = [
    script,
    'protocol',
    '--dataset', dataset,
    '--anomaly-class', String(p.anomaly_class),
    '--seed', String(p.seed),
    '--epochs', String(config.epochs),
    '--isize', String(config.image_size),
    '--nz', String(config.latent),
    '--ngf', String(config.width),
    '--batch', String(config.batch),
    '--lr', String(config.lr),
    '--score-variant', config.score,
    '--bn-mode', config.bn,
    '--threads', String(threads),
    '--device', String(a.device),
    '--data-dir', dataDir,
    '--w-adv', String(config.loss_weights.adversarial),
    '--w-con', String(config.loss_weights.contextual),
    '--w-enc', String(config.loss_weights.encoder),
  ];
  if (config.max_train) args.push('--max-train', String(config.max_train));
  if (config.max_test_normal) args.push('--max-test-normal', String(config.max_test_normal));
  if (config.max_test_anomalous) args.push('--max-test-anomalous', String(config.max_test_anomalous));
  if (config.val_normal) args.push('--val-normal', String(config.val_normal));
  if (!skip) args.push('--components');
  const t0 = performance.now();
  const res = await pythonServer(script).run(args.slice(1));
  const metrics = await import('@ganomaly/math');
  const scores = Float64Array.from(res.test_scores);
  const labels = Uint8Array.from(res.test_labels);
  const r = metrics.fitMinMax(scores);
  const threshold = r.min + 0.2 * (r.max - r.min);
  const ev = metrics.evaluateScores(scores, labels, threshold);
  const perEpoch = res.per_epoch_auroc;
  const b = best(perEpoch.map((/** @type {number|null} */ v) => (v === null ? NaN : v)));
  const componentLabels = skip ? null : Uint8Array.from(res.test_labels_components);
  const perEpochVariants = skip ? null : res.components.map((/** @type {any} */ e) => variantAurocs(e.test, componentLabels, e.val_normal ?? null));
  return {
    per_epoch_auroc: perEpoch,
    ...(perEpochVariants ? variantFields(perEpochVariants) : {}),
    ...(skip ? { calibration: res.calibration } : {}),
    auroc: res.auroc,
    auroc_recomputed: ev.auroc,
    best_epoch_auroc: b.value,
    best_epoch: b.epoch,
    best_epoch_note: BEST_NOTE,
    average_precision: ev.averagePrecision,
    f1: ev.f1,
    precision: ev.precision,
    recall: ev.recall,
    f1_threshold: { source: 'phi', phi: 0.2, value: threshold },
    eer: ev.eer,
    auroc_by_bn_mode: res.auroc_by_bn_mode,
    train_seconds: res.train_seconds,
    total_seconds: (performance.now() - t0) / 1000,
    split: res.split,
    history: res.history,
    runtime: { backend: `torch ${res.config.torch} ${res.config.device}`, threads: res.config.threads, data_dir: res.config.data_dir },
  };
}

// ---------------------------------------------------------------------------------------------
let written = 0;
for (const p of todo) {
  if (stopAfter && written >= stopAfter) {
    log(`--stop-after ${stopAfter}: stopping with ${todo.length - written} run(s) left; run the same command again to resume`);
    break;
  }
  const name = dataset === 'cifar10' ? ` (${CIFAR10_NAMES[p.anomaly_class]})` : '';
  log(`run ${written + 1}/${todo.length}: ${impl} ${dataset} anomaly class ${p.anomaly_class}${name} seed ${p.seed}`);
  const result = impl === 'ganomaly' ? await (config.model ? runDetector(p) : runGanomaly(p)) : await runPytorch(p);
  const record = { impl, dataset, anomaly_class: p.anomaly_class, seed: p.seed, config, ...result, finished_at: new Date().toISOString() };
  appendRecord(outFile, record);
  written++;
  log(
    `  done: AUROC last ${record.auroc?.toFixed(4)}  best epoch ${record.best_epoch_auroc?.toFixed(4)} (epoch ${record.best_epoch})  ` +
      `AP ${record.average_precision.toFixed(4)}  F1 ${record.f1.toFixed(4)}  EER ${record.eer.toFixed(4)}  ${record.train_seconds.toFixed(1)} s training`,
  );
}
server?.close();
log(`${written} new record(s) in ${outFile}`);
