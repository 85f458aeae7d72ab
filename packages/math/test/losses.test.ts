import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core registers no gradients by itself; tfjs-layers registers them all (into the shared
// global registry). Only the gradient test needs it; the losses themselves never import layers.
import '@tensorflow/tfjs-layers';
import {
  adversarialLoss,
  contextualLoss,
  DEFAULT_LOSS_WEIGHTS,
  discriminatorLoss,
  encoderLoss,
  generatorLoss,
  sigmoidCrossEntropy,
} from '@ganomaly/math';
import { expectValueError } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Reads a scalar and disposes it. */
function value(t: tf.Scalar): number {
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
}


describe('adversarialLoss', () => {
  it('is the mean squared difference of the feature maps', () => {
    // diffs 1-1=0, 2-0=2, 3-5=-2, 4-4.5=-0.5; squares 0, 4, 4, 0.25; sum 8.25; /4 = 2.0625
    const a = tf.tensor2d([[1, 2], [3, 4]]);
    const b = tf.tensor2d([[1, 0], [5, 4.5]]);
    expect(value(adversarialLoss(a, b))).toBeCloseTo(2.0625, 6);
    tf.dispose([a, b]);
  });

  it('rejects feature maps of different shapes, naming featuresFake', () => {
    const a = tf.zeros([2, 2]);
    const b = tf.zeros([2, 3]);
    expectValueError(() => adversarialLoss(a, b), /'featuresFake'/, /'adversarialLoss'/, /\[2,2\]/, /\[2,3\]/);
    tf.dispose([a, b]);
  });
});

describe('contextualLoss', () => {
  it('is the mean absolute difference (L1)', () => {
    // |1-0.5| = 0.5, |-1-(-1)| = 0, |0.5-(-0.5)| = 1, |0-0.25| = 0.25; sum 1.75; /4 = 0.4375
    const x = tf.tensor4d([1, -1, 0.5, 0], [1, 2, 2, 1]);
    const xHat = tf.tensor4d([0.5, -1, -0.5, 0.25], [1, 2, 2, 1]);
    expect(value(contextualLoss(x, xHat))).toBeCloseTo(0.4375, 6);
    tf.dispose([x, xHat]);
  });

  it('rejects mismatched shapes, non-tensors, int32 and disposed tensors', () => {
    const x = tf.zeros([1, 2, 2, 1]);
    const y = tf.zeros([1, 2, 2, 3]);
    const i = tf.tensor1d([1, 2], 'int32');
    const d = tf.zeros([1, 2, 2, 1]);
    d.dispose();
    expectValueError(() => contextualLoss(x, y), /'xHat'/, /'contextualLoss'/);
    expectValueError(() => contextualLoss([1, 2] as unknown as tf.Tensor, x), /'x'/, /a tf\.Tensor/, /array of length 2/);
    expectValueError(() => contextualLoss(i, i), /'x'/, /float32/, /int32/);
    expectValueError(() => contextualLoss(x, d), /'xHat'/, /disposed/);
    const empty = tf.zeros([0]);
    expectValueError(() => contextualLoss(empty, empty), /'x'/, /at least one element/);
    tf.dispose([x, y, i, empty]);
  });
});

describe('encoderLoss', () => {
  it('is the mean squared difference of the latent codes', () => {
    // (1-0)² = 1, (2-2)² = 0, (3-5)² = 4; sum 5; /3 = 1.666...
    const z = tf.tensor2d([[1, 2, 3]]);
    const zHat = tf.tensor2d([[0, 2, 5]]);
    expect(value(encoderLoss(z, zHat))).toBeCloseTo(5 / 3, 6);
    tf.dispose([z, zHat]);
  });

  it('is differentiable through its tf.tidy', () => {
    // d/dz mean((z − ẑ)²) = 2(z − ẑ)/n = 2·[1, 0, −2]/3
    const z = tf.tensor2d([[1, 2, 3]]);
    const zHat = tf.tensor2d([[0, 2, 5]]);
    const g = tf.grad((v: tf.Tensor) => encoderLoss(v, zHat))(z);
    const got = Array.from(g.dataSync());
    [2 / 3, 0, -4 / 3].forEach((e, k) => expect(got[k]).toBeCloseTo(e, 6));
    tf.dispose([z, zHat, g]);
  });

  it('rejects mismatched shapes naming zHat', () => {
    const z = tf.zeros([2, 3]);
    const zHat = tf.zeros([3, 2]);
    expectValueError(() => encoderLoss(z, zHat), /'zHat'/, /'encoderLoss'/, /same shape as 'z'/);
    tf.dispose([z, zHat]);
  });
});

describe('discriminatorLoss', () => {
  it('is 0.5·[BCE(real, 1) + BCE(fake, 0)] with mean over elements', () => {
    // BCE(real=[0.5, 1], 1) = −(ln 0.5 + ln 1)/2 = ln2/2 = 0.3465736
    // BCE(fake=[0.25, 0], 0) = −(ln 0.75 + ln 1)/2 = 0.1438410
    // 0.5·(0.3465736 + 0.1438410) = 0.2452073
    const real = tf.tensor1d([0.5, 1]);
    const fake = tf.tensor1d([0.25, 0]);
    const expected = 0.5 * (Math.LN2 / 2 - Math.log(0.75) / 2);
    expect(expected).toBeCloseTo(0.2452073, 6);
    expect(value(discriminatorLoss(real, fake))).toBeCloseTo(expected, 5);
    tf.dispose([real, fake]);
  });

  it('has a finite gradient when the sigmoid saturates (as PyTorch nn.BCELoss)', async () => {
    await import('@tensorflow/tfjs-layers'); // registers tfjs-core's gradient functions
    const real = tf.tensor1d([0, 0.5]);
    const fake = tf.tensor1d([1, 0.5]);
    const [gr, gf] = tf.grads((r: tf.Tensor, f: tf.Tensor) => discriminatorLoss(r, f))([real, fake]);
    const [vr, vf] = [await gr.data(), await gf.data()];
    for (const v of [...vr, ...vf]) expect(Number.isFinite(v)).toBe(true);
    // Away from saturation: d/dp of −0.5·mean(log p) over 2 elements = −0.25/p = −0.5 at p = 0.5.
    expect(vr[1]).toBeCloseTo(-0.5, 5);
    // d/dp of −0.5·mean(log(1 − p)) = 0.25/(1 − p) = 0.5 at p = 0.5.
    expect(vf[1]).toBeCloseTo(0.5, 5);
    // At saturation the gradient is large and points the right way.
    expect(vr[0]).toBeLessThan(-1e6);
    expect(vf[0]).toBeGreaterThan(1e6);
  });

  it('clamps each log at −100 like PyTorch nn.BCELoss', () => {
    // real [0, 1]: −(max(ln 0, −100) + ln 1)/2 = −(−100 + 0)/2 = 50
    // fake [0, 1]: −(ln(1−0) + max(ln(1−1), −100))/2 = 50;  0.5·(50 + 50) = 50
    const real = tf.tensor1d([0, 1]);
    const fake = tf.tensor1d([0, 1]);
    expect(value(discriminatorLoss(real, fake))).toBeCloseTo(50, 4);
    tf.dispose([real, fake]);
  });

  it('allows predictions of different shapes (each BCE is its own mean)', () => {
    // real [1, 1]: 0; fake [0.5]: −ln 0.5 = ln 2; 0.5·ln 2 = 0.3465736
    const real = tf.tensor2d([[1], [1]]);
    const fake = tf.tensor1d([0.5]);
    expect(value(discriminatorLoss(real, fake))).toBeCloseTo(Math.LN2 / 2, 5);
    tf.dispose([real, fake]);
  });

  it('rejects a non-tensor naming predFake', () => {
    const real = tf.tensor1d([0.5]);
    expectValueError(() => discriminatorLoss(real, 0.5 as unknown as tf.Tensor), /'predFake'/, /'discriminatorLoss'/);
    real.dispose();
  });
});

describe('generatorLoss', () => {
  const parts = () => ({ adversarial: tf.scalar(2), contextual: tf.scalar(0.1), encoder: tf.scalar(3) });

  it('defaults to the paper weights 1, 50, 1', () => {
    expect(DEFAULT_LOSS_WEIGHTS).toEqual({ adversarial: 1, contextual: 50, encoder: 1 });
    expect(Object.isFrozen(DEFAULT_LOSS_WEIGHTS)).toBe(true);
    // 1·2 + 50·0.1 + 1·3 = 2 + 5 + 3 = 10
    const p = parts();
    expect(value(generatorLoss(p))).toBeCloseTo(10, 5);
    tf.dispose(Object.values(p));
  });

  it('takes any subset of weights, the rest default', () => {
    const p = parts();
    // 1·2 + 10·0.1 + 1·3 = 6
    expect(value(generatorLoss(p, { contextual: 10 }))).toBeCloseTo(6, 5);
    // 0·2 + 50·0.1 + 2·3 = 11
    expect(value(generatorLoss(p, { adversarial: 0, encoder: 2 }))).toBeCloseTo(11, 5);
    tf.dispose(Object.values(p));
  });

  it('rejects bad parts and weights, naming them', () => {
    const p = parts();
    const v = tf.tensor1d([1, 2]);
    expectValueError(() => generatorLoss({ ...p, encoder: v as unknown as tf.Scalar }), /'parts\.encoder'/, /scalar/);
    expectValueError(
      () => generatorLoss({ adversarial: p.adversarial, contextual: p.contextual } as never),
      /'parts'/,
      /'encoder'/,
    );
    expectValueError(() => generatorLoss(p, { contextual: -1 }), /'weights\.contextual'/, /-1/);
    expectValueError(() => generatorLoss(p, { contextual: NaN }), /'weights\.contextual'/);
    expectValueError(() => generatorLoss(p, { contextural: 5 } as never), /'weights'/, /'contextural'/);
    tf.dispose([...Object.values(p), v]);
  });
});

describe('no tensor leaks', () => {
  it('each loss leaves exactly its result behind', () => {
    const a = tf.randomNormal([4, 4, 4, 8]);
    const b = tf.randomNormal([4, 4, 4, 8]);
    const p = tf.sigmoid(tf.randomNormal([4, 1]));
    const calls: Array<() => tf.Scalar> = [
      () => adversarialLoss(a, b),
      () => contextualLoss(a, b),
      () => encoderLoss(a, b),
      () => discriminatorLoss(p, p),
    ];
    for (const call of calls) {
      const before = tf.memory().numTensors;
      const out = call();
      expect(tf.memory().numTensors).toBe(before + 1);
      out.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
    const parts = { adversarial: tf.scalar(1), contextual: tf.scalar(2), encoder: tf.scalar(3) };
    const before = tf.memory().numTensors;
    const out = generatorLoss(parts, { encoder: 4 });
    expect(tf.memory().numTensors).toBe(before + 1);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b, p, ...Object.values(parts)]);
  });
});

