import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ValueError } from '@ganomaly/common';
import { imageSet, preprocess } from '@ganomaly/data';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const grey = (values: number[], h: number, w: number) => imageSet(Uint8Array.from(values), { count: values.length / (h * w), height: h, width: w, channels: 1 });

describe('preprocess', () => {
  it('scales 0 → -1, 255 → 1, 127.5-ish linearly, without resize when the size matches', () => {
    const out = preprocess(grey([0, 255, 51, 204], 2, 2), { imageSize: 2, channels: 1 });
    expect(out.shape).toEqual([1, 2, 2, 1]);
    expect(out.dtype).toBe('float32');
    const v = Array.from(out.dataSync());
    expect(v[0]).toBe(-1);
    expect(v[1]).toBe(1);
    expect(v[2]).toBeCloseTo(51 / 127.5 - 1, 6);
    expect(v[3]).toBeCloseTo(204 / 127.5 - 1, 6);
    out.dispose();
  });

  it('resizes 28 → 32 keeping a constant image exactly constant, range within [-1, 1]', () => {
    const n = 3;
    const px = new Uint8Array(n * 28 * 28);
    px.fill(0, 0, 784);
    px.fill(255, 784, 2 * 784);
    for (let i = 2 * 784; i < 3 * 784; i++) px[i] = (i * 37) % 256;
    const out = preprocess(imageSet(px, { count: n, height: 28, width: 28, channels: 1 }), { imageSize: 32, channels: 1 });
    expect(out.shape).toEqual([3, 32, 32, 1]);
    const v = out.dataSync();
    expect(new Set(v.subarray(0, 1024))).toEqual(new Set([-1]));
    expect(new Set(v.subarray(1024, 2048))).toEqual(new Set([1]));
    expect(Math.min(...v.subarray(2048))).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...v.subarray(2048))).toBeLessThanOrEqual(1);
    out.dispose();
  });

  it('uses half-pixel centres: a left/right split image stays symmetric after 2 → 4', () => {
    // Row [0, 255] → 4 columns with half-pixel centres: [0, 63.75, 191.25, 255] (PIL / torchvision);
    // tfjs's default corner-aligned grid would give [0, 127.5, 255, 255].
    const out = preprocess(grey([0, 255, 0, 255], 2, 2), { imageSize: 4, channels: 1 });
    const row = Array.from(out.dataSync().subarray(0, 4)).map((x) => (x + 1) * 127.5);
    expect(row[0]).toBeCloseTo(0, 3);
    expect(row[1]).toBeCloseTo(63.75, 3);
    expect(row[2]).toBeCloseTo(191.25, 3);
    expect(row[3]).toBeCloseTo(255, 3);
    out.dispose();
  });

  it('grey → RGB repeats the plane; RGB → grey uses BT.601 luma', () => {
    const g = preprocess(grey([0, 102], 1, 2), { imageSize: 1, channels: 3 }, [0]);
    // 1x2 → 1x1 stretched: mean of the two = 51.
    expect(g.shape).toEqual([1, 1, 1, 3]);
    const gv = Array.from(g.dataSync());
    for (const x of gv) expect(x).toBeCloseTo(51 / 127.5 - 1, 6);

    const rgb = imageSet(Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 200, 30]), { count: 1, height: 2, width: 2, channels: 3 });
    const l = preprocess(rgb, { imageSize: 2, channels: 1 });
    const expected = [0.299 * 255, 0.587 * 255, 0.114 * 255, 0.299 * 10 + 0.587 * 200 + 0.114 * 30];
    Array.from(l.dataSync()).forEach((x, i) => expect((x + 1) * 127.5).toBeCloseTo(expected[i]!, 3));

    const white = imageSet(new Uint8Array(12).fill(255), { count: 1, height: 2, width: 2, channels: 3 });
    const w = preprocess(white, { imageSize: 2, channels: 1 });
    expect(Math.max(...w.dataSync())).toBe(1);
    tf.dispose([g, l, w]);
  });

  it('drops alpha of RGBA input', () => {
    const rgba = tf.tensor4d([10, 20, 30, 0], [1, 1, 1, 4]);
    const out = preprocess(rgba, { imageSize: 1, channels: 3 });
    Array.from(out.dataSync()).forEach((x, i) => expect((x + 1) * 127.5).toBeCloseTo([10, 20, 30][i]!, 4));
    tf.dispose([rgba, out]);
  });

  it('takes a tensor and a selection of indices', () => {
    const t = tf.tensor4d([0, 255, 51], [3, 1, 1, 1], 'int32');
    const out = preprocess(t, { imageSize: 1, channels: 1 }, [2, 0]);
    expect(out.shape).toEqual([2, 1, 1, 1]);
    expect(out.dataSync()[0]).toBeCloseTo(51 / 127.5 - 1, 6);
    expect(out.dataSync()[1]).toBe(-1);
    expect(t.isDisposed).toBe(false);
    tf.dispose([t, out]);
  });

  it('rejects rank 3, NaN, values above 255, 2 channels and bad options', () => {
    const r3 = tf.zeros([2, 2, 1]);
    const nan = tf.tensor4d([0, NaN], [1, 1, 2, 1]);
    const big = tf.tensor4d([0, 300], [1, 1, 2, 1]);
    const neg = tf.tensor4d([-0.5, 3], [1, 1, 2, 1]);
    const two = tf.zeros([1, 2, 2, 2]) as tf.Tensor4D;
    const opts = { imageSize: 32, channels: 1 as const };
    expect(() => preprocess(r3 as unknown as tf.Tensor4D, opts)).toThrow(/'input' passed to 'preprocess' must be an ImageSet or a tensor of rank 4.*shape \[2,2,1\]/);
    expect(() => preprocess(nan as tf.Tensor4D, opts)).toThrow(/finite, within 0..255, but got NaN values/);
    expect(() => preprocess(big as tf.Tensor4D, opts)).toThrow(/within 0..255, but got values in \[0, 300\]/);
    expect(() => preprocess(neg as tf.Tensor4D, opts)).toThrow(/values in \[-0.5, 3\]/);
    expect(() => preprocess(two, opts)).toThrow(/1 \(grey\), 3 \(RGB\) or 4 \(RGBA\) channels, but got 2 channels/);
    expect(() => preprocess(grey([0], 1, 1), { imageSize: 0, channels: 1 })).toThrow(/'options.imageSize'/);
    expect(() => preprocess(grey([0], 1, 1), { imageSize: 2, channels: 2 as 1 })).toThrow(/'options.channels'.*1 \(grey\) or 3 \(RGB\), but got 2/);
    expect(() => preprocess(grey([0], 1, 1), opts, [1])).toThrow(/'indices'/);
    expect(() => preprocess({} as never, opts)).toThrow(ValueError);
    tf.dispose([r3, nan, big, neg, two]);
  });

  it('leaks no tensors, on success or on a validation error', () => {
    const set = imageSet(new Uint8Array(2 * 28 * 28 * 3).fill(7), { count: 2, height: 28, width: 28, channels: 3 });
    const t = tf.tensor4d(new Float32Array(2 * 28 * 28).fill(9), [2, 28, 28, 1]);
    const bad = tf.tensor4d([0, 256], [1, 1, 2, 1]);
    const before = tf.memory().numTensors;
    for (const [input, channels] of [[set, 1], [set, 3], [t, 3], [t, 1]] as const) {
      const out = preprocess(input, { imageSize: 32, channels });
      expect(tf.memory().numTensors).toBe(before + 1);
      out.dispose();
    }
    expect(() => preprocess(bad as tf.Tensor4D, { imageSize: 32, channels: 1 })).toThrow(ValueError);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([t, bad]);
  });
});
