// The 'knn' score: the distance from an image's code z = G_E(x) to the nearest codes of the
// training images, which fit keeps as the model's memory (and saves, exports, and hands to
// workers with the model). Checked against a brute-force search over codes read from the
// encoder directly, on the cpu backend.
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Ganomaly, NotCalibratedError, ValueError, useBackend } from '@ganomaly/core';
import { TINY, images } from './helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ganomaly-knn-'));
beforeAll(async () => {
  await useBackend('cpu');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The codes of `x` ([n, latentDim]) as the model's encoder gives them now (population statistics after fit). */
function codes(m: Ganomaly, x: tf.Tensor4D): number[][] {
  return tf.tidy(() => {
    const scaled = tf.sub(tf.div(x, 127.5), 1);
    const z = m.networks.encoder.predict(scaled) as tf.Tensor;
    return tf.reshape(z, [x.shape[0], -1]).arraySync() as number[][];
  });
}

function bruteForce(q: number[][], mem: number[][], k: number): number[] {
  return q.map((a) => {
    const d = mem.map((b) => Math.hypot(...a.map((v, j) => v - b[j]!))).sort((x, y) => x - y);
    return d.slice(0, k).reduce((s, v) => s + v, 0) / k;
  });
}

function expectNear(got: ArrayLike<number>, want: number[]): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-3 * Math.max(1, want[i]!));
}

describe("scoreVariant 'knn'", () => {
  it('scores the distance to the nearest training codes, from the weights fit keeps (also with select: validation)', async () => {
    const train = images(48, 16, 1, 1);
    const test = images(10, 16, 1, 9);
    const held = images(12, 16, 1, 5);
    for (const select of ['last', 'validation'] as const) {
      const m = await Ganomaly.create({ ...TINY, backend: 'cpu', scoreVariant: 'knn', neighbours: 2 });
      try {
        expect(m.memoryCount).toBe(0);
        await m.fit(train, { epochs: 2, batchSize: 16, ...(select === 'validation' ? { select, selection: { images: held } } : {}) });
        expect(m.memoryCount).toBe(48);
        const want = bruteForce(codes(m, test), codes(m, train), 2);
        expectNear(await m.score(test), want);
        // The same distances are a component of every model's scoreComponents.
        expectNear((await m.scoreComponents(test)).knn!, want);
      } finally {
        m.dispose();
      }
    }
    held.dispose();
    tf.dispose([train, test]);
  }, 120_000);

  it('keeps a seeded sample of memorySize codes when there are more training images', async () => {
    const train = images(40, 16, 1, 2);
    const m = await Ganomaly.create({ ...TINY, backend: 'cpu', scoreVariant: 'knn', memorySize: 10 });
    try {
      await m.fit(train, { epochs: 1, batchSize: 20 });
      expect(m.memoryCount).toBe(10);
      // Every training image's score is the distance to one of the 10 kept codes: 0 for those 10.
      const s = await m.score(train);
      expect(Array.from(s).filter((v) => v < 1e-3).length).toBeGreaterThanOrEqual(10);
      expect(Array.from(s).filter((v) => v > 1e-2).length).toBeGreaterThan(0);
    } finally {
      m.dispose();
      train.dispose();
    }
  }, 60_000);

  it('is saved and loaded with the model (same scores), and a model without it says how to get one', async () => {
    const train = images(32, 16, 1, 3);
    const test = images(8, 16, 1, 4);
    const m = await Ganomaly.create({ ...TINY, backend: 'cpu', scoreVariant: 'knn' });
    try {
      await expect(m.score(test)).rejects.toThrow(NotCalibratedError);
      await expect(m.score(test)).rejects.toThrow(/recomputeStatistics/);
      await expect(m.exportOnnx()).rejects.toThrow(NotCalibratedError);
      expect((await m.scoreComponents(test)).knn).toBeUndefined();
      // recomputeStatistics keeps the codes of the images it is given.
      await m.recomputeStatistics(train);
      expect(m.memoryCount).toBe(32);
      await m.fit(train, { epochs: 1, batchSize: 16 });
      const before = await m.score(test);
      await m.save(`file://${tmp}/knn`);
      const back = await Ganomaly.load(`file://${tmp}/knn`, { backend: 'cpu' });
      try {
        expect(back.memoryCount).toBe(32);
        expect(back.config.scoreVariant).toBe('knn');
        expect(Array.from(await back.score(test))).toEqual(Array.from(before));
      } finally {
        back.dispose();
      }
      // A training checkpoint carries it too.
      await m.save(`file://${tmp}/knn-ckpt`, { trainingState: true });
      const ck = await Ganomaly.load(`file://${tmp}/knn-ckpt`, { backend: 'cpu' });
      expect(Array.from(await ck.score(test))).toEqual(Array.from(before));
      ck.dispose();
      // A fit that fails drops the memory with the weights it moved (no stale codes), and says so.
      const failed = await m.fit(train, { epochs: 1, batchSize: 16, onBatchEnd: () => { throw new Error('stop'); } }).catch((e) => e as Error);
      expect(failed.message).toBe('stop');
      expect(m.memoryCount).toBe(0);
      await expect(m.score(test)).rejects.toThrow(NotCalibratedError);
      await m.recomputeStatistics(train);
      expect(m.memoryCount).toBe(32);
    } finally {
      m.dispose();
      tf.dispose([train, test]);
    }
  }, 60_000);

  it("refuses to score in a BatchNorm mode other than the one its memory's codes were computed with", async () => {
    const train = images(24, 16, 1, 6);
    const m = await Ganomaly.create({ ...TINY, backend: 'cpu' });
    try {
      expect(m.config.scoreVariant).toBe('knn'); // the default
      await m.fit(train, { epochs: 1, batchSize: 12 });
      await expect(m.score(train, { batchNormMode: 'running' })).rejects.toThrow(/batchNormMode 'running'.*'population'/);
      // scoreComponents still gives the other components in that mode, without knn.
      const c = await m.scoreComponents(train, { batchNormMode: 'running' });
      expect(c.knn).toBeUndefined();
      expect(c.latent.length).toBe(24);
      expect((await m.scoreComponents(train)).knn!.length).toBe(24);
    } finally {
      m.dispose();
      train.dispose();
    }
  });

  it('checks neighbours and memorySize', async () => {
    await expect(Ganomaly.create({ ...TINY, backend: 'cpu', neighbours: 0 })).rejects.toThrow(ValueError);
    await expect(Ganomaly.create({ ...TINY, backend: 'cpu', neighbours: 1.5 })).rejects.toThrow(/config.neighbours/);
    await expect(Ganomaly.create({ ...TINY, backend: 'cpu', neighbours: 5, memorySize: 4 })).rejects.toThrow(/config.memorySize/);
  });
});
