// This library's convolution-gradient forms on tfjs-node's `tensorflow` backend (@ganomaly/kernels, *-tensorflow.ts),
// against the cpu backend's reference kernels: the dense-layer and sub-pixel forms that are
// registered, and the patch form of the filter gradient (measured slower, so off by default),
// each forced on for every case it takes (the others fall back to TensorFlow's own kernel).
// Float32 sums in another order: 1e-5 of the largest value is far above the rounding seen (1e-6)
// and far below any wrong index or missed tap (which moves values by their own size).
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { useBackend } from '@ganomaly/common';
import { TENSORFLOW_FORMS, isTfjsNodeAvailable } from '@ganomaly/backend-node';
import '@ganomaly/backend-cpu';

const available = await isTfjsNodeAvailable();
const DEFAULTS = { ...TENSORFLOW_FORMS };
const ALL_ON = { dense: true, patchMaxOutputPixels: 1e9, subPixelMaxInChannels: 1e9 };
const ALL_OFF = { dense: false, patchMaxOutputPixels: 0, subPixelMaxInChannels: 0 };

/** [kernel, x shape (dx for the input gradient), filter shape, stride, pad]. */
const CASES: [string, number[], number[], number, 'same' | 'valid'][] = [
  ['Conv2DBackpropInput', [2, 8, 8, 1], [4, 4, 1, 6], 2, 'same'],
  ['Conv2DBackpropInput', [2, 8, 6, 3], [4, 4, 3, 5], 2, 'same'],
  ['Conv2DBackpropInput', [2, 9, 7, 3], [4, 4, 3, 5], 2, 'same'],
  ['Conv2DBackpropFilter', [3, 4, 4, 8], [4, 4, 8, 5], 1, 'valid'],
  ['Conv2DBackpropFilter', [3, 4, 4, 8], [4, 4, 8, 1], 1, 'valid'],
  ['Conv2DBackpropInput', [3, 4, 4, 8], [4, 4, 8, 5], 1, 'valid'],
  ['Conv2DBackpropInput', [3, 4, 4, 8], [4, 4, 8, 1], 1, 'valid'],
  ['Conv2DBackpropFilter', [2, 8, 8, 6], [4, 4, 6, 7], 2, 'same'],
  ['Conv2DBackpropFilter', [2, 9, 7, 3], [3, 3, 3, 4], 2, 'same'],
  ['Conv2DBackpropFilter', [2, 9, 7, 3], [3, 2, 3, 4], 1, 'valid'],
];

async function compute(backend: string, [kernel, xShape, fShape, s, pad]: (typeof CASES)[number]): Promise<Float32Array> {
  await useBackend(backend);
  return tf.tidy(() => {
    const x = tf.randomNormal(xShape, 0, 1, 'float32', 1);
    const w = tf.randomNormal(fShape, 0, 1, 'float32', 2);
    const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, pad);
    const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 3);
    const out =
      kernel === 'Conv2DBackpropFilter'
        ? tf.engine().runKernel(kernel, { x, dy }, { strides: [s, s], pad, dataFormat: 'NHWC', filterShape: fShape })
        : tf.engine().runKernel(kernel, { dy, filter: w }, { strides: [s, s], pad, dataFormat: 'NHWC', inputShape: xShape });
    return (out as tf.Tensor).dataSync() as Float32Array;
  });
}

describe.skipIf(!available)('tensorflow backend kernels (@ganomaly/kernels, *-tensorflow.ts) against cpu', () => {
  afterAll(() => Object.assign(TENSORFLOW_FORMS, DEFAULTS));

  it('are registered in place of tfjs-node\'s own, marked', async () => {
    await useBackend('node');
    expect((tf.getKernel('Conv2DBackpropFilter', 'tensorflow') as { ganomaly?: boolean }).ganomaly).toBe(true);
    expect((tf.getKernel('Conv2DBackpropInput', 'tensorflow') as { ganomaly?: boolean }).ganomaly).toBe(true);
  });

  for (const c of CASES) {
    it(`${c[0]} x ${JSON.stringify(c[1])} filter ${JSON.stringify(c[2])} stride ${c[3]} ${c[4]}`, async () => {
      const want = await compute('cpu', c);
      Object.assign(TENSORFLOW_FORMS, ALL_ON);
      const ours = await compute('node', c);
      Object.assign(TENSORFLOW_FORMS, ALL_OFF);
      const own = await compute('node', c);
      Object.assign(TENSORFLOW_FORMS, DEFAULTS);
      const scale = Math.max(...want.map(Math.abs));
      const worst = (got: Float32Array) => Math.max(...got.map((v, i) => Math.abs(v - want[i]))) / scale;
      expect(ours).toHaveLength(want.length);
      expect(worst(ours)).toBeLessThan(1e-5);
      expect(worst(own)).toBeLessThan(1e-5);
    });
  }
});
