import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { anomalyScore, LATENT_SCORE_VARIANTS, SCORE_VARIANTS, type ScoreVariant } from '@ganomaly/math';
import { expectValueError } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// z − ẑ: row 0 = [1−0, 2−2, 3−5] = [1, 0, −2]; row 1 = [0−1, 0+1, 0−1] = [−1, 1, −1]
const Z = [[1, 2, 3], [0, 0, 0]];
const ZHAT = [[0, 2, 5], [1, -1, 1]];
// mse: row 0 (1 + 0 + 4)/3 = 5/3; row 1 (1 + 1 + 1)/3 = 1
const MSE = [5 / 3, 1];
// l1: row 0 1 + 0 + 2 = 3; row 1 1 + 1 + 1 = 3
const L1 = [3, 3];

function scores(z: tf.Tensor, zHat: tf.Tensor, variant?: ScoreVariant): number[] {
  const s = anomalyScore(z, zHat, variant);
  expect(s.rank).toBe(1);
  expect(s.shape).toEqual([z.shape[0]]);
  const v = Array.from(s.dataSync());
  s.dispose();
  return v;
}

function expectClose(got: number[], want: number[]): void {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 5));
}


describe('anomalyScore', () => {
  it('lists its variants', () => {
    expect([...SCORE_VARIANTS]).toEqual(['mse', 'l1', 'latent', 'reconstruction', 'features', 'skip', 'combined']);
    expect([...LATENT_SCORE_VARIANTS]).toEqual(['mse', 'l1', 'latent']);
  });

  it("'latent' is 'mse'; the variants that need x, x̂ or D are refused with the way to them", () => {
    const z = tf.tensor2d(Z);
    const zHat = tf.tensor2d(ZHAT);
    expectClose(scores(z, zHat, 'latent'), MSE);
    for (const v of ['reconstruction', 'features', 'skip', 'combined'] as ScoreVariant[]) {
      expect(() => anomalyScore(z, zHat, v as 'mse')).toThrow(/scoreComponents/);
    }
    tf.dispose([z, zHat]);
  });

  it("'mse' (default) is the per-sample mean of squares, rank 2", () => {
    const z = tf.tensor2d(Z);
    const zHat = tf.tensor2d(ZHAT);
    expectClose(scores(z, zHat), MSE);
    expectClose(scores(z, zHat, 'mse'), MSE);
    tf.dispose([z, zHat]);
  });

  it("'l1' is the per-sample sum of absolute differences, rank 2", () => {
    const z = tf.tensor2d(Z);
    const zHat = tf.tensor2d(ZHAT);
    expectClose(scores(z, zHat, 'l1'), L1);
    tf.dispose([z, zHat]);
  });

  it('gives the same per-sample scores for rank-4 [n, 1, 1, nz] codes', () => {
    const z = tf.tensor4d(Z.flat(), [2, 1, 1, 3]);
    const zHat = tf.tensor4d(ZHAT.flat(), [2, 1, 1, 3]);
    expectClose(scores(z, zHat, 'mse'), MSE);
    expectClose(scores(z, zHat, 'l1'), L1);
    tf.dispose([z, zHat]);
  });

  it('rejects wrong ranks, feature maps, mismatched shapes and unknown variants', () => {
    const r3 = tf.zeros([2, 1, 3]);
    const fmap = tf.zeros([2, 4, 4, 3]);
    const z = tf.zeros([2, 3]);
    const zHat = tf.zeros([2, 4]);
    expectValueError(() => anomalyScore(r3, r3), /'z'/, /'anomalyScore'/, /rank 2/, /\[2,1,3\]/);
    expectValueError(() => anomalyScore(fmap, fmap), /'z'/, /\[n, 1, 1, nz\]/, /\[2,4,4,3\]/);
    expectValueError(() => anomalyScore(z, zHat), /'zHat'/, /same shape as 'z'/);
    expectValueError(() => anomalyScore(z, z, 'l2' as ScoreVariant), /'variant'/, /'mse', 'l1'/, /'l2'/);
    tf.dispose([r3, fmap, z, zHat]);
  });

  it('leaves exactly its result behind, for both variants and ranks', () => {
    const z2 = tf.randomNormal([8, 100]);
    const h2 = tf.randomNormal([8, 100]);
    const z4 = tf.reshape(z2, [8, 1, 1, 100]);
    const h4 = tf.reshape(h2, [8, 1, 1, 100]);
    for (const [z, h] of [[z2, h2], [z4, h4]] as const) {
      for (const v of LATENT_SCORE_VARIANTS) {
        const before = tf.memory().numTensors;
        const s = anomalyScore(z, h, v);
        expect(tf.memory().numTensors).toBe(before + 1);
        s.dispose();
        expect(tf.memory().numTensors).toBe(before);
      }
    }
    tf.dispose([z2, h2, z4, h4]);
  });
});