describe('sigmoidCrossEntropy', () => {
  it('is BCE(sigmoid(l), t) averaged, by hand', () => {
    // l = 0, t = 1: ln 2 = 0.6931472;  l = 2, t = 1: ln(1 + e^-2) = 0.1269280;  mean = 0.4100376
    const a = tf.tensor1d([0, 2]);
    expect(value(sigmoidCrossEntropy(a, 1))).toBeCloseTo((Math.LN2 + Math.log1p(Math.exp(-2))) / 2, 6);
    // l = -3, t = 0: ln(1 + e^-3) = 0.0485874;  l = 1, t = 0: 1 + ln(1 + e^-1) = 1.3132617
    const b = tf.tensor2d([[-3], [1]]);
    expect(value(sigmoidCrossEntropy(b, 0))).toBeCloseTo((0.0485874 + 1.3132617) / 2, 6);
    // t = 0.5 at l = 0: still ln 2
    const c = tf.scalar(0);
    expect(value(sigmoidCrossEntropy(c, 0.5))).toBeCloseTo(Math.LN2, 6);
    tf.dispose([a, b, c]);
  });

  it('stays finite where the sigmoid saturates, with gradient (sigmoid(l) - t) / n', () => {
    const l = tf.tensor1d([1000, -1000, 0]);
    expect(value(sigmoidCrossEntropy(l, 0))).toBeCloseTo((1000 + Math.LN2) / 3, 3); // terms 1000, 0, ln 2
    const g = tf.grad((x: tf.Tensor) => sigmoidCrossEntropy(x, 1))(l);
    const v = Array.from(g.dataSync());
    // sigmoid(1000) - 1 = 0, sigmoid(-1000) - 1 = -1, sigmoid(0) - 1 = -0.5; over n = 3
    expect(v[0]).toBeCloseTo(0, 6);
    expect(v[1]).toBeCloseTo(-1 / 3, 6);
    expect(v[2]).toBeCloseTo(-0.5 / 3, 6);
    tf.dispose([l, g]);
  });

  it('rejects a target outside [0, 1] and a non-tensor', () => {
    const l = tf.tensor1d([0]);
    expectValueError(() => sigmoidCrossEntropy(l, 2), /'target'/, /sigmoidCrossEntropy/);
    expectValueError(() => sigmoidCrossEntropy([0] as unknown as tf.Tensor, 1), /'logits'/);
    l.dispose();
  });
});
