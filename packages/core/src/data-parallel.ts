// Data-parallel training over worker_threads (Node): `fit(images, { workers: N })`.
// Not part of the public API; Ganomaly.fit drives it.
import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '@ganomaly/common';
import type { LossWeights } from '@ganomaly/math';
import type { GanomalyNetworks } from '@ganomaly/models';
import { isNodeRuntime as isNode } from './node-parts.js';
import { discriminatorVariables, generatorVariables, shardGradients } from './train-step.js';
import type { StepTimings } from './types.js';

export type { StepTimings };

type Worker = import('node:worker_threads').Worker;

/** What a training worker answers to a step. */
interface StepReply {
  id: number;
  generator?: Float32Array[];
  discriminator?: Float32Array[];
  losses?: Float32Array;
  /** Milliseconds the worker spent: setting the weights, computing, reading the gradients out. */
  ms?: [number, number, number];
  error?: string;
}

/** The averaged gradients of one batch (the caller owns the tensors) and its mean losses. */
export interface AveragedGradients {
  generator: tf.Tensor[];
  discriminator: tf.Tensor[];
  /** [g, d, adv, con, enc]: the shard-size-weighted means of the shards' losses. */
  losses: number[];
}

let open = 0;

/** How many data-parallel trainers have running workers (0 once every fit has returned). For tests. */
export function openTrainers(): number {
  return open;
}

/** Backends whose training step runs mostly on one thread (wasm's XNNPACK threads cover the
 * convolutions only; measured on 2 cores data-parallel still trains faster), where it pays. */
const SINGLE_THREADED = ['wasm', 'cpu'];
/** `workers: 'auto'` keeps at least this many images in a shard (BatchNorm normalises per shard) ... */
export const AUTO_MIN_SHARD = 16;
/** ... and uses at most this many threads (each worker holds a replica: ~470 MB at widths 64 on wasm). */
export const AUTO_MAX_THREADS = 4;

/**
 * What `workers: 'auto'` means: in Node on wasm or cpu, one thread per
 * core, at most AUTO_MAX_THREADS and with shards of at least AUTO_MIN_SHARD images; otherwise 1.
 */
export async function autoWorkers(backend: string, batchSize: number): Promise<number> {
  if (!isNode() || !SINGLE_THREADED.includes(backend)) return 1;
  const os = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:os');
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(cores, AUTO_MAX_THREADS, Math.floor(batchSize / AUTO_MIN_SHARD)));
}

/**
 * Sizes of `n` contiguous shards of a batch of `count` images: as equal as possible, the larger
 * ones last (shard 0 is the main thread's, which also averages and applies the gradients).
 * Never an empty shard: a batch smaller than `n` gets `count` shards of one image.
 */
export function shardSizes(count: number, n: number): number[] {
  const k = Math.min(n, count);
  const base = Math.floor(count / k);
  const rem = count % k;
  return Array.from({ length: k }, (_, i) => base + (i >= k - rem ? 1 : 0));
}

/**
 * One training batch split into contiguous shards: the main thread computes shard 0 on the model
 * itself, each of the `threads - 1` workers one further shard on its replica. Per step the
 * workers receive the current weights (so a replica is always the main model, bit for bit, also
 * after a discriminator re-initialisation) and their shard, and answer with G's and D's
 * gradients and the losses; the main thread averages the gradients weighted by shard size (the
 * gradient of the batch's mean loss, except that each shard's BatchNorm normalises by the
 * shard's own statistics) and applies them with the model's two Adam optimizers.
 */
export class DataParallelTrainer {
  private nextId = 0;
  private readonly pending = new Map<Worker, { id: number; resolve: (r: StepReply) => void; reject: (e: Error) => void }>();
  private broken: Error | null = null;
  private isClosed = false;
  /** Where the time of the steps so far went (for benchmarks). */
  readonly timings: StepTimings = { steps: 0, send: 0, own: 0, wait: 0, average: 0, apply: 0, workerSet: 0, workerCompute: 0, workerRead: 0 };
  private readonly gVars: tf.Variable[];
  private readonly dVars: tf.Variable[];
  /** Threads that compute a shard of every batch: the main thread and the workers. */
  readonly threads: number;

