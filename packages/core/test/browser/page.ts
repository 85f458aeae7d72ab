// The conformance checks of conformance.test.ts, run inside a real browser page on every backend
// the browser offers. Results go to window.__results for the Node side (browser.test.ts) to judge.
import * as tf from '@tensorflow/tfjs-core';
import { Ganomaly, useBackend } from '@ganomaly/core';
import { setWasmPaths } from '@ganomaly/backend-wasm';

const params = new URLSearchParams(location.search);
// ?wasm=<prefix> points the wasm backend elsewhere (the test of the error when nothing is there).
setWasmPaths(params.get('wasm') ?? '/wasm/');
const TINY = { imageSize: 16, channels: 1, latentDim: 8, baseWidth: 4, seed: 1 };

/** What the page reports per backend; browser.test.ts reads it (type only). */
export interface BackendResult {
  skipped?: string;
  error?: string;
  shapes?: number[][];
  losses?: number[];
  initialScores?: number[];
  trainedScores?: number[];
  deterministic?: boolean;
  aloneVsBatch?: number;
  tensorsBefore?: number;
  tensorsAfter?: number;
}

function images(n: number, seed: number): tf.Tensor4D {
  return tf.tidy(() => tf.round(tf.randomUniform([n, 16, 16, 1], 0, 255, 'float32', seed)) as tf.Tensor4D);
}

async function check(name: string): Promise<BackendResult> {
  try {
    await useBackend(name);
  } catch (e) {
    return { skipped: (e as Error).message };
  }
  try {
    const m = await Ganomaly.create({ ...TINY, backend: name });
    const shapes = tf.tidy(() => {
      const x = tf.randomUniform([2, 16, 16, 1], -1, 1);
      const z = m.networks.encoder.predict(x) as tf.Tensor;
      const xHat = m.networks.decoder.predict(z) as tf.Tensor;
      const [p, f] = m.networks.discriminator.predict(x) as tf.Tensor[];
      return [z.shape, xHat.shape, p.shape, f.shape];
    });
    const x = images(16, 1);
    const probe = images(4, 2);
    // Untrained: the latent component (the default 'knn' score needs the training codes fit keeps).
    const initialScores = [...(await m.scoreComponents(probe)).latent];
    const { history } = await m.fit(x, { epochs: 2, batchSize: 8, shuffle: false });
    const tensorsBefore = tf.memory().numTensors;
    await m.fit(x, { epochs: 1, batchSize: 8, shuffle: false });
    const tensorsAfter = tf.memory().numTensors;
    // Compare with the 2-epoch state: score before the third epoch is what cpu gives too.
    const trainedScores = [...(await m.score(probe))];
    const again = [...(await m.score(probe))];
    const alone = await m.score(tf.slice(probe, [2, 0, 0, 0], [1, 16, 16, 1]));
    tf.dispose([x, probe]);
    m.dispose();
    return {
      shapes,
      losses: history.flatMap((h) => [h.generatorLoss, h.discriminatorLoss]),
      initialScores,
      trainedScores,
      deterministic: again.every((v, i) => v === trainedScores[i]),
      aloneVsBatch: Math.abs(alone[0] - trainedScores[2]) / Math.max(1e-6, Math.abs(trainedScores[2])),
      tensorsBefore,
      tensorsAfter,
    };
  } catch (e) {
    return { error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

const results: Record<string, BackendResult> = {};
for (const name of params.get('only')?.split(',') ?? ['cpu', 'wasm', 'webgl', 'webgpu']) results[name] = await check(name);
(window as unknown as { __results: unknown }).__results = results;
document.getElementById('log')!.textContent = JSON.stringify(results, null, 2);
