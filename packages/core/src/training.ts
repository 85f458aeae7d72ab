// The training loop of `Ganomaly.fit`: epochs of generator and discriminator steps (on this thread
// or data-parallel over worker_threads), resuming an interrupted epoch, aborting between batches,
// discriminator resets, validation AUROC and the BatchNorm statistics pass at the end.
import * as tf from '@tensorflow/tfjs-core';
import { AbortError, TrainingError, ValueError, checkPositiveInt, fail, failWith, isNode } from '@ganomaly/common';
import { batchIndices } from '@ganomaly/data';
import { auroc, evaluateScores } from '@ganomaly/math';
import { reinitializeWeights, type GanomalyNetworks } from '@ganomaly/models';
import { memoryArtifacts } from './checkpoint.js';
import type { DataParallelTrainer } from './data-parallel.js';
import { nodeParts } from './node-parts.js';
import { checkLabels, disposeSource, imageSource, type ImageInput, type ImageSource } from './inputs.js';
import { labelledScores, recomputeStatistics } from './scoring.js';
import { WeightsSnapshot, prepareSelection } from './selection.js';
import { inputTarget, live, type ModelState } from './state.js';
import { withTensorBoard, type TensorBoardLog } from './tensorboard.js';
import { discriminatorObjective, discriminatorVariables, generatorObjective, generatorVariables } from './train-step.js';
import type { EpochLogs, FitOptions, FitResult, GanomalyLosses } from './types.js';

type Losses = [g: number, d: number, adv: number, con: number, enc: number];


/** One single-thread training iteration: G's Adam step, then D's; returns [g, d, adv, con, enc]. Internal (the benches profile it). */
export function trainStep(state: ModelState, nets: GanomalyNetworks, x: tf.Tensor4D): tf.Tensor1D {
  let fake: tf.Tensor4D | null = null;
  let parts: tf.Scalar[] = [];
  const gLoss = state.optG.minimize(
    generatorObjective(nets, x, state.config.lossWeights, (f, p) => {
      fake = f;
      parts = p;
    }),
    true,
    generatorVariables(nets),
  )!;
  // D sees the reconstruction made before G's update, detached (as the authors' code).
  const dLoss = state.optD.minimize(discriminatorObjective(nets, x, fake!), true, discriminatorVariables(nets))!;
  const all = tf.stack([gLoss, dLoss, ...parts]) as tf.Tensor1D;
  tf.dispose([gLoss, dLoss, fake!, ...parts]);
  return all;
}

/**
 * Trains on normal images. Each iteration: a generator step, then a discriminator step; D is
 * re-initialised when its loss collapses below `discriminatorResetThreshold`. Afterwards (also
 * when aborted) BatchNorm statistics are recomputed over `images` when the model's BatchNorm
 * mode is 'population'.
 */
