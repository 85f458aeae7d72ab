// Profiles one GANomaly training step (batch 64, 32x32): node bench/profile-step.mjs [baseWidth=64] [backend=wasm]
import { Ganomaly } from '@ganomaly/core';
import * as tf from '@tensorflow/tfjs-core';
const m = await Ganomaly.create({ imageSize: 32, channels: 1, latentDim: 100, baseWidth: +(process.argv[2] ?? 64), backend: process.argv[3] ?? 'wasm' });
const x = tf.randomUniform([64, 32, 32, 1], 0, 255);
await m.fit(x, { epochs: 1, batchSize: 64 });
const t = Date.now();
await m.fit(x, { epochs: 2, batchSize: 64 });
console.log('step ms', (Date.now() - t) / 2);
const nets = m.networks;
const prof = await tf.profile(async () => { const l = tf.tidy(() => m['trainStep'](nets, tf.sub(tf.div(x, 127.5), 1))); await l.data(); l.dispose(); });
const agg = {};
for (const k of prof.kernels) { agg[k.name] = agg[k.name] ?? { ms: 0, n: 0 }; agg[k.name].ms += k.kernelTimeMs; agg[k.name].n++; }
const rows = Object.entries(agg).sort((a, b) => b[1].ms - a[1].ms).slice(0, 15);
for (const [k, v] of rows) console.log(k.padEnd(28), v.ms.toFixed(1).padStart(8), v.n);
const byShape = {};
for (const k of prof.kernels.filter(k => k.name === 'Conv2DBackpropInput' || k.name === 'Tile')) { const key = k.name + ' ' + JSON.stringify(k.inputShapes) + '->' + JSON.stringify(k.outputShapes); byShape[key] = (byShape[key] ?? 0) + k.kernelTimeMs; }
for (const [k, v] of Object.entries(byShape).sort((a, b) => b[1] - a[1])) console.log(v.toFixed(1).padStart(8), k);
