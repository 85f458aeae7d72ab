import { Ganomaly } from '@ganomaly/core';
import * as tf from '@tensorflow/tfjs-core';
const m = await Ganomaly.create({ imageSize: 32, channels: 1, latentDim: 100, baseWidth: 64, backend: 'wasm' });
const x = tf.randomUniform([64, 32, 32, 1], 0, 255);
await m.fit(x, { epochs: 2, batchSize: 64 });
const nx = tf.sub(tf.div(x, 127.5), 1);
const t0 = performance.now();
const prof = await tf.profile(async () => { const l = tf.tidy(() => m['trainStep'](m.networks, nx)); await l.data(); l.dispose(); });
const wall = performance.now() - t0;
const flopsOf = (k) => {
  if (!['Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'].includes(k.name)) return 0;
  const [filter, big] = k.name === 'Conv2DBackpropFilter' ? [k.outputShapes[0], k.inputShapes[1]] : k.name === 'Conv2DBackpropInput' ? [k.inputShapes[1], k.inputShapes[0]] : [k.inputShapes[1], k.outputShapes[0]];
  return 2 * big[0] * big[1] * big[2] * big[3] * filter[0] * filter[1] * filter[2];
};
const by = {};
let total = 0, conv = 0, n = 0;
for (const k of prof.kernels) {
  total += k.kernelTimeMs; n++;
  const f = flopsOf(k);
  if (f) conv += k.kernelTimeMs;
  const key = f ? `${k.name} ${JSON.stringify(k.inputShapes)}` : k.name;
  by[key] ??= { ms: 0, n: 0, f: 0 }; by[key].ms += k.kernelTimeMs; by[key].n++; by[key].f += f;
}
console.log(`wall ${wall.toFixed(0)} kernels ${total.toFixed(0)} ms (${n} calls), conv ${conv.toFixed(0)} ms`);
for (const [k, v] of Object.entries(by).sort((a, b) => b[1].ms - a[1].ms).slice(0, 40)) console.log(v.ms.toFixed(1).padStart(7), String(v.n).padStart(4), v.f ? (v.f / v.ms / 1e6).toFixed(1).padStart(6) + ' GF/s' : '           ', k);
