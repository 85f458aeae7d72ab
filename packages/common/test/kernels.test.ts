import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-layers' node bundle registers tfjs-core's gradient functions (tf.grad needs them).
import '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { makeConv2DBackpropFilterKernel } from '@ganomaly/common';

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
