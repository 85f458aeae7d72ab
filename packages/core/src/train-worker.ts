// A data-parallel training worker (Node worker_threads) for `fit(images, { workers })`: holds a
// replica of the four networks, and per step takes the main model's current weights and a shard
// of the batch, and answers with G's and D's gradients and the losses. Not part of the public API.
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { Ganomaly } from './index.js';
import { discriminatorVariables, generatorVariables, shardGradients } from './train-step.js';

const port = parentPort!;
const { artifacts, backend } = workerData as { artifacts: tf.io.ModelArtifacts; backend: string };

try {
  const model = await Ganomaly.load(tf.io.fromMemory(artifacts), { backend });
  const nets = model.networks;
  const lossWeights = model.config.lossWeights;
  const vars = [...generatorVariables(nets), ...discriminatorVariables(nets)];
  const nG = generatorVariables(nets).length;
  port.on('message', (msg: { id: number; weights: Float32Array[]; x: Float32Array; shape: [number, number, number, number] }) => {
    try {
      const t0 = performance.now();
      if (msg.weights.length !== vars.length) throw new Error(`expected ${vars.length} weight tensors, got ${msg.weights.length}`);
      tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(msg.weights[i], v.shape, 'float32'))));
      const t1 = performance.now();
      const r = tf.tidy(() => {
        const g = shardGradients(nets, tf.tensor4d(msg.x, msg.shape, 'float32'), lossWeights);
        return [g.losses, ...g.generator, ...g.discriminator];
      });
      const t2 = performance.now();
      // dataSync copies out of the backend (wasm); the copies are then cloned to the main thread.
      const values = r.map((t) => t.dataSync() as Float32Array);
      tf.dispose(r);
      const ms = [t1 - t0, t2 - t1, performance.now() - t2];
      port.postMessage({ id: msg.id, ms, losses: values[0], generator: values.slice(1, 1 + nG), discriminator: values.slice(1 + nG) });
    } catch (e) {
      port.postMessage({ id: msg.id, error: (e as Error).message });
    }
  });
  port.postMessage({ ready: true });
} catch (e) {
  port.postMessage({ error: (e as Error).message });
}