export async function fit(state: ModelState, images: ImageInput, options: FitOptions = {}): Promise<FitResult> {
  const fn = 'fit';
  const nets = live(state, fn);
  const epochs = checkPositiveInt(options.epochs ?? 15, 'options.epochs', fn);
  const batchSize = checkPositiveInt(options.batchSize ?? 64, 'options.batchSize', fn);
  const shuffle = options.shuffle ?? true;
  const w = options.workers ?? 1;
  if (w !== 'auto' && (typeof w !== 'number' || !Number.isInteger(w) || w < 1)) fail('options.workers', fn, "a positive integer or 'auto'", w);
  // Data-parallel training is one of the Node parts (node-parts.ts); the browser build has none.
  const node = nodeParts();
  const workers = w === 'auto' ? (node ? await node.autoWorkers(state.backend, batchSize) : 1) : w;
  if (workers > 1 && (!node || !isNode())) {
    throw new ValueError(
      `Argument 'options.workers' passed to '${fn}' is ${workers}, but data-parallel training runs on Node's worker_threads, which this runtime does not have. Use workers: 1 (in a browser, train inside a Web Worker to keep the page responsive).`,
    );
  }
  // The selection set first: with a holdout, fit trains on the images it leaves.
  const selection = await prepareSelection(state, images, options, fn);
  let src: ImageSource;
  try {
    src = await imageSource(selection?.train ?? images, 'images', fn, inputTarget(state));
  } catch (e) {
    selection?.dispose();
    throw e;
  }
  if (src.count < 2) {
    disposeSource(src);
    selection?.dispose();
    failWith('images', fn, 'at least 2 images (BatchNorm needs a batch to normalise over)', `${src.count}`);
  }
  let validation: { src: ImageSource; labels: ArrayLike<number> } | null = null;
  try {
    if (options.validation) {
      validation = { src: await imageSource(options.validation.images, 'options.validation.images', fn, inputTarget(state)), labels: options.validation.labels };
    }
  } catch (e) {
    disposeSource(src);
    selection?.dispose();
    throw e;
  }
  if (validation) {
    try {
      checkLabels(validation.labels, validation.src.count, 'options.validation.labels', fn);
    } catch (e) {
      disposeSource(src);
      disposeSource(validation.src);
      selection?.dispose();
      throw e;
    }
  }
  // select: 'validation': the best epoch so far, its weights and every epoch's selection AUROC.
  let best: { epoch: number; auroc: number; snapshot: WeightsSnapshot } | null = null;
  const perEpoch: number[] = [];
  if (options.restartEpoch) state.partial = null;
  const history: EpochLogs[] = [];
  let aborted = false;
  const firstEpoch = state.epochsTrained;
  let pool: DataParallelTrainer | null = null;
  let board: TensorBoardLog | null = null;
  try {
    // Opened after the argument checks and inside the try, so that the finally closes it.
    if (options.tensorBoard !== undefined) {
      board = await openBoard(options.tensorBoard, state.backend, state.config.learningRate, fn);
      options = withTensorBoard(options, board);
    }
    if (workers > 1) {
      // Started once per fit, before any epoch's clock runs (its time is in FitResult.parallel).
      pool = await node!.DataParallelTrainer.create({
        nets,
        lossWeights: state.config.lossWeights,
        artifacts: () => memoryArtifacts(state, fn),
        backend: state.backend,
        threads: workers,
        fn,
      });
    }
    for (let e = 0; e < epochs && !aborted; e++) {
      const epoch = state.epochsTrained + 1;
      const resume = state.partial?.epoch === epoch ? state.partial : null;
      const effectiveBatch = Math.min(batchSize, src.count);
      if (resume && (resume.batchSize !== effectiveBatch || resume.count !== src.count || resume.shuffle !== shuffle)) {
        throw new ValueError(
          `'${fn}' cannot continue the interrupted epoch ${epoch} (stopped after batch ${resume.nextBatch} of ${resume.batches}): it ran on ${resume.count} images with batchSize ${resume.batchSize} and shuffle ${resume.shuffle}, ` +
            `this call has ${src.count} images, batchSize ${effectiveBatch} and shuffle ${shuffle}. Pass the same images and options, or set options.restartEpoch to train epoch ${epoch} from its start.`,
        );
      }
      const start = performance.now();
      if (state.statistics === 'population' && state.runningStats) {
        // Training goes on from the running averages, not from the recomputed statistics.
        state.runningStats.restore();
        state.statistics = 'running';
        state.discriminatorRecomputed = false;
      }
      const batches = batchIndices(src.count, effectiveBatch, {
        shuffle,
        seed: state.config.seed * 100_003 + epoch,
        dropLast: src.count >= batchSize,
      });
      const sums = resume ? [...resume.sums] : [0, 0, 0, 0, 0];
      const resetsBefore = resume ? resume.resetsBefore : state.resets;
      const secondsBefore = resume ? resume.seconds : 0;
      let seen = resume ? resume.seen : 0;
      let done = resume ? resume.nextBatch : 0;
      let b = done;
      for (; b < batches.length; b++) {
        // One turn of the event loop per batch: on wasm and cpu a step never waits on anything,
        // so without it an abort from a signal handler or a timer would only land at the epoch's end.
        if (options.signal) await yieldToEventLoop();
        if (options.signal?.aborted) {
          aborted = true;
          break;
        }
        // From the first step on, the moving statistics are running averages, whatever happens next.
        state.statistics = 'running';
        state.discriminatorRecomputed = false;
        // The weights are no longer those of a selected epoch.
        state.selection = null;
        // A calibration fitted on the old scores no longer fits.
        state.calibration = null;
        let values: Losses;
        if (pool) {
          const x = src.batch(batches[b]);
          try {
            values = (await pool.step(x, state.optG, state.optD)) as Losses;
          } finally {
            x.dispose();
          }
        } else {
          const losses = tf.tidy(() => {
            const x = src.batch(batches[b]);
            return trainStep(state, nets, x);
          });
          values = Array.from(await losses.data()) as Losses;
          losses.dispose();
        }
        if (values.some((v) => !Number.isFinite(v))) {
          throw new TrainingError(`Training diverged at epoch ${epoch}, batch ${b + 1}: losses ${values.join(', ')}. Lower config.learningRate.`);
        }
        if (values[1] < state.config.discriminatorResetThreshold) {
          reinitializeWeights(nets.discriminator, state.config.seed * 7919 + ++state.resets);
        }
        values.forEach((v, i) => (sums[i] += v));
        seen += batches[b].length;
        done++;
        await options.onBatchEnd?.({ epoch, batch: b + 1, batches: batches.length, generatorLoss: values[0], discriminatorLoss: values[1], losses: namedLosses(values) });
      }
      const seconds = secondsBefore + (performance.now() - start) / 1000;
      if (aborted) {
        // Part of an epoch is not an epoch: it is neither logged nor counted, but the next fit
        // (or a checkpoint saved now) goes on from the batch where it stopped.
        if (done > 0) {
          state.partial = { epoch, nextBatch: b, batches: batches.length, batchSize: effectiveBatch, count: src.count, shuffle, sums, seen, seconds, resetsBefore };
        }
        break;
      }
      state.partial = null;
      state.epochsTrained = epoch;
      const logs: EpochLogs = {
        epoch,
        epochs: firstEpoch + epochs,
        generatorLoss: sums[0] / done,
        discriminatorLoss: sums[1] / done,
        adversarialLoss: sums[2] / done,
        contextualLoss: sums[3] / done,
        encoderLoss: sums[4] / done,
        losses: namedLosses(sums.map((v) => v / done) as Losses),
        discriminatorResets: state.resets - resetsBefore,
        seconds,
        imagesPerSecond: seen / seconds,
      };
      if (validation || selection) {
        // Scored as `score` scores after fit: with population statistics over the training images.
        if (state.config.batchNormMode === 'population') await recomputeStatistics(state, src, batchSize);
      }
      if (validation) {
        const s = await labelledScores(state, validation.src, validation.labels, fn);
        logs.auroc = evaluateScores(s, validation.labels, 0).auroc;
      }
      if (selection) {
        const a = auroc(await labelledScores(state, selection.src, selection.labels, fn), selection.labels);
        logs.selectionAuroc = a;
        logs.validationAuroc = a; // the deprecated name, kept for now
        perEpoch.push(a);
        // Taken before onEpochEnd, so that what the callback does cannot change what is restored.
        if (!best || a > best.auroc) {
          best?.snapshot.dispose();
          best = { epoch, auroc: a, snapshot: WeightsSnapshot.capture(state, nets) };
        }
      }
      history.push(logs);
      await options.onEpochEnd?.(logs);
    }
    // The workers are done: free their threads before the statistics pass.
    await pool?.close();
    // An aborted fit keeps the weights it reached; a complete one goes back to the best epoch.
    if (best && !aborted) {
      // A calibration fitted in a callback of a later epoch fitted other weights.
      if (best.epoch !== state.epochsTrained) state.calibration = null;
      best.snapshot.restore(state);
      state.selection = { rule: 'validation', epoch: best.epoch, auroc: best.auroc };
    }
    if (state.config.batchNormMode === 'population' && state.statistics !== 'population') {
      await recomputeStatistics(state, src, batchSize);
    }
  } finally {
    board?.close();
    await pool?.close();
    disposeSource(src);
    if (validation) disposeSource(validation.src);
    selection?.dispose();
    best?.snapshot.dispose();
  }
  const parallel = pool ? { parallel: { workers: pool.threads, startupSeconds: pool.startupSeconds, timings: { ...pool.timings } } } : {};
  if (aborted) {
    const p = state.partial;
    const where = p ? ` and ${p.nextBatch} of ${p.batches} batches of epoch ${p.epoch}` : '';
    const err = new AbortError(
      `Training was aborted after ${history.length} complete epoch(s)${where}; the model keeps the weights it reached.`,
    );
    (err as AbortError & { history: EpochLogs[] }).history = history;
    throw err;
  }
  const selected = best ? { selection: { rule: 'validation' as const, epoch: best.epoch, auroc: best.auroc, perEpoch } } : {};
  return { history, ...parallel, ...selected };
}

/** [g, d, adv, con, enc] by name, as the other detectors' logs give their losses. */
function namedLosses(v: Losses): GanomalyLosses {
  return { generator: v[0], discriminator: v[1], adversarial: v[2], contextual: v[3], encoder: v[4] };
}

/** Resolves after pending timers and I/O callbacks (a macrotask), in Node and in browsers. */
function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown };
  return new Promise((resolve) => (g.setImmediate ? g.setImmediate(resolve) : setTimeout(resolve, 0)));
}

/** TensorBoard logs are written by tfjs-node: a Node part (node-tensorboard.ts), missing from the browser build. */
function openBoard(dir: string, backend: string, learningRate: number, fn: string) {
  const node = nodeParts();
  if (!node) {
    throw new ValueError(`Argument 'options.tensorBoard' passed to '${fn}' needs Node and the 'node' backend (tfjs-node writes TensorBoard's event files); in a browser, log with onBatchEnd / onEpochEnd instead.`);
  }
  return node.openTensorBoard(dir, backend, learningRate, fn);
}
