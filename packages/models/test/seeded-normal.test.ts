import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { fastRandomNormal } from '../src/init.js';
import { seededNormal } from '../src/seeded-normal.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Bit patterns, so that -0/+0 and every last bit count. */
const bits = (a: Float32Array | Int32Array | Uint8Array | ArrayLike<number>) => new Uint32Array(Float32Array.from(a as ArrayLike<number>).buffer);

describe('seededNormal is bit-identical to tfjs-core seeded randomNormal / truncatedNormal', () => {
  const seeds = [1, 2, 7, 42, 12345, 0x9e3779b1, 4294967295, 0.5, 3.25, -17];
  const shapes = [[1], [2], [3], [5, 7], [3, 3, 16, 8], [4, 4, 64, 32], [100003]];
  const params: [number, number][] = [[0, 1], [0, 0.02], [1, 0.02], [-3.5, 7], [1e6, 1e-3], [0.1, 123.456]];
  for (const truncated of [false, true]) {
    it(truncated ? 'truncatedNormal' : 'randomNormal', () => {
      let checked = 0;
      for (const seed of seeds) {
        for (const [mean, std] of params) {
          for (const shape of shapes) {
            if (shape.length === 1 && shape[0]! > 1000 && (mean !== 0 || std !== 0.02) && seed !== 42) continue; // keep the long draws few
            const ref = tf.tidy(() => (truncated ? tf.truncatedNormal(shape, mean, std, 'float32', seed) : tf.randomNormal(shape, mean, std, 'float32', seed)).dataSync() as Float32Array);
            const size = shape.reduce((a, b) => a * b, 1);
            const got = seededNormal(size, mean, std, seed, truncated);
            expect(got.length).toBe(ref.length);
            expect(Buffer.from(bits(got).buffer).equals(Buffer.from(bits(ref).buffer)), `seed ${seed}, N(${mean}, ${std}), shape ${shape}`).toBe(true);
            checked++;
          }
        }
      }
      expect(checked).toBe(375);
    });
  }

  it('differs for different seeds (the comparison can fail)', () => {
    expect(Buffer.from(seededNormal(64, 0, 1, 1).buffer).equals(Buffer.from(seededNormal(64, 0, 1, 2).buffer))).toBe(false);
    const ref = tf.tidy(() => tf.randomNormal([64], 0, 1, 'float32', 1).dataSync() as Float32Array);
    expect(Buffer.from(seededNormal(64, 0, 1, 1).buffer).equals(Buffer.from(ref.buffer))).toBe(true);
    expect(Buffer.from(seededNormal(64, 0, 1.0000001, 1).buffer).equals(Buffer.from(ref.buffer))).toBe(false);
  });

  it('fastRandomNormal: the same weights, class and saved config as tfjs-layers RandomNormal', () => {
    for (const args of [{ mean: 0, stddev: 0.02, seed: 99 }, { mean: 1, stddev: 0.02, seed: 4000000000 }, { mean: 0, stddev: 0, seed: 5 }]) {
      const ours = fastRandomNormal(args);
      const theirs = tfl.initializers.randomNormal(args);
      expect(ours.getClassName()).toBe(theirs.getClassName());
      expect(ours.getConfig()).toEqual(theirs.getConfig());
      for (const shape of [[4, 4, 3, 8], [16]]) {
        const a = tf.tidy(() => ours.apply(shape, 'float32').dataSync() as Float32Array);
        const b = tf.tidy(() => theirs.apply(shape, 'float32').dataSync() as Float32Array);
        expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
      }
    }
    // No seed: tfjs's own (unseeded) draw, not an error.
    expect(tf.tidy(() => fastRandomNormal({ mean: 0, stddev: 1 }).apply([8]).shape)).toEqual([8]);
  });
});
