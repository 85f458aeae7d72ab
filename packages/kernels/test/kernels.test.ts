import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-layers' node bundle registers tfjs-core's gradient functions (tf.grad needs them).
import '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { registerFastLeakyRelu, registerFastTile } from '@ganomaly/kernels';
// Internals, from their modules.
import { makeConv2DBackpropFilterKernel } from '../src/conv2d-backprop-filter.js';
import { makeConv2DBackpropInputKernel } from '../src/conv2d-backprop-input.js';
import { LEAKY_RELU_GRAD } from '../src/leaky-relu.js';
import { tileByBlocks } from '../src/tile.js';

// Reference: the cpu backend's own (slow, loop-based) filter gradient, called through the op.
// The fast one is exercised by calling its kernel function on the same backend.
function fastFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], strides: number, pad: 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]]) {
  const cfg = makeConv2DBackpropFilterKernel(tf.getBackend());
  const backend = tf.backend();
  const out = cfg.kernelFunc({
    inputs: { x, dy },
    backend,
    attrs: { strides: [strides, strides], pad: pad as never, dataFormat: 'NHWC', dimRoundingMode: undefined as never, filterShape },
  }) as tf.TensorInfo;
  return tf.engine().makeTensorFromTensorInfo(out) as tf.Tensor4D;
}

function relErr(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.div(tf.max(tf.abs(tf.sub(a, b))), tf.add(tf.max(tf.abs(b)), 1e-12)).dataSync()[0]);
}

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
const cases: { batch: number; size: number; ci: number; co: number; k: number; s: number; pad: Pad }[] = [
  { batch: 1, size: 8, ci: 1, co: 4, k: 4, s: 2, pad: 'same' },
  { batch: 3, size: 9, ci: 3, co: 5, k: 3, s: 2, pad: 'valid' }, // forward drops a trailing row
  { batch: 2, size: 7, ci: 3, co: 2, k: 3, s: 1, pad: 'same' },
  { batch: 2, size: 8, ci: 2, co: 3, k: 4, s: 2, pad: 1 },
  { batch: 2, size: 6, ci: 1, co: 2, k: 3, s: 1, pad: [[0, 0], [2, 0], [1, 2], [0, 0]] },
  { batch: 64, size: 4, ci: 3, co: 2, k: 4, s: 1, pad: 'valid' },
];

describe('Conv2DBackpropFilter as a convolution', () => {
  for (const backend of ['cpu', 'wasm']) {
    for (const c of cases) {
      it(`${backend}: batch ${c.batch}, ${c.size}x${c.size}x${c.ci} -> ${c.co}, k${c.k} s${c.s} pad ${JSON.stringify(c.pad)}`, async () => {
        await tf.setBackend('cpu');
        const x = tf.randomNormal([c.batch, c.size, c.size, c.ci], 0, 1, 'float32', 1) as tf.Tensor4D;
        const filterShape: [number, number, number, number] = [c.k, c.k, c.ci, c.co];
        const yShape = tf.conv2d(x, tf.zeros(filterShape) as tf.Tensor4D, c.s, c.pad as never).shape;
        const dy = tf.randomNormal(yShape, 0, 1, 'float32', 2) as tf.Tensor4D;
        const ref = tf.grad((w: tf.Tensor4D) => tf.sum(tf.mul(tf.conv2d(x, w, c.s, c.pad as never), dy)))(tf.zeros(filterShape) as tf.Tensor4D);
        const refData = await ref.data();
        await tf.setBackend(backend);
        const x2 = tf.tensor(await x.data(), x.shape) as tf.Tensor4D;
        const dy2 = tf.tensor(await dy.data(), dy.shape) as tf.Tensor4D;
        const got = fastFilterGrad(x2, dy2, filterShape, c.s, c.pad);
        expect(got.shape).toEqual(filterShape);
        const gotData = await got.data();
        await tf.setBackend('cpu');
        expect(relErr(tf.tensor(gotData, filterShape), tf.tensor(refData, filterShape))).toBeLessThan(1e-4);
      });
    }
  }
});

