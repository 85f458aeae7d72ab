import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@ganomaly/core';
await useBackend('wasm');
function t(name, f, flops) {
  for (let i = 0; i < 3; i++) { const y = f(); y.dataSync(); y.dispose(); }
  const s = performance.now(); const N = 10;
  for (let i = 0; i < N; i++) { const y = f(); y.dataSync(); y.dispose(); }
  const ms = (performance.now() - s) / N; console.log(name, ms.toFixed(2), 'ms', (flops / ms / 1e6).toFixed(1), 'GF/s');
}
const dy = tf.randomNormal([16384, 64]), w = tf.randomNormal([16, 64]);
t('dy x W^T [16384,64]x[64,16]', () => tf.matMul(dy, w, false, true), 2 * 16384 * 64 * 16);
const wT = tf.randomNormal([64, 16]);
t('dy x W [16384,64]x[64,16]', () => tf.matMul(dy, wT), 2 * 16384 * 64 * 16);
const P = tf.randomNormal([16384, 16]);
t('P^T x dy [16,16384]x[16384,64]', () => tf.matMul(P, dy, true, false), 2 * 16384 * 64 * 16);
const z = tf.randomNormal([64, 100]), W2 = tf.randomNormal([4096, 100]);
t('z x W^T [64,100]x[100,4096]', () => tf.matMul(z, W2, false, true), 2 * 64 * 100 * 4096);
const W3 = tf.randomNormal([100, 4096]);
t('z x W [64,100]x[100,4096]', () => tf.matMul(z, W3), 2 * 64 * 100 * 4096);
