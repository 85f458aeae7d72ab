import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ValueError } from '@ganomaly/common';
import { imageSet, isImageSet, subset, concat, filterByLabel, labelCounts, fromTensor, toTensor } from '@ganomaly/data';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** n images of 2x2x1 whose pixels are 10*i + position. */
function tiny(n: number, labels?: number[]) {
  const px = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) for (let p = 0; p < 4; p++) px[i * 4 + p] = 10 * i + p;
  return imageSet(px, { count: n, height: 2, width: 2, channels: 1, labels: labels && Uint8Array.from(labels) });
}

describe('imageSet', () => {
  it('wraps raw pixels with their shape', () => {
    const s = tiny(3, [1, 2, 3]);
    expect(s).toMatchObject({ count: 3, height: 2, width: 2, channels: 1 });
    expect(isImageSet(s)).toBe(true);
    expect(Object.isFrozen(s)).toBe(true);
  });

  it('rejects a length that does not match the shape, and bad labels', () => {
    const px = new Uint8Array(11);
    expect(() => imageSet(px, { count: 3, height: 2, width: 2, channels: 1 })).toThrow(ValueError);
    expect(() => imageSet(px, { count: 3, height: 2, width: 2, channels: 1 })).toThrow(
      /'pixels' passed to 'imageSet' must be of length count\*height\*width\*channels = 3\*2\*2\*1 = 12, but got length 11/,
    );
    expect(() => imageSet(new Uint8Array(12), { count: 3, height: 2, width: 2, channels: 1, labels: new Uint8Array(2) })).toThrow(
      /'shape.labels'.*length 3.*but got length 2/,
    );
    expect(() => imageSet([1, 2] as unknown as Uint8Array, { count: 1, height: 1, width: 2, channels: 1 })).toThrow(/must be a Uint8Array/);
    expect(() => imageSet(new Uint8Array(0), { count: 0, height: 0, width: 2, channels: 1 })).toThrow(/'shape.height'.*positive integer, but got 0/);
    expect(() => imageSet(new Uint8Array(4), { count: 1.5, height: 2, width: 2, channels: 1 })).toThrow(/'shape.count'/);
  });

  it('isImageSet rejects look-alikes', () => {
    expect(isImageSet({ pixels: new Uint8Array(4), count: 2, height: 2, width: 2, channels: 1 })).toBe(false);
    expect(isImageSet({ pixels: [0, 0, 0, 0], count: 1, height: 2, width: 2, channels: 1 })).toBe(false);
    expect(isImageSet(null)).toBe(false);
    expect(isImageSet({ pixels: new Uint8Array(4), count: 1, height: 2, width: 2, channels: 1, labels: new Uint8Array(2) })).toBe(false);
  });
});

describe('subset, concat, filterByLabel', () => {
  it('subset copies the chosen images and labels in the given order', () => {
    const s = tiny(4, [5, 6, 7, 8]);
    const t = subset(s, [3, 1, 1]);
    expect(t.count).toBe(3);
    expect(Array.from(t.pixels)).toEqual([30, 31, 32, 33, 10, 11, 12, 13, 10, 11, 12, 13]);
    expect(Array.from(t.labels!)).toEqual([8, 6, 6]);
    t.pixels[0] = 0;
    expect(s.pixels[12]).toBe(30);
  });

  it('subset rejects out-of-range and fractional indices', () => {
    const s = tiny(4);
    expect(() => subset(s, [0, 4])).toThrow(/'indices' passed to 'subset' must be integer image indices in \[0, 4\), but got 4 at position 1/);
    expect(() => subset(s, [0.5])).toThrow(ValueError);
    expect(() => subset({} as never, [0])).toThrow(/'set' passed to 'subset' must be an ImageSet/);
  });

  it('concat appends b after a', () => {
    const c = concat(tiny(1, [1]), tiny(2, [2, 3]));
    expect(c.count).toBe(3);
    expect(Array.from(c.pixels.subarray(4))).toEqual([0, 1, 2, 3, 10, 11, 12, 13]);
    expect(Array.from(c.labels!)).toEqual([1, 2, 3]);
    expect(() => concat(tiny(1, [1]), tiny(1))).toThrow(/labels on both sets or on neither/);
    const rgb = imageSet(new Uint8Array(12), { count: 1, height: 2, width: 2, channels: 3 });
    expect(() => concat(tiny(1), rgb)).toThrow(/same size as 'a' \(2x2x1\), but got 2x2x3/);
  });

  it('filterByLabel keeps matching images; labelCounts counts them', () => {
    const s = tiny(5, [0, 1, 0, 2, 1]);
    const f = filterByLabel(s, (l) => l === 1);
    expect(f.count).toBe(2);
    expect(Array.from(f.pixels)).toEqual([10, 11, 12, 13, 40, 41, 42, 43]);
    expect(labelCounts(s)).toEqual([2, 2, 1]);
    expect(() => filterByLabel(tiny(2), () => true)).toThrow(/an ImageSet with labels, but got 'an ImageSet without labels'/);
  });
});

describe('fromTensor / toTensor', () => {
  it('round-trips raw pixels through a tensor', () => {
    const s = tiny(3, [4, 5, 6]);
    const t = toTensor(s);
    expect(t.shape).toEqual([3, 2, 2, 1]);
    expect(t.dtype).toBe('float32');
    const back = fromTensor(t, [4, 5, 6]);
    expect(Array.from(back.pixels)).toEqual(Array.from(s.pixels));
    expect(Array.from(back.labels!)).toEqual([4, 5, 6]);
    const i = toTensor(s, [2], 'int32');
    expect(i.dtype).toBe('int32');
    expect(Array.from(i.dataSync())).toEqual([20, 21, 22, 23]);
    tf.dispose([t, i]);
  });

  it('takes a rank-3 tensor as one [h, w, c] image', () => {
    const t = tf.tensor3d([1, 2, 3, 4, 5, 6], [1, 2, 3]);
    expect(fromTensor(t)).toMatchObject({ count: 1, height: 1, width: 2, channels: 3 });
    t.dispose();
  });

  it('rejects NaN, out-of-range and fractional values instead of rounding', () => {
    const cases: [number, RegExp][] = [
      [NaN, /NaN at flat index 1/],
      [Infinity, /Infinity at flat index 1/],
      [300, /300 at flat index 1/],
      [-1, /-1 at flat index 1/],
      [0.5, /0.5 at flat index 1/],
    ];
    for (const [v, re] of cases) {
      const t = tf.tensor4d([0, v], [1, 1, 2, 1]);
      expect(() => fromTensor(t)).toThrow(ValueError);
      expect(() => fromTensor(t)).toThrow(re);
      t.dispose();
    }
    const r2 = tf.zeros([2, 2]);
    expect(() => fromTensor(r2 as tf.Tensor3D)).toThrow(/'t' passed to 'fromTensor' must be a tf.Tensor of rank 3/);
    const t = tf.zeros([2, 1, 1, 1]) as tf.Tensor4D;
    expect(() => fromTensor(t, [1])).toThrow(/'labels'.*length 2/);
    tf.dispose([r2, t]);
  });
});