describe('Conv2DBackpropInput as a convolution', () => {
  // At least 8 input channels: fewer take the matrix-product form (tested below too).
  const inputCases = [
    ...cases.map((c) => ({ ...c, ci: Math.max(c.ci, 8) })),
    { batch: 2, size: 8, ci: 3, co: 4, k: 4, s: 2, pad: 'same' as Pad }, // few channels: matrix product and col2im
    // dy of 1x1: the decoder's first layer (z -> 4x4, the product is dx itself) ...
    { batch: 64, size: 4, ci: 16, co: 10, k: 4, s: 1, pad: 'valid' as Pad },
    // ... and 1x1 dy with padding (col2im crops the patch)
    { batch: 2, size: 2, ci: 8, co: 3, k: 3, s: 2, pad: 'same' as Pad },
    { batch: 2, size: 4, ci: 8, co: 3, k: 4, s: 2, pad: 'same' as Pad }, // a decoder step (transposed conv)
    { batch: 1, size: 5, ci: 2, co: 2, k: 3, s: 3, pad: 'valid' as Pad },
    // A phase with no row of dy: stride 3 with padding 1 on width 9, and kernel 2 < stride 3.
    { batch: 1, size: 9, ci: 8, co: 3, k: 4, s: 3, pad: [[0, 0], [1, 1], [1, 1], [0, 0]] as Pad },
    { batch: 2, size: 9, ci: 8, co: 4, k: 2, s: 3, pad: 'valid' as Pad },
  ];
  for (const backend of ['cpu', 'wasm']) {
    for (const c of inputCases) {
      it(`${backend}: batch ${c.batch}, ${c.size}x${c.size}x${c.ci} -> ${c.co}, k${c.k} s${c.s} pad ${JSON.stringify(c.pad)}`, async () => {
        await tf.setBackend('cpu');
        const x = tf.randomNormal([c.batch, c.size, c.size, c.ci], 0, 1, 'float32', 3) as tf.Tensor4D;
        const w = tf.randomNormal([c.k, c.k, c.ci, c.co], 0, 1, 'float32', 4) as tf.Tensor4D;
        const dy = tf.randomNormal(tf.conv2d(x, w, c.s, c.pad as never).shape, 0, 1, 'float32', 5) as tf.Tensor4D;
        // Reference: the cpu backend's own kernel, through the gradient of conv2d.
        const ref = tf.grad((xx: tf.Tensor4D) => tf.sum(tf.mul(tf.conv2d(xx, w, c.s, c.pad as never), dy)))(x);
        const refData = await ref.data();
        await tf.setBackend(backend);
        const cfg = makeConv2DBackpropInputKernel(backend, tf.getKernel(tf.Conv2DBackpropInput, backend));
        const out = cfg.kernelFunc({
          inputs: { dy: tf.tensor(await dy.data(), dy.shape), filter: tf.tensor(await w.data(), w.shape) },
          backend: tf.backend(),
          attrs: { strides: [c.s, c.s], pad: c.pad as never, dataFormat: 'NHWC', dimRoundingMode: undefined as never, inputShape: x.shape },
        }) as tf.TensorInfo;
        const got = tf.engine().makeTensorFromTensorInfo(out);
        expect(got.shape).toEqual(x.shape);
        const gotData = await got.data();
        await tf.setBackend('cpu');
        expect(relErr(tf.tensor(gotData, x.shape), tf.tensor(refData, x.shape))).toBeLessThan(1e-4);
      });
    }
  }
});

describe('LeakyRelu and its gradient in one pass each', () => {
  const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
  it("gives wasm's own kernel and tfjs's gradient formula bit for bit, -0, NaN and infinities included, for any alpha", async () => {
    const special = [0, -0, NaN, -NaN, Infinity, -Infinity, 1e-45, -1e-45, 3.4e38, -3.4e38, 0.5, -0.5];
    const values = Float32Array.from([...special, ...Array.from({ length: 4000 }, (_, i) => Math.sin(i * 12.9898) * 3)]);
    const dyValues = Float32Array.from(values, (_, i) => Math.cos(i * 78.233) * 2);
    await tf.setBackend('wasm');
    const be = tf.backend();
    const x = tf.tensor1d(values);
    const dy = tf.tensor1d(dyValues);
    const original = tf.getKernel(tf.LeakyRelu, 'wasm')!;
    expect((original as { ganomaly?: boolean }).ganomaly).toBeUndefined();
    const expected = (alpha: number) => {
      const info = original.kernelFunc({ inputs: { x }, backend: be, attrs: { alpha } }) as tf.TensorInfo;
      const y = tf.engine().makeTensorFromTensorInfo(info);
      // tfjs-core's gradient of LeakyRelu (gradients/LeakyRelu_grad.ts), on wasm's own kernels.
      const g = tf.where(tf.greater(x, 0), dy, tf.mul(dy, alpha));
      return [y.dataSync() as Float32Array, g.dataSync() as Float32Array];
    };
    const before = [0.2, 0.01, 1.5, 0].map(expected);
    registerFastLeakyRelu('wasm');
    expect((tf.getKernel(tf.LeakyRelu, 'wasm') as { ganomaly?: boolean }).ganomaly).toBe(true);
    expect(tf.getKernel(LEAKY_RELU_GRAD, 'wasm')).toBeDefined();
    [0.2, 0.01, 1.5, 0].forEach((alpha, k) => {
      const y = tf.leakyRelu(x, alpha);
      const g = tf.grad((t: tf.Tensor) => tf.leakyRelu(t, alpha))(x, dy);
      expect(bits(y.dataSync() as Float32Array), `forward, alpha ${alpha}`).toEqual(bits(before[k]![0]!));
      expect(bits(g.dataSync() as Float32Array), `gradient, alpha ${alpha}`).toEqual(bits(before[k]![1]!));
    });
    // Backends without the kernel keep tfjs's formula: the re-registered gradient on cpu.
    expect(tf.getKernel(LEAKY_RELU_GRAD, 'cpu')).toBeUndefined();
    await tf.setBackend('cpu');
    const xc = tf.tensor1d(values);
    const dyc = tf.tensor1d(dyValues);
    const gc = tf.grad((t: tf.Tensor) => tf.leakyRelu(t, 0.2))(xc, dyc);
    expect(bits(gc.dataSync() as Float32Array)).toEqual(bits(tf.where(tf.greater(xc, 0), dyc, tf.mul(dyc, 0.2)).dataSync() as Float32Array));
  });
});

