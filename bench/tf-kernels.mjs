// The convolution gradients of a GANomaly step (batch 64, 32x32x1, widths 64) on tfjs-node's
// `tensorflow` backend: TensorFlow's own kernels against this library's forms
// (packages/kernels/src/*-tensorflow.ts), alternately, medians of N calls each, GFLOP/s, and the
// largest difference between the two results (relative to the largest value):
//   node bench/tf-kernels.mjs [N=7]
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@ganomaly/core';
import { TENSORFLOW_FORMS } from '@ganomaly/backend-node';

await useBackend('node');
const N = Number(process.argv[2] ?? 7);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const cases = [
  // [kernel, x or dy shape, filter shape, stride, pad]
  ['Conv2DBackpropFilter', [64, 32, 32, 1], [4, 4, 1, 64], 2, 'same'],
  ['Conv2DBackpropFilter', [64, 16, 16, 64], [4, 4, 64, 128], 2, 'same'],
  ['Conv2DBackpropFilter', [64, 8, 8, 128], [4, 4, 128, 256], 2, 'same'],
  ['Conv2DBackpropFilter', [64, 4, 4, 256], [4, 4, 256, 100], 1, 'valid'],
  ['Conv2DBackpropFilter', [64, 4, 4, 256], [4, 4, 256, 1], 1, 'valid'],
  ['Conv2DBackpropInput', [64, 4, 4, 256], [4, 4, 256, 100], 1, 'valid'],
  ['Conv2DBackpropInput', [64, 4, 4, 256], [4, 4, 256, 1], 1, 'valid'],
  ['Conv2DBackpropInput', [64, 32, 32, 1], [4, 4, 1, 64], 2, 'same'],
  ['Conv2DBackpropInput', [64, 16, 16, 64], [4, 4, 64, 128], 2, 'same'],
  ['Conv2DBackpropInput', [64, 8, 8, 128], [4, 4, 128, 256], 2, 'same'],
];
const OWN = { dense: false, patchMaxOutputPixels: 0, subPixelMaxInChannels: 0 };
const OURS = { dense: true, patchMaxOutputPixels: 1e9, subPixelMaxInChannels: 1e9 };
for (const [kernel, xShape, fShape, s, pad] of cases) {
  const x = tf.randomNormal(xShape);
  const w = tf.randomNormal(fShape);
  const y = tf.conv2d(x, w, s, pad);
  const dy = tf.randomNormal(y.shape);
  const run = () =>
    kernel === 'Conv2DBackpropFilter'
      ? tf.engine().runKernel(kernel, { x, dy }, { strides: [s, s], pad, dataFormat: 'NHWC', filterShape: fShape })
      : tf.engine().runKernel(kernel, { dy, filter: w }, { strides: [s, s], pad, dataFormat: 'NHWC', inputShape: xShape });
  const flops = 2 * y.size * fShape[0] * fShape[1] * fShape[2];
  const times = { own: [], ours: [] };
  const results = {};
  for (let i = 0; i < N + 1; i++) {
    for (const [k, forms] of i % 2 ? [['own', OWN], ['ours', OURS]] : [['ours', OURS], ['own', OWN]]) {
      Object.assign(TENSORFLOW_FORMS, forms);
      const t = performance.now();
      const r = run();
      r.dataSync();
      const ms = performance.now() - t;
      if (i > 0) times[k].push(ms);
      if (results[k]) results[k].dispose();
      results[k] = r;
    }
  }
  const scale = results.own.abs().max().dataSync()[0];
  const diff = results.own.sub(results.ours).abs().max().dataSync()[0] / scale;
  const own = median(times.own);
  const ours = median(times.ours);
  console.log(
    `${kernel.padEnd(21)} ${JSON.stringify(xShape).padEnd(16)} ${JSON.stringify(fShape).padEnd(16)} own ${own.toFixed(1).padStart(6)} ms ${(flops / own / 1e6).toFixed(0).padStart(4)} GFLOP/s  ours ${ours.toFixed(1).padStart(6)} ms ${(flops / ours / 1e6).toFixed(0).padStart(4)} GFLOP/s  ${(own / ours).toFixed(2)}x  diff ${diff.toExponential(1)}`,
  );
  tf.dispose([x, w, y, dy, results.own, results.ours]);
}
Object.assign(TENSORFLOW_FORMS, { dense: true, patchMaxOutputPixels: 0, subPixelMaxInChannels: 8 });