  private constructor(
    private readonly nets: GanomalyNetworks,
    private readonly lossWeights: Partial<LossWeights>,
    private workers: Worker[],
    /** Seconds spent starting the workers (each loads tfjs, the backend and the model). */
    readonly startupSeconds: number,
  ) {
    this.threads = workers.length + 1;
    this.gVars = generatorVariables(nets);
    this.dVars = discriminatorVariables(nets);
    for (const w of workers) {
      w.on('message', (m: StepReply) => {
        const p = this.pending.get(w);
        if (!p || p.id !== m.id) return;
        this.pending.delete(w);
        if (m.error !== undefined) p.reject(new Error(`A training worker failed: ${m.error}`));
        else p.resolve(m);
      });
      const fail = (e: Error) => {
        this.broken ??= e;
        const p = this.pending.get(w);
        this.pending.delete(w);
        p?.reject(e);
      };
      w.on('error', (e) => fail(new Error(`A training worker crashed: ${e.message}`)));
      w.on('exit', (code) => {
        if (this.workers.includes(w)) fail(new Error(`A training worker exited (code ${code}) during training.`));
      });
    }
  }

  /**
   * Starts `threads - 1` workers, each loading a replica of the model from `artifacts` (what
   * `save` writes) on `backend`. `threads` 1 starts none (every batch is one shard, on this thread).
   */
  static async create(options: {
    nets: GanomalyNetworks;
    lossWeights: Partial<LossWeights>;
    artifacts: () => Promise<tf.io.ModelArtifacts>;
    backend: string;
    threads: number;
    fn: string;
  }): Promise<DataParallelTrainer> {
    const start = performance.now();
    const { threads, fn } = options;
    if (threads > 1 && !isNode()) {
      throw new ValueError(
        `Argument 'options.workers' passed to '${fn}' is ${threads}, but data-parallel training runs on Node's worker_threads, which this runtime does not have. Use workers: 1 (in a browser, train inside a Web Worker to keep the page responsive).`,
      );
    }
    let workers: Worker[] = [];
    if (threads > 1) {
      const { Worker } = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:worker_threads');
      const { existsSync } = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:fs');
      // From dist: the worker beside this module. From the TypeScript sources (tests, tsx): the built one.
      let url = new URL('./train-worker.js', import.meta.url);
      if (!existsSync(url) && /\/src\/data-parallel\.ts$/.test(import.meta.url)) url = new URL('../dist/train-worker.js', import.meta.url);
      if (!existsSync(url)) {
        throw new Error(`Data-parallel training runs its workers from the built package (${url.pathname} is missing): build it with 'npm run build'.`);
      }
      const artifacts = await options.artifacts();
      const started: Worker[] = [];
      try {
        workers = await Promise.all(
          Array.from({ length: threads - 1 }, () => {
            // execArgv: [] so that flags of the parent (e.g. --input-type for node -e) do not break the worker.
            const w = new Worker(url, { workerData: { artifacts, backend: options.backend }, execArgv: [] });
            started.push(w);
            return new Promise<Worker>((resolve, reject) => {
              const onExit = (code: number) => reject(new Error(`A training worker exited (code ${code}) while starting.`));
              w.once('exit', onExit);
              w.once('error', (e) => reject(new Error(`A training worker failed to start: ${e.message}`)));
              w.once('message', (m: { ready?: boolean; error?: string }) => {
                w.off('exit', onExit);
                if (m.ready) resolve(w);
                else reject(new Error(`A training worker failed to start: ${m.error ?? 'no ready message'}`));
              });
            });
          }),
        );
      } catch (e) {
        await Promise.all(started.map((w) => w.terminate()));
        throw e;
      }
    }
    open++;
    return new DataParallelTrainer(options.nets, options.lossWeights, workers, (performance.now() - start) / 1000);
  }


  /** Whether `close()` was called (the workers are stopped). */
  get closed(): boolean {
    return this.isClosed;
  }

  private request(w: Worker, message: Record<string, unknown>): Promise<StepReply> {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.nextId++;
    return new Promise<StepReply>((resolve, reject) => {
      this.pending.set(w, { id, resolve, reject });
      w.postMessage({ ...message, id });
    });
  }

