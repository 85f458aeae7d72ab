import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { anomalyScore, LATENT_SCORE_VARIANTS, SCORE_VARIANTS, nearestDistance, type ScoreVariant } from '@ganomaly/math';
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
    expect([...SCORE_VARIANTS]).toEqual(['mse', 'l1', 'latent', 'reconstruction', 'features', 'skip', 'combined', 'knn']);
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

describe("nearestDistance (the 'knn' score)", () => {
  // Memory rows: [0, 0], [3, 4], [6, 8]; query [3, 0]: distances 3, 4, sqrt(9 + 64) = 8.544.
  const memory = [[0, 0], [3, 4], [6, 8]];
  const run = (codes: number[][] | tf.Tensor, k?: number) => {
    const q = codes instanceof tf.Tensor ? codes : tf.tensor2d(codes);
    const m = tf.tensor2d(memory);
    const d = nearestDistance(q, m, k);
    const v = Array.from(d.dataSync());
    tf.dispose([q, m, d]);
    return v;
  };

  it('is the distance to the nearest memory row, or the mean over the k nearest', () => {
    expectClose(run([[3, 0], [6, 8], [-3, -4]]), [3, 0, 5]);
    expectClose(run([[3, 0]], 2), [3.5]);
    expectClose(run([[3, 0]], 3), [(3 + 4 + Math.sqrt(73)) / 3]);
  });

  it('matches a brute-force search on random codes (no negative distance from rounding)', () => {
    const rnd = (n: number, d: number, s: number) => Array.from({ length: n }, (_, i) => Array.from({ length: d }, (_, j) => Math.sin(s * 7.3 + i * 1.7 + j * 0.37) * 10));
    const q = rnd(20, 16, 1);
    const mem = rnd(50, 16, 2);
    mem[7] = q[3]!.slice(); // an exact match: distance 0
    const qt = tf.tensor2d(q);
    const mt = tf.tensor2d(mem);
    for (const k of [1, 4]) {
      const got = nearestDistance(qt, mt, k);
      const want = q.map((a) => {
        const ds = mem.map((b) => Math.hypot(...a.map((v, j) => v - b[j]!))).sort((x, y) => x - y);
        return ds.slice(0, k).reduce((s, v) => s + v, 0) / k;
      });
      const v = Array.from(got.dataSync());
      v.forEach((x, i) => expect(Math.abs(x - want[i]!)).toBeLessThan(2e-3 * Math.max(1, want[i]!)));
      expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
      got.dispose();
    }
    tf.dispose([qt, mt]);
  });

  it('takes the encoder\'s [n, 1, 1, d] codes', () => {
    expectClose(run(tf.tensor4d([3, 0, 6, 8], [2, 1, 1, 2])), [3, 0]);
  });

  it('refuses a memory of another width, k < 1 or k above the memory, and a feature map', () => {
    const q = tf.tensor2d([[1, 2, 3]]);
    const m = tf.tensor2d(memory);
    expectValueError(() => nearestDistance(q, m), /memory/);
    const q2 = tf.tensor2d([[1, 2]]);
    expectValueError(() => nearestDistance(q2, m, 0), /k/);
    expectValueError(() => nearestDistance(q2, m, 4), /at least k = 4 rows/);
    const fmap = tf.zeros([1, 2, 2, 2]);
    expectValueError(() => nearestDistance(fmap, m), /codes/);
    tf.dispose([q, m, q2, fmap]);
  });
});
