import * as tf from '@tensorflow/tfjs-core';
import { ValueError, checkPositiveInt, fail } from '@ganomaly/common';
import { fromTensor, isImageSet, type ImageSet } from '@ganomaly/data';
import { toMemoryArtifacts } from './format.js';
import type { Ganomaly } from './ganomaly.js';
import { startWorkers } from './node-workers.js';

/**
 * Scores on several cores in Node with a pool of worker_threads, each holding a copy of the model
 * and running on one thread, scoring slices of the images in parallel. (A wasm model in Node
 * already uses every core through XNNPACK's threads, about as fast; the pool also serves cpu.)
 * This is exact: in the default 'population' BatchNorm mode every score is per image, so the
 * slices give the same scores as one call (tested). Measured on 2 cores: about 2x the scoring
 * throughput of one thread (docs/benchmarks.md).
 *
 * Node only, from the built package (the worker is `dist/score-worker.js`). A model in 'batch'
 * BatchNorm mode is refused: its scores depend on the batch.
 */
export class ScoringPool {
  private constructor(private readonly workers: import('node:worker_threads').Worker[]) {}

  private nextId = 0;

  /** Starts `workers` workers (default: the number of cores), each loading a copy of `model`. */
  static async create(model: Ganomaly, options: { workers?: number; batchSize?: number } = {}): Promise<ScoringPool> {
    const fn = 'ScoringPool.create';
    if (model.config.batchNormMode === 'batch') {
      throw new ValueError(`'${fn}' needs per-image scores, but the model's batchNormMode is 'batch' (scores depend on the batch).`);
    }
    const os = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:os');
    const n = checkPositiveInt(options.workers ?? os.availableParallelism(), 'options.workers', fn);
    const batchSize = checkPositiveInt(options.batchSize ?? 256, 'options.batchSize', fn);
    const artifacts = await toMemoryArtifacts((handler) => model.save(handler));
    const workers = await startWorkers({ script: 'score-worker.js', count: n, workerData: { artifacts, backend: model.backend, batchSize }, kind: 'scoring', purpose: 'ScoringPool' });
    return new ScoringPool(workers);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Scores, one per image, in order: the same values as `model.score(images)`. */
  async score(images: ImageSet | tf.Tensor4D): Promise<Float32Array> {
    const fn = 'ScoringPool.score';
    if (this.workers.length === 0) throw new ValueError(`'${fn}' was called after close().`);
    const set = images instanceof tf.Tensor ? fromTensor(images) : isImageSet(images) ? images : fail('images', fn, 'an ImageSet or a tensor [n, h, w, c] of pixel values 0..255', images);
    if (set.count === 0) fail('images', fn, 'at least one image', 'an empty set');
    const per = set.height * set.width * set.channels;
    const chunk = Math.ceil(set.count / this.workers.length);
    const parts = await Promise.all(
      this.workers.map((w, i) => {
        const start = i * chunk;
        const count = Math.max(0, Math.min(chunk, set.count - start));
        if (count === 0) return Promise.resolve(new Float32Array(0));
        const id = this.nextId++;
        const pixels = set.pixels.slice(start * per, (start + count) * per);
        return new Promise<Float32Array>((resolve, reject) => {
          const onMessage = (m: { id: number; scores?: Float32Array; error?: string }) => {
            if (m.id !== id) return;
            w.off('message', onMessage);
            if (m.error) reject(new ValueError(m.error));
            else resolve(m.scores!);
          };
          w.on('message', onMessage);
          w.postMessage({ id, pixels, count, height: set.height, width: set.width, channels: set.channels }, [pixels.buffer]);
        });
      }),
    );
    const out = new Float32Array(set.count);
    let offset = 0;
    for (const p of parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return out;
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    const ws = this.workers.splice(0);
    await Promise.all(ws.map((w) => w.terminate()));
  }
}