describe('Tile by block copies', () => {
  it('matches tf.tile on the cpu backend for broadcasts and general repeats', async () => {
    await tf.setBackend('cpu');
    for (const [shape, reps] of [
      [[1, 1, 1, 5], [4, 3, 2, 1]],
      [[2, 3], [3, 2]],
      [[2, 1, 3], [1, 4, 2]],
      [[3], [1]],
    ] as [number[], number[]][]) {
      const x = tf.randomNormal(shape, 0, 1, 'float32', 9);
      const want = await tf.tile(x, reps).data();
      const got = tileByBlocks(new Float32Array(await x.data()), shape, reps);
      expect([...got]).toEqual([...want]);
    }
  });

  it('the registered wasm Tile gives tf.tile results', async () => {
    await tf.setBackend('wasm');
    registerFastTile('wasm');
    const x = tf.tensor4d([1, 2, 3], [1, 1, 1, 3]);
    expect([...(await tf.tile(x, [2, 2, 1, 1]).data())]).toEqual([1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3]);
    const i = tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32');
    expect([...(await tf.tile(i, [1, 2]).data())]).toEqual([1, 2, 1, 2, 3, 4, 3, 4]);
  });
});

describe('randomised shapes: both gradients against the cpu backend\'s own kernels', () => {
  // A fixed generator: the same 24 cases every run, covering strides 1 and 2, 'same', 'valid' and
  // explicit padding, 1 and 3 image channels and wider layers, batch 1 and 64.
  let state = 12345;
  const rand = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const randomCases = Array.from({ length: 24 }, (_, i) => {
    const k = pick([1, 2, 3, 4]);
    const s = pick([1, 2]);
    const size = pick([4, 5, 8, 9, 16]);
    const pad: Pad = pick(['same', 'valid', 'explicit'] as const) === 'explicit'
      ? [[0, 0], [Math.floor(rand() * k), Math.floor(rand() * k)], [Math.floor(rand() * k), Math.floor(rand() * k)], [0, 0]]
      : pick(['same', 'valid'] as const);
    return { batch: i % 3 === 0 ? 64 : pick([1, 2, 5]), size: Math.max(size, k), ci: pick([1, 3, 8, 16]), co: pick([1, 4, 12]), k, s, pad };
  });

  for (const backend of ['cpu', 'wasm']) {
    for (const c of randomCases) {
      it(`${backend}: batch ${c.batch}, ${c.size}x${c.size}x${c.ci} -> ${c.co}, k${c.k} s${c.s} pad ${JSON.stringify(c.pad)}`, async () => {
        await tf.setBackend('cpu');
        const x = tf.randomNormal([c.batch, c.size, c.size, c.ci], 0, 1, 'float32', 7) as tf.Tensor4D;
        const w = tf.randomNormal([c.k, c.k, c.ci, c.co], 0, 1, 'float32', 8) as tf.Tensor4D;
        const y = tf.conv2d(x, w, c.s, c.pad as never);
        const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 9) as tf.Tensor4D;
        const f = (xx: tf.Tensor4D, ww: tf.Tensor4D) => tf.sum(tf.mul(tf.conv2d(xx, ww, c.s, c.pad as never), dy));
        const [refDx, refDw] = tf.grads(f as never)([x, w]);
        const ref = [await refDx.data(), await refDw.data()];
        await tf.setBackend(backend);
        const be = tf.backend();
        const xb = tf.tensor(await x.data(), x.shape);
        const wb = tf.tensor(await w.data(), w.shape);
        const dyb = tf.tensor(await dy.data(), dy.shape);
        const attrs = { strides: [c.s, c.s], pad: c.pad as never, dataFormat: 'NHWC', dimRoundingMode: undefined as never };
        const dx = makeConv2DBackpropInputKernel(backend, tf.getKernel(tf.Conv2DBackpropInput, backend)).kernelFunc({
          inputs: { dy: dyb, filter: wb }, backend: be, attrs: { ...attrs, inputShape: x.shape },
        }) as tf.TensorInfo;
        const dw = makeConv2DBackpropFilterKernel(backend).kernelFunc({
          inputs: { x: xb, dy: dyb }, backend: be, attrs: { ...attrs, filterShape: w.shape },
        }) as tf.TensorInfo;
        const got = [await tf.engine().makeTensorFromTensorInfo(dx).data(), await tf.engine().makeTensorFromTensorInfo(dw).data()];
        await tf.setBackend('cpu');
        for (let k = 0; k < 2; k++) {
          const shape = k === 0 ? x.shape : w.shape;
          expect(relErr(tf.tensor(got[k], shape), tf.tensor(ref[k], shape))).toBeLessThan(1e-4);
        }
      });
    }
  }
});