  /**
   * The gradients of one batch: each shard's G and D gradients (of the weights as they are now),
   * averaged with weights shard size / batch size, in shard order.
   */
  async gradients(x: tf.Tensor4D): Promise<AveragedGradients> {
    if (this.isClosed) throw new Error('DataParallelTrainer: used after close().');
    const t = this.timings;
    let clock = performance.now();
    const lap = () => {
      const now = performance.now();
      const ms = now - clock;
      clock = now;
      return ms;
    };
    const sizes = shardSizes(x.shape[0], this.threads);
    const total = x.shape[0];
    const requests: Promise<StepReply>[] = [];
    if (sizes.length > 1) {
      // The replicas get the current weights (copies), then their shards.
      const weights = [...this.gVars, ...this.dVars].map((v) => v.dataSync() as Float32Array);
      let offset = sizes[0];
      for (let i = 1; i < sizes.length; i++) {
        const shard = tf.slice(x, offset, sizes[i]);
        const pixels = shard.dataSync() as Float32Array;
        requests.push(this.request(this.workers[i - 1], { weights, x: pixels, shape: shard.shape }));
        shard.dispose();
        offset += sizes[i];
      }
    }
    t.send += lap();
    // Meanwhile this thread computes shard 0 (its forward passes move the model's running
    // BatchNorm averages, as in single-thread training, with shard 0's statistics).
    const own = tf.tidy(() => {
      const x0 = sizes.length === 1 ? x : (tf.slice(x, 0, sizes[0]) as tf.Tensor4D);
      const r = shardGradients(this.nets, x0, this.lossWeights);
      return [r.losses, ...r.generator, ...r.discriminator];
    });
    t.own += lap();
    let replies: StepReply[];
    try {
      replies = await Promise.all(requests);
      t.wait += lap();
    } catch (e) {
      tf.dispose(own);
      throw e;
    }
    const [ownLosses, ...ownGrads] = own;
    const nG = this.gVars.length;
    const lossValues = Array.from(await ownLosses.data());
    ownLosses.dispose();
    const share = sizes.map((s) => s / total);
    const losses = lossValues.map((v, k) => replies.reduce((acc, r, i) => acc + share[i + 1] * r.losses![k], share[0] * v));
    const averaged = tf.tidy(() =>
      ownGrads.map((g, j) => {
        const vars = j < nG ? this.gVars : this.dVars;
        const v = vars[j < nG ? j : j - nG];
        let acc = share[0] === 1 ? g : tf.mul(g, share[0]);
        replies.forEach((r, i) => {
          const values = j < nG ? r.generator![j] : r.discriminator![j - nG];
          acc = tf.add(acc, tf.mul(tf.tensor(values, v.shape, 'float32'), share[i + 1]));
        });
        return acc === g ? tf.clone(g) : acc;
      }),
    );
    tf.dispose(ownGrads);
    for (const r of replies) {
      t.workerSet += r.ms![0];
      t.workerCompute += r.ms![1];
      t.workerRead += r.ms![2];
    }
    t.steps++;
    t.average += lap();
    return { generator: averaged.slice(0, nG), discriminator: averaged.slice(nG), losses };
  }

  /** One training iteration on the batch `x`: averaged gradients, applied by the model's optimizers. Returns the batch's losses. */
  async step(x: tf.Tensor4D, optG: tf.Optimizer, optD: tf.Optimizer): Promise<number[]> {
    const { generator, discriminator, losses } = await this.gradients(x);
    const start = performance.now();
    try {
      // Named in variable order: the optimizers create their moments in the same order as the
      // single-thread step, so training checkpoints are interchangeable between the two.
      const named = (vars: tf.Variable[], grads: tf.Tensor[]) => vars.map((v, i) => ({ name: v.name, tensor: grads[i] }));
      optG.applyGradients(named(this.gVars, generator));
      optD.applyGradients(named(this.dVars, discriminator));
    } finally {
      tf.dispose([...generator, ...discriminator]);
    }
    this.timings.apply += performance.now() - start;
    return losses;
  }

  /** Stops the workers (also those still computing). Calling it again does nothing. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    open--;
    const ws = this.workers.splice(0);
    const closing = new Error('The data-parallel trainer was closed.');
    for (const w of ws) {
      this.pending.get(w)?.reject(closing);
      this.pending.delete(w);
    }
    await Promise.all(ws.map((w) => w.terminate()));
  }
}
