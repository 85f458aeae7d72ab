import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PopulationStatistics } from '@ganomaly/models';
import {
  AbortError,
  DisposedError,
  Ganomaly,
  NotCalibratedError,
  UnknownNameError,
  BackendError,
  ValueError,
  VERSION,
  data,
  metrics,
  registerBackendCandidate,
  type BatchLogs,
  type Encoder,
} from '@ganomaly/core';
import { readFileSync } from 'node:fs';
import * as tfl from '@tensorflow/tfjs-layers';
import { images, tinyModel } from './helpers.js';

let model: Ganomaly;
let train: tf.Tensor4D;

beforeAll(async () => {
  model = await tinyModel('cpu');
  train = images(48, 16, 1, 1);
  await model.fit(train, { epochs: 1, batchSize: 16 });
});

afterAll(() => {
  model.dispose();
  train.dispose();
});

describe('fit', () => {
  it('reports every loss per epoch, calls back, and does not leak tensors across epochs', async () => {
    const m = await tinyModel('cpu');
    const counts: number[] = [];
    const batches: number[] = [];
    const batchLogs: BatchLogs[] = [];
    const { history } = await m.fit(train, {
      epochs: 3,
      batchSize: 16,
      onBatchEnd: (b) => void (batches.push(b.batch), batchLogs.push(b)),
      onEpochEnd: () => void counts.push(tf.memory().numTensors),
    });
    expect(history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect(batches).toEqual([1, 2, 3, 1, 2, 3, 1, 2, 3]);
    for (const h of history) {
      for (const k of ['generatorLoss', 'discriminatorLoss', 'adversarialLoss', 'contextualLoss', 'encoderLoss'] as const) {
        expect(Number.isFinite(h[k]) && h[k] >= 0).toBe(true);
      }
      // The generator loss is the weighted sum of its parts (1, 50, 1), up to float32 rounding.
      expect(h.generatorLoss).toBeCloseTo(h.adversarialLoss + 50 * h.contextualLoss + h.encoderLoss, 3);
      expect(h.imagesPerSecond).toBeGreaterThan(0);
      // The losses by name too, as every detector's logs have them: the same values as the fields.
      expect(h.losses).toEqual({ generator: h.generatorLoss, discriminator: h.discriminatorLoss, adversarial: h.adversarialLoss, contextual: h.contextualLoss, encoder: h.encoderLoss });
    }
    for (const b of batchLogs) {
      expect(Object.keys(b.losses)).toEqual(['generator', 'discriminator', 'adversarial', 'contextual', 'encoder']);
      expect([b.losses.generator, b.losses.discriminator]).toEqual([b.generatorLoss, b.discriminatorLoss]);
      expect(b.losses.generator).toBeCloseTo(b.losses.adversarial + 50 * b.losses.contextual + b.losses.encoder, 3);
    }
    // An epoch's named losses are the means of its batches'.
    const mean = (k: string, e: number) => batchLogs.filter((b) => b.epoch === e).reduce((a, b) => a + b.losses[k]!, 0) / 3;
    for (const k of ['generator', 'discriminator', 'adversarial', 'contextual', 'encoder']) expect(history[1].losses[k]).toBeCloseTo(mean(k, 2), 5);
    // Optimizer slots are created in epoch 1; after that the count must stay flat.
    expect(counts[2]).toBe(counts[1]);
    const before = tf.memory().numTensors;
    await m.fit(train, { epochs: 1, batchSize: 16 });
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('training changes the generator and lowers the reconstruction loss on a learnable set', async () => {
    // A higher learning rate than the default, so 64 steps show the trend clearly.
    const m = await tinyModel('cpu', { seed: 11, learningRate: 2e-3 });
    // A set with structure: bright squares at random positions on black.
    const set = tf.tidy(() => {
      const buf = tf.buffer([32, 16, 16, 1]);
      for (let i = 0; i < 32; i++) {
        const r = (i * 5) % 10;
        const c = (i * 3) % 10;
        for (let y = r; y < r + 6; y++) for (let x = c; x < c + 6; x++) buf.set(255, i, y, x, 0);
      }
      return buf.toTensor() as tf.Tensor4D;
    });
    const { history } = await m.fit(set, { epochs: 8, batchSize: 8 });
    expect(history[7].contextualLoss).toBeLessThan(history[0].contextualLoss * 0.8);
    set.dispose();
    m.dispose();
  });

  it('re-initialises D when its loss falls below the threshold, and never with threshold 0', async () => {
    const always = await tinyModel('cpu', { discriminatorResetThreshold: 1e9 });
    const before = always.networks.discriminator.getWeights()[0].dataSync().slice();
    const { history } = await always.fit(train, { epochs: 1, batchSize: 16 });
    expect(history[0].discriminatorResets).toBe(3);
    // The weights after a reset are a fresh draw, not the trained ones and not the initial ones.
    const after = always.networks.discriminator.getWeights()[0].dataSync();
    expect(after[0]).not.toBe(before[0]);
    const std = Math.sqrt(after.reduce((s, v) => s + v * v, 0) / after.length);
    expect(std).toBeGreaterThan(0.015);
    expect(std).toBeLessThan(0.025);
    always.dispose();
    const never = await tinyModel('cpu', { discriminatorResetThreshold: 0 });
    expect((await never.fit(train, { epochs: 1, batchSize: 16 })).history[0].discriminatorResets).toBe(0);
    never.dispose();
  });

  it('an AbortSignal stops training between batches; the model stays usable', async () => {
    const m = await tinyModel('cpu');
    const ctrl = new AbortController();
    const err = await m
      .fit(train, {
        epochs: 5,
        batchSize: 16,
        signal: ctrl.signal,
        onEpochEnd: (l) => {
          if (l.epoch === 2) ctrl.abort();
        },
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as AbortError & { history: unknown[] }).history).toHaveLength(2);
    const s = await m.score(images(2, 16, 1, 5));
    expect(s.every(Number.isFinite)).toBe(true);
    m.dispose();
  });

  it('an abort in the middle of an epoch does not count that epoch', async () => {
    const m = await tinyModel('cpu');
    const ctrl = new AbortController();
    const ends: number[] = [];
    const err = await m
      .fit(train, {
        epochs: 2,
        batchSize: 16,
        signal: ctrl.signal,
        onBatchEnd: (b) => {
          if (b.batch === 2) ctrl.abort();
        },
        onEpochEnd: (l) => void ends.push(l.epoch),
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(err.message).toMatch(/after 0 complete epoch\(s\) and 2 of 3 batches of epoch 1/);
    expect(ends).toEqual([]);
    // The next fit starts again at epoch 1.
    expect((await m.fit(train, { epochs: 1, batchSize: 16 })).history[0].epoch).toBe(1);
    m.dispose();
  });

  it('a custom encoder without BatchNorm trains in the default mode', async () => {
    const plain: Encoder = {
      name: 'no-bn-test',
      build: (o) => {
        const input = tfl.input({ shape: [o.imageSize, o.imageSize, o.channels] });
        const x = tfl.layers.conv2d({ filters: 4, kernelSize: 4, strides: 4, activation: 'relu', name: `${o.name}_c` }).apply(input) as tfl.SymbolicTensor;
        const z = tfl.layers.conv2d({ filters: o.latentDim, kernelSize: o.imageSize / 4, name: `${o.name}_z` }).apply(x) as tfl.SymbolicTensor;
        return tfl.model({ inputs: input, outputs: z });
      },
    };
    const m = await tinyModel('cpu', { encoder: plain });
    await m.fit(train, { epochs: 1, batchSize: 16 });
    expect((await m.score(train)).every(Number.isFinite)).toBe(true);
    m.dispose();
  });

  it('a fit that fails in its first epoch leaves no silent running-statistics scores, and training drops a stale calibration', async () => {
    // The latent score: an untrained model scores (a 'knn' one has no training codes to measure against yet).
    const m = await tinyModel('cpu', { scoreVariant: 'mse' });
    await m.calibrate(images(8, 16, 1, 6));
    const err = await m
      .fit(train, { epochs: 1, batchSize: 16, onBatchEnd: () => { throw new Error('callback failed'); } })
      .catch((e) => e);
    expect(err.message).toBe('callback failed');
    expect(m.calibration).toBeNull();
    // Weights moved, population statistics were not recomputed: scoring says so instead of using the running averages.
    await expect(m.score(train)).rejects.toThrow(/statistics were not recomputed; call recomputeStatistics/);
    await m.recomputeStatistics(train);
    expect((await m.score(train)).every(Number.isFinite)).toBe(true);
    m.dispose();
  });

  it('recomputeStatistics releases its batch when a statistics pass throws', async () => {
    const m = await tinyModel('cpu');
    await m.fit(train, { epochs: 1, batchSize: 16 });
    const before = tf.memory().numTensors;
    const spy = vi.spyOn(PopulationStatistics.prototype, 'accumulate').mockRejectedValueOnce(new Error('pass failed'));
    try {
      await expect(m.recomputeStatistics(train, 16)).rejects.toThrow('pass failed');
    } finally {
      spy.mockRestore();
    }
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('is deterministic for a seed', async () => {
    const a = await tinyModel('cpu', { seed: 5 });
    const b = await tinyModel('cpu', { seed: 5 });
    const ha = (await a.fit(train, { epochs: 1, batchSize: 16 })).history[0];
    const hb = (await b.fit(train, { epochs: 1, batchSize: 16 })).history[0];
    expect(ha.generatorLoss).toBe(hb.generatorLoss);
    expect(ha.discriminatorLoss).toBe(hb.discriminatorLoss);
    a.dispose();
    b.dispose();
  });
});

describe('score', () => {
  it('is per image: the same score alone, in any batch, and in any order', async () => {
    const x = images(10, 16, 1, 7);
    const all = await model.score(x);
    const one = await model.score(tf.slice(x, [3, 0, 0, 0], [1, 16, 16, 1]));
    expect(one[0]).toBeCloseTo(all[3], 6);
    const small = await model.score(x, { batchSize: 3 });
    small.forEach((v, i) => expect(v).toBeCloseTo(all[i], 6));
    const rev = await model.score(tf.reverse(x, 0));
    rev.forEach((v, i) => expect(v).toBeCloseTo(all[9 - i], 6));
    // ... which the original's test-batch statistics are not (the latent score: 'knn' scores in the model's own mode only):
    const batchMode = (await model.scoreComponents(x, { batchNormMode: 'batch' })).latent;
    const batchAlone = (await model.scoreComponents(tf.slice(x, [0, 0, 0, 0], [2, 16, 16, 1]), { batchNormMode: 'batch' })).latent;
    expect(Math.abs(batchAlone[0] - batchMode[0])).toBeGreaterThan(1e-6);
    x.dispose();
  });

  it('scores a single [h, w, c] image, any size and RGB(A) input, and leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const img = tf.fill([40, 24, 4], 128) as tf.Tensor3D;
    const s = await model.score(img);
    expect(s).toHaveLength(1);
    expect(Number.isFinite(s[0])).toBe(true);
    img.dispose();
    const set = data.imageSet(new Uint8Array(3 * 28 * 28), { count: 3, height: 28, width: 28, channels: 1 });
    expect(await model.score(set)).toHaveLength(3);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reconstruct gives pixel values 0..255 at the model size', async () => {
    const r = await model.reconstruct(images(2, 32, 3, 9));
    expect(r.shape).toEqual([2, 16, 16, 1]);
    const v = await r.data();
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThanOrEqual(255);
    r.dispose();
  });
});

describe('calibrate, predict, evaluate', () => {
  it('predict needs a calibration first', async () => {
    const m = await tinyModel('cpu');
    await expect(m.predict(images(2))).rejects.toThrow(NotCalibratedError);
    m.dispose();
  });

  it('quantile: about 1 - q of the calibration images are flagged; normalised scores use the calibration range', async () => {
    const cal = images(40, 16, 1, 21);
    const c = await model.calibrate(cal, { quantile: 0.9 });
    expect(c.method).toBe('quantile');
    const p = await model.predict(cal);
    const flagged = p.isAnomaly.reduce((a, b) => a + b, 0);
    expect(flagged).toBeGreaterThanOrEqual(3);
    expect(flagged).toBeLessThanOrEqual(5);
    expect(Math.min(...p.normalizedScores)).toBeCloseTo(0, 6);
    expect(Math.max(...p.normalizedScores)).toBeCloseTo(1, 6);
    const fixed = await model.calibrate(cal, { method: 'fixed', phi: 0.2 });
    expect(fixed.threshold).toBeCloseTo(c.normalization.min + 0.2 * (c.normalization.max - c.normalization.min), 10);
    cal.dispose();
  });

  it('evaluate reports the metrics of its own scores, at the threshold it says it used', async () => {
    const m = await tinyModel('cpu');
    await m.fit(train, { epochs: 1, batchSize: 16 });
    const test = images(40, 16, 1, 3);
    const labels = Array.from({ length: 40 }, (_, i) => i % 2);
    const r = await m.evaluate(test, labels);
    expect(r.scores).toEqual(await m.score(test));
    // Uncalibrated: the paper's phi = 0.2 on the test scores' own min-max scale.
    expect(r.thresholdSource).toBe('phi');
    const lo = Math.min(...r.scores);
    const hi = Math.max(...r.scores);
    expect(r.threshold).toBeCloseTo(lo + 0.2 * (hi - lo), 10);
    expect(r.auroc).toBe(metrics.auroc(r.scores, labels));
    expect(r.averagePrecision).toBe(metrics.averagePrecision(r.scores, labels));
    expect(r.f1).toBe(metrics.f1AtThreshold(r.scores, labels, r.threshold).f1);
    expect(r.eer).toBe(metrics.equalErrorRate(r.scores, labels).eer);
    expect(r.roc.fpr[0]).toBe(0);
    // Calibrated: the calibration threshold; given: the given one.
    const cal = await m.calibrate(images(20, 16, 1, 4));
    expect((await m.evaluate(test, labels)).threshold).toBe(cal.threshold);
    expect((await m.evaluate(test, labels)).thresholdSource).toBe('calibration');
    expect((await m.evaluate(test, labels, { threshold: 0.5 })).thresholdSource).toBe('given');
    test.dispose();
    m.dispose();
  });
});

describe('bad input gets a typed error naming the argument', () => {
  it('wrong rank, channels, values', async () => {
    await expect(model.score(tf.zeros([16, 16]))).rejects.toThrow(ValueError);
    await expect(model.score(tf.zeros([16, 16]))).rejects.toThrow(/Argument 'images' passed to 'score'/);
    await expect(model.score(tf.zeros([1, 16, 16, 2]))).rejects.toThrow(/1 \(grey\), 3 \(RGB\) or 4 \(RGBA\) channels.*2 channels/);
    await expect(model.score(tf.fill([1, 16, 16, 1], NaN))).rejects.toThrow(/finite pixel values within 0..255, but got NaN/);
    await expect(model.score(tf.fill([1, 16, 16, 1], 300))).rejects.toThrow(/within 0..255, but got values in \[300, 300\]/);
    await expect(model.score(tf.zeros([0, 16, 16, 1]))).rejects.toThrow(/at least one image/);
    await expect(model.score('cat.png' as never)).rejects.toThrow(/must be a tensor .* or an ImageSet, but got 'cat.png'/);
  });

  it('evaluation sets: wrong length, other labels, a single class', async () => {
    const x = images(4);
    await expect(model.evaluate(x, [0, 1, 0])).rejects.toThrow(/one label per image \(4\), but got 3 labels/);
    await expect(model.evaluate(x, [0, 1, 2, 0])).rejects.toThrow(/labels 0 \(normal\) or 1 \(anomaly\), but got 2 at index 2/);
    await expect(model.evaluate(x, [0, 0, 0, 0])).rejects.toThrow(/both normal \(0\) and anomalous \(1\).*4 normal and 0 anomalous/);
    await expect(model.evaluate(x, [1, 1, 1, 1])).rejects.toThrow(ValueError);
    x.dispose();
  });

  it('config: unknown encoder, bad sizes, unknown keys', async () => {
    await expect(Ganomaly.create({ encoder: 'resnet50', backend: 'cpu' })).rejects.toThrow(UnknownNameError);
    await expect(Ganomaly.create({ encoder: 'resnet50', backend: 'cpu' })).rejects.toThrow(/Unknown encoder 'resnet50'.*Known encoders: 'dcgan'/);
    await expect(Ganomaly.create({ imageSize: 28, backend: 'cpu' })).rejects.toThrow(/'config.imageSize' passed to 'Ganomaly.create' must be a power of two >= 16.*28/);
    await expect(Ganomaly.create({ channels: 2, backend: 'cpu' })).rejects.toThrow(/config.channels/);
    await expect(Ganomaly.create({ imagesize: 32 } as never)).rejects.toThrow(/unknown key 'imagesize'/);
    await expect(Ganomaly.create({ scoreVariant: 'l2' as never })).rejects.toThrow(/'mse', 'l1'/);
    await expect(Ganomaly.create({ lossWeights: { contexual: 10 } as never })).rejects.toThrow(
      /'config.lossWeights' passed to 'Ganomaly.create' must be an object with keys 'adversarial', 'contextual', 'encoder' only, but got the unknown key 'contexual'/,
    );
    await expect(Ganomaly.create({ lossWeights: { contextual: -1 } })).rejects.toThrow(/config.lossWeights.contextual/);
  });

  it('an unknown backend lists the known ones; a failing one says why', async () => {
    await expect(Ganomaly.create({ backend: 'tpu' })).rejects.toThrow(UnknownNameError);
    await expect(Ganomaly.create({ backend: 'tpu' })).rejects.toThrow(/Known backends: 'auto'.*'node'.*'wasm'.*'cpu'/);
    registerBackendCandidate({ name: 'broken-test', priority: -1, load: async () => { throw new Error('no such device'); } });
    const err = await Ganomaly.create({ backend: 'broken-test' }).catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toMatch(/broken-test: no such device/);
  });

  it('a misspelt batchNormMode is an error, not a silent default; failed calls leak nothing', async () => {
    const x = images(2);
    const v = tf.zeros([2, 16, 16, 1]);
    const before = tf.memory().numTensors;
    await expect(model.score(x, { batchNormMode: 'Batch' as never })).rejects.toThrow(/'options.batchNormMode' passed to 'score' must be one of 'population', 'running', 'batch'/);
    await expect(model.reconstruct(x, { batchSize: 0 })).rejects.toThrow(/options.batchSize/);
    await expect(model.reconstruct(x, { batchNormMode: 'x' as never })).rejects.toThrow(/options.batchNormMode/);
    await expect(model.fit(x, { validation: { images: v, labels: [0, 0] } })).rejects.toThrow(/both normal/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, v]);
  });

  it('calibrate options are checked before any scoring', async () => {
    const x = images(4);
    await expect(model.calibrate(x, { method: 'median' as never })).rejects.toThrow(/'options.method' passed to 'calibrate' must be 'quantile', 'fixed' or 'f1'/);
    await expect(model.calibrate(x, { quantile: 1.5 })).rejects.toThrow(/'options.quantile' passed to 'calibrate' must be a number in \[0, 1\], but got 1.5/);
    await expect(model.calibrate(x, { method: 'f1' })).rejects.toThrow(/labels \(1 = anomaly\) for method 'f1'/);
    await expect(model.calibrate(x, { labels: [0, 0, 7, 0] })).rejects.toThrow(/but got 7 at index 2/);
    await expect(model.evaluate(x, [0, 1, 0, 1], { phi: 2 })).rejects.toThrow(/'options.phi' passed to 'evaluate'/);
    x.dispose();
  });

  it('fit options and too few images', async () => {
    await expect(model.fit(train, { epochs: 0 })).rejects.toThrow(/'options.epochs' passed to 'fit' must be a positive integer, but got 0/);
    await expect(model.fit(images(1))).rejects.toThrow(/at least 2 images/);
  });

  it('every call after dispose fails with DisposedError', async () => {
    const m = await tinyModel('cpu');
    m.dispose();
    expect(m.isDisposed).toBe(true);
    await expect(m.fit(train)).rejects.toThrow(DisposedError);
    await expect(m.score(train)).rejects.toThrow(DisposedError);
    await expect(m.save('file:///tmp/never')).rejects.toThrow(/'save' was called on a Ganomaly model that was disposed/);
    m.dispose(); // twice is fine
  });
});

it('VERSION matches package.json', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  expect(VERSION).toBe(pkg.version);
});
