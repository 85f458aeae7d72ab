import * as tf from '@tensorflow/tfjs-core';
// tfjs-layers' node bundle registers the gradient functions tf.grads needs.
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { useBackend } from '@ganomaly/common';
import { registerFastConvFilterGradient } from '@ganomaly/kernels';
import { registerWasmTrainingKernels } from '@ganomaly/backend-wasm';

describe('backend wasm', () => {
  it('adds the training kernels wasm lacks, and selecting it works', async () => {
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeUndefined();
    expect(await useBackend('wasm')).toBe('wasm');
    expect((tf.getKernel(tf.Conv2DBackpropFilter, 'wasm') as { ganomaly?: boolean }).ganomaly).toBe(true);
    expect(registerWasmTrainingKernels()).toEqual([]); // already there: nothing registered twice
  });

  it('a kernel that tfjs itself ships is kept, not replaced', () => {
    tf.unregisterKernel(tf.Conv2DBackpropFilter, 'wasm');
    const shipped: tf.KernelConfig = { kernelName: tf.Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: () => ({ dataId: {}, shape: [], dtype: 'float32' }) };
    tf.registerKernel(shipped);
    expect(registerFastConvFilterGradient('wasm')).toBe(false);
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBe(shipped);
  });

  it('trains a convolution on wasm with the gradients matching cpu', async () => {
    await useBackend('wasm');
    tf.unregisterKernel(tf.Conv2DBackpropFilter, 'wasm');
    registerWasmTrainingKernels();
    const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([4, 4, 3, 8], 0, 1, 'float32', 2) as tf.Tensor4D;
    const f = (xx: tf.Tensor4D, ww: tf.Tensor4D) => tf.sum(tf.square(tf.conv2d(xx, ww, 2, 'same')));
    const [gx, gw] = tf.grads(f as never)([x, w]);
    const wasm = [await gx.data(), await gw.data()];
    await tf.setBackend('cpu');
    const x2 = tf.tensor(await x.data(), x.shape) as tf.Tensor4D;
    const w2 = tf.tensor(await w.data(), w.shape) as tf.Tensor4D;
    const [cx, cw] = tf.grads(f as never)([x2, w2]);
    const cpu = [await cx.data(), await cw.data()];
    for (let k = 0; k < 2; k++) {
      const scale = Math.max(...cpu[k].map(Math.abs));
      cpu[k].forEach((v, i) => expect(Math.abs(wasm[k][i] - v)).toBeLessThan(1e-4 * scale));
    }
  });
});
