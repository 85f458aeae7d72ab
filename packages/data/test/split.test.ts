import { describe, it, expect } from 'vitest';
import { ValueError } from '@ganomaly/common';
import { imageSet, leaveOneClassOut, oneClassTrainSet, loadMnist, type ImageSet } from '@ganomaly/data';
import { HAS_MNIST, MNIST_DIR, counts10 } from './helpers.js';

/** n 1x1 grey images whose pixel is the image's index in [train; test] (mod 256), labels given. */
function labelled(labels: number[], offset = 0): ImageSet {
  return imageSet(
    Uint8Array.from(labels, (_, i) => (i + offset) % 256),
    { count: labels.length, height: 1, width: 1, channels: 1, labels: Uint8Array.from(labels) },
  );
}

// 20 train images, 10 test images, labels 0..4 cycling; class 2 is the anomaly.
const TRAIN = labelled(Array.from({ length: 20 }, (_, i) => i % 5));
const TEST = labelled(Array.from({ length: 10 }, (_, i) => i % 5), 20);

describe('leaveOneClassOut on a small labelled set', () => {
  it('pools normals, splits 80/20 with the seed, puts every anomaly in the test set', () => {
    const s = leaveOneClassOut(TRAIN, TEST, { anomalyClass: 2, seed: 0 });
    // 24 normals (4 per 5 images), 6 anomalies.
    expect(s.counts).toEqual({ normalPool: 24, anomalyPool: 6, train: 19, testNormal: 5, testAnomalous: 6 });
    expect(s.train.count).toBe(19); // floor(24 * 0.8) = floor(19.2)
    expect(Array.from(s.train.labels!)).toEqual(new Array(19).fill(0));
    expect(Array.from(s.trainOriginalLabels)).not.toContain(2);
    expect(Array.from(s.test.labels!)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    expect(Array.from(s.originalLabels.subarray(5))).toEqual([2, 2, 2, 2, 2, 2]);
    // Anomalies: those of train, then those of test, in order.
    expect(Array.from(s.testSourceIndices.subarray(5))).toEqual([2, 7, 12, 17, 22, 27]);
    // Pixels are the source indices, so the images really are the ones the indices name.
    expect(Array.from(s.train.pixels)).toEqual(Array.from(s.trainSourceIndices));
    expect(Array.from(s.test.pixels)).toEqual(Array.from(s.testSourceIndices));
    // Train and test are disjoint and together cover everything.
    const all = [...s.trainSourceIndices, ...s.testSourceIndices].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('is deterministic per seed and differs across seeds', () => {
    const a = leaveOneClassOut(TRAIN, TEST, { anomalyClass: 2, seed: 5 });
    const b = leaveOneClassOut(TRAIN, TEST, { anomalyClass: 2, seed: 5 });
    const c = leaveOneClassOut(TRAIN, TEST, { anomalyClass: 2, seed: 6 });
    expect(Array.from(b.trainSourceIndices)).toEqual(Array.from(a.trainSourceIndices));
    expect(Array.from(c.trainSourceIndices)).not.toEqual(Array.from(a.trainSourceIndices));
    const m = leaveOneClassOut(TRAIN, TEST, { anomalyClass: 2, seed: 5, rng: 'mulberry32' });
    expect(Array.from(m.trainSourceIndices)).not.toEqual(Array.from(a.trainSourceIndices));
  });

  it('caps take a seeded prefix of the same split', () => {
    const full = leaveOneClassOut(TRAIN, TEST, { anomalyClass: 2, seed: 1 });
    const capped = leaveOneClassOut(TRAIN, TEST, { anomalyClass: 2, seed: 1, maxTrain: 7, maxTestNormal: 3, maxTestAnomalous: 4 });
    expect(Array.from(capped.trainSourceIndices)).toEqual(Array.from(full.trainSourceIndices.subarray(0, 7)));
    expect(Array.from(capped.testSourceIndices.subarray(0, 3))).toEqual(Array.from(full.testSourceIndices.subarray(0, 3)));
    const anomalies = Array.from(capped.testSourceIndices.subarray(3));
    expect(anomalies.length).toBe(4);
    expect(anomalies.every((x) => [2, 7, 12, 17, 22, 27].includes(x))).toBe(true);
    expect([...anomalies].sort((a, b) => a - b)).toEqual(anomalies);
    expect(capped.counts).toMatchObject({ train: 7, testNormal: 3, testAnomalous: 4, normalPool: 24 });
    expect(Array.from(capped.test.labels!)).toEqual([0, 0, 0, 1, 1, 1, 1]);
    const again = leaveOneClassOut(TRAIN, TEST, { anomalyClass: 2, seed: 1, maxTestAnomalous: 4 });
    expect(Array.from(again.testSourceIndices.subarray(full.counts.testNormal))).toEqual(anomalies);
    const other = [0, 2, 3, 4, 5, 6, 7, 8].map((seed) => leaveOneClassOut(TRAIN, TEST, { anomalyClass: 2, seed, maxTestAnomalous: 4 }));
    expect(new Set(other.map((o) => o.testSourceIndices.subarray(o.counts.testNormal).join())).size).toBeGreaterThan(1);
  });

  it('validates inputs', () => {
    const unlabelled = imageSet(new Uint8Array(3), { count: 3, height: 1, width: 1, channels: 1 });
    expect(() => leaveOneClassOut(unlabelled, TEST, { anomalyClass: 2, seed: 0 })).toThrow(ValueError);
    expect(() => leaveOneClassOut(unlabelled, TEST, { anomalyClass: 2, seed: 0 })).toThrow(/'train' passed to 'leaveOneClassOut' must be an ImageSet with labels/);
    expect(() => leaveOneClassOut(TRAIN, unlabelled, { anomalyClass: 2, seed: 0 })).toThrow(/'test' passed to 'leaveOneClassOut'/);
    expect(() => leaveOneClassOut(TRAIN, TEST, { anomalyClass: 7, seed: 0 })).toThrow(/'options.anomalyClass'.*7, which labels no image/);
    expect(() => leaveOneClassOut(TRAIN, TEST, { anomalyClass: 2, seed: 0.5 })).toThrow(/'options.seed'/);
    expect(() => leaveOneClassOut(TRAIN, TEST, { anomalyClass: 2, seed: 0, trainFraction: 1 })).toThrow(/'options.trainFraction'.*\(0, 1\)/);
    expect(() => leaveOneClassOut(TRAIN, TEST, { anomalyClass: 2, seed: 0, maxTrain: 0 })).toThrow(/'options.maxTrain'/);
    expect(() => leaveOneClassOut(TRAIN, TEST, { anomalyClass: 2, seed: -1, rng: 'numpy' })).toThrow(/\[0, 2\^32\)/);
    const rgb = imageSet(new Uint8Array(3), { count: 1, height: 1, width: 1, channels: 3, labels: new Uint8Array(1) });
    expect(() => leaveOneClassOut(TRAIN, rgb, { anomalyClass: 2, seed: 0 })).toThrow(/same size as 'train'/);
  });
});

describe('oneClassTrainSet', () => {
  it('takes one class in seeded order, capped, labelled normal', () => {
    const s = oneClassTrainSet(TRAIN, 3, { seed: 0 });
    expect(s.count).toBe(4);
    expect([...s.pixels].sort((a, b) => a - b)).toEqual([3, 8, 13, 18]);
    expect(Array.from(s.labels!)).toEqual([0, 0, 0, 0]);
    const capped = oneClassTrainSet(TRAIN, 3, { seed: 0, max: 2 });
    expect(Array.from(capped.pixels)).toEqual(Array.from(s.pixels.subarray(0, 2)));
    expect(Array.from(oneClassTrainSet(TRAIN, 3, { seed: 0 }).pixels)).toEqual(Array.from(s.pixels));
    expect(() => oneClassTrainSet(TRAIN, 9, { seed: 0 })).toThrow(/'normalClass'.*9, which labels no image/);
    expect(() => oneClassTrainSet(TRAIN, 3, {} as { seed: number })).toThrow(/'options.seed'/);
  });
});

describe('leaveOneClassOut on real MNIST (anomaly 1, seed 0)', () => {
  let cache: Promise<[ImageSet, ImageSet]> | undefined;
  const load = () => (cache ??= Promise.all([loadMnist(MNIST_DIR, 'train'), loadMnist(MNIST_DIR, 'test')]));

  it.skipIf(!HAS_MNIST)(`follows the authors' protocol (skipped when shared MNIST is absent from ${MNIST_DIR})`, async () => {
    const [train, test] = await load();
    const s = leaveOneClassOut(train, test, { anomalyClass: 1, seed: 0 });
    const pool = 70000 - 6742 - 1135;
    expect(s.counts.normalPool).toBe(pool);
    // The authors' int(len(idx) * 0.80) truncates; for this positive product that is the floor.
    expect(s.train.count).toBe(Math.floor(0.8 * pool));
    expect(s.train.count).toBe(49698);
    expect(s.counts.testNormal).toBe(pool - 49698);
    expect(s.counts.testAnomalous).toBe(6742 + 1135);
    expect(s.test.count).toBe(pool - 49698 + 6742 + 1135);
    expect(counts10(s.trainOriginalLabels)[1]).toBe(0);
    expect(counts10(s.test.labels!)).toEqual([pool - 49698, 6742 + 1135, 0, 0, 0, 0, 0, 0, 0, 0]);
    // Every normal image of train+test is in exactly one of the two sets; no training image is tested.
    const trainSet = new Set(s.trainSourceIndices);
    expect(trainSet.size).toBe(49698);
    expect(s.testSourceIndices.some((i) => trainSet.has(i))).toBe(false);
    expect(trainSet.size + s.testSourceIndices.length).toBe(70000);
    // Pixels really come from the named source images.
    const k = 123;
    const src = s.trainSourceIndices[k]!;
    const from = src < 60000 ? train.pixels.subarray(src * 784, src * 784 + 784) : test.pixels.subarray((src - 60000) * 784, (src - 60000) * 784 + 784);
    expect(Array.from(s.train.pixels.subarray(k * 784, k * 784 + 784))).toEqual(Array.from(from));
    // Same split as the authors' NumPy code (np.random.seed(0); np.random.shuffle over the pool),
    // values printed from NumPy 2.4 on the same label files.
    expect(Array.from(s.trainSourceIndices.subarray(0, 8))).toEqual([39545, 30702, 42909, 54591, 33523, 44228, 63986, 25750]);
    expect(Array.from(s.testSourceIndices.subarray(0, 8))).toEqual([64061, 34425, 51586, 17591, 58169, 32732, 59745, 43589]);
    expect(s.trainSourceIndices.reduce((a, b) => a + b, 0)).toBe(1740457262);
    expect(s.testSourceIndices.subarray(0, pool - 49698).reduce((a, b) => a + b, 0)).toBe(435714350);
    expect(Array.from(s.trainOriginalLabels.subarray(0, 8))).toEqual([2, 4, 3, 6, 4, 9, 2, 0]);
    // Same seed → same split.
    const again = leaveOneClassOut(train, test, { anomalyClass: 1, seed: 0, maxTrain: 1000 });
    expect(Array.from(again.trainSourceIndices)).toEqual(Array.from(s.trainSourceIndices.subarray(0, 1000)));
  });
});
