// Profiles one GANomaly training step (batch 64, 32x32), kernel by kernel, with the convolutions'
// rates (GFLOP/s from their shapes):
//   node bench/profile-step.mjs [baseWidth=64] [backend=wasm]
// On wasm in Node, GANOMALY_WASM_THREADS=1 profiles one XNNPACK thread (default: all cores).
// `fusedConv2d__op` is the op around FusedConv2D: its time includes the kernel's.
// On node, GANOMALY_TF_OWN_KERNELS=1 profiles tfjs-node's own convolution gradients instead of
// this library's forms (packages/kernels/src/*-tensorflow.ts), for a before/after.
// On node, "step N ms (fit)" times fit's compiled step (one TensorFlow session call, which
// tf.profile cannot look into); the kernel profile below is of the eager step (trainStep).
// GANOMALY_COMPILED_STEP=0 makes the fit line time the eager step too.
import { Ganomaly } from '@ganomaly/core';
import { TENSORFLOW_FORMS } from '@ganomaly/backend-node';
import * as tf from '@tensorflow/tfjs-core';
// White-box: one training step, from the built package's internal training module.
import { trainStep } from '../packages/core/dist/training.js';

if (process.env.GANOMALY_TF_OWN_KERNELS === '1') Object.assign(TENSORFLOW_FORMS, { dense: false, patchMaxOutputPixels: 0, subPixelMaxInChannels: 0 });

const m = await Ganomaly.create({ imageSize: 32, channels: 1, latentDim: 100, baseWidth: +(process.argv[2] ?? 64), backend: process.argv[3] ?? 'wasm' });
const x = tf.randomUniform([64, 32, 32, 1], 0, 255);
await m.fit(x, { epochs: 1, batchSize: 64 });
const t = performance.now();
await m.fit(x, { epochs: 2, batchSize: 64 });
console.log(`step ${((performance.now() - t) / 2).toFixed(0)} ms (fit)`);
const nx = tf.sub(tf.div(x, 127.5), 1);
const t0 = performance.now();
const prof = await tf.profile(async () => {
  const l = tf.tidy(() => trainStep(m['state'], m.networks, nx));
  await l.data();
  l.dispose();
});
const wall = performance.now() - t0;
const CONV = ['Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'];
const flopsOf = (k) => {
  if (!CONV.includes(k.name)) return 0;
  // 2 * output positions of the forward convolution * taps * input channels, for all four kernels.
  const [filter, big] =
    k.name === 'Conv2DBackpropFilter' ? [k.outputShapes[0], k.inputShapes[1]] : k.name === 'Conv2DBackpropInput' ? [k.inputShapes[1], k.inputShapes[0]] : [k.inputShapes[1], k.outputShapes[0]];
  return 2 * big[0] * big[1] * big[2] * big[3] * filter[0] * filter[1] * filter[2];
};
const by = {};
let total = 0;
let conv = 0;
for (const k of prof.kernels) {
  if (k.name !== 'fusedConv2d__op') total += k.kernelTimeMs;
  const f = flopsOf(k);
  if (f) conv += k.kernelTimeMs;
  const key = f ? `${k.name} ${JSON.stringify(k.inputShapes.filter(Boolean))}` : k.name;
  by[key] ??= { ms: 0, n: 0, f: 0 };
  by[key].ms += k.kernelTimeMs;
  by[key].n++;
  by[key].f += f;
}
console.log(`profiled step: ${wall.toFixed(0)} ms wall, kernels ${total.toFixed(0)} ms in ${prof.kernels.length} calls, convolutions ${conv.toFixed(0)} ms`);
console.log('     ms calls   GFLOP/s  kernel');
for (const [k, v] of Object.entries(by).sort((a, b) => b[1].ms - a[1].ms).slice(0, 30)) {
  console.log(v.ms.toFixed(1).padStart(7), String(v.n).padStart(5), (v.f ? (v.f / v.ms / 1e6).toFixed(1) : '').padStart(9), '', k);
}
