// A scoring worker (Node worker_threads) for ScoringPool: loads the model it is sent and scores
// the image slices it receives. Not part of the public API.
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { Ganomaly, data } from './index.js';

const { artifacts, backend, batchSize } = workerData as { artifacts: tf.io.ModelArtifacts; backend: string; batchSize: number };
const model = await Ganomaly.load(tf.io.fromMemory(artifacts), { backend });
const port = parentPort!;
port.on('message', async (msg: { id: number; pixels: Uint8Array; count: number; height: number; width: number; channels: number }) => {
  try {
    const set = data.imageSet(msg.pixels, { count: msg.count, height: msg.height, width: msg.width, channels: msg.channels });
    const scores = await model.score(set, { batchSize });
    port.postMessage({ id: msg.id, scores }, [scores.buffer as ArrayBuffer]);
  } catch (e) {
    port.postMessage({ id: msg.id, error: (e as Error).message });
  }
});
port.postMessage({ ready: true });
