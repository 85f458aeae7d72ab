// `Ganomaly.fit`: epochs of generator and discriminator steps (on this thread or data-parallel
// over worker_threads) in the epoch loop it shares with the other detectors (epochs.ts: resuming an
// interrupted epoch, aborting between batches, divergence), discriminator resets, validation AUROC,
// epoch selection, TensorBoard and the BatchNorm statistics pass at the end.
import * as tf from '@tensorflow/tfjs-core';
import { ValueError, checkPositiveInt, fail, isNode } from '@ganomaly/common';
import { auroc, evaluateScores } from '@ganomaly/math';
import { reinitializeWeights, type GanomalyNetworks } from '@ganomaly/models';
import { memoryArtifacts } from './checkpoint.js';
import type { DataParallelTrainer } from './data-parallel.js';
import { abortError, fitSources, runEpochs, type ValidationSource } from './epochs.js';
import { nodeParts } from './node-parts.js';
import { disposeSource, type ImageInput, type ImageSource } from './inputs.js';
import { buildMemory, labelledScores, recomputeStatistics } from './scoring.js';
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
  // On the `node` backend the single-thread step runs as one compiled TensorFlow graph
  // (compiled-step.ts) unless options.compiledStep is false; the eager step otherwise.
  const why = workers > 1 ? 'data-parallel training runs the eager step in each worker' : !node ? 'this build has no Node parts' : await node.compiledStepUnavailable(nets, state.optG, state.optD);
  if (options.compiledStep === true && why) {
    throw new ValueError(`Argument 'options.compiledStep' passed to '${fn}' is true, but the compiled step cannot run here: ${why}. Leave it unset to fall back to the eager step.`);
  }
  const compiled = options.compiledStep !== false && why === null;
  // The selection set first: with a holdout, fit trains on the images it leaves.
  const selection = await prepareSelection(state, images, options, fn);
  let src: ImageSource;
  let validation: ValidationSource | null;
  try {
    ({ src, validation } = await fitSources(selection?.train ?? images, options.validation, fn, inputTarget(state)));
  } catch (e) {
    selection?.dispose();
    throw e;
  }
  // select: 'validation': the best epoch so far, its weights and every epoch's selection AUROC.
  // (Cast, not annotated: assigned in a callback, which TypeScript's narrowing does not see.)
  let best = null as { epoch: number; auroc: number; snapshot: WeightsSnapshot } | null;
  const perEpoch: number[] = [];
  if (options.restartEpoch) state.partial = null;
  let history: EpochLogs[] = [];
  let aborted = false;
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
    ({ history, aborted } = await runEpochs<EpochLogs>({
      fn,
      position: state,
      src,
      epochs,
      batchSize,
      shuffle,
      seed: state.config.seed,
      lossCount: 5,
      signal: options.signal,
      resets: () => state.resets,
      startEpoch: () => {
        if (state.statistics === 'population' && state.runningStats) {
          // Training goes on from the running averages, not from the recomputed statistics.
          state.runningStats.restore();
          state.statistics = 'running';
          state.discriminatorRecomputed = false;
        }
      },
      step: async (indices) => {
        // From the first step on, the moving statistics are running averages, whatever happens next.
        state.statistics = 'running';
        state.discriminatorRecomputed = false;
        // The weights are no longer those of a selected epoch.
        state.selection = null;
        // A calibration fitted on the old scores no longer fits, nor do the old codes of the
        // training images ('knn'): fit rebuilds them at the end.
        state.calibration = null;
        if (state.memory) {
          state.memory.dispose();
          state.memory = null;
        }
        if (pool) {
          const x = src.batch(indices);
          try {
            return await pool.step(x, state.optG, state.optD);
          } finally {
            x.dispose();
          }
        }
        const losses = tf.tidy(() => {
          const x = src.batch(indices);
          return (compiled && node!.compiledTrainStep(nets, state.optG, state.optD, state.config.lossWeights, x)) || trainStep(state, nets, x);
        });
        const values = Array.from(await losses.data());
        losses.dispose();
        return values;
      },
      afterStep: async (values, { epoch, batch, batches }) => {
        if (values[1]! < state.config.discriminatorResetThreshold) {
          reinitializeWeights(nets.discriminator, state.config.seed * 7919 + ++state.resets);
        }
        await options.onBatchEnd?.({ epoch, batch: batch + 1, batches, generatorLoss: values[0]!, discriminatorLoss: values[1]!, losses: namedLosses(values as Losses) });
      },
      endEpoch: async ({ epoch, epochs: lastEpoch, means, resets, seconds, imagesPerSecond }) => {
        const logs: EpochLogs = {
          epoch,
          epochs: lastEpoch,
          generatorLoss: means[0]!,
          discriminatorLoss: means[1]!,
          adversarialLoss: means[2]!,
          contextualLoss: means[3]!,
          encoderLoss: means[4]!,
          losses: namedLosses(means as Losses),
          discriminatorResets: resets,
          seconds,
          imagesPerSecond,
        };
        if (validation || selection) {
          // Scored as `score` scores after fit: with population statistics over the training images
          // (which also rebuilds the memory of training codes), and the 'knn' score with this epoch's codes.
          if (state.config.batchNormMode === 'population') await recomputeStatistics(state, src, batchSize);
          else if (state.config.scoreVariant === 'knn') await buildMemory(state, src, batchSize);
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
        await options.onEpochEnd?.(logs);
        return logs;
      },
    }));
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
    } else {
      // The codes of the training images with the weights (and statistics) the model now holds,
      // for the 'knn' score (recomputeStatistics builds them too).
      await buildMemory(state, src, batchSize);
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
  if (aborted) throw abortError(history, state.partial);
  const selected = best ? { selection: { rule: 'validation' as const, epoch: best.epoch, auroc: best.auroc, perEpoch } } : {};
  const trainingStep = pool ? 'data-parallel' : compiled && !node!.compiledStepFailure(state.optG) ? 'compiled' : 'eager';
  return { history, trainingStep, ...parallel, ...selected };
}

/** [g, d, adv, con, enc] by name, as the other detectors' logs give their losses. */
function namedLosses(v: Losses): GanomalyLosses {
  return { generator: v[0], discriminator: v[1], adversarial: v[2], contextual: v[3], encoder: v[4] };
}

/** TensorBoard logs are written by tfjs-node: a Node part (node-tensorboard.ts), missing from the browser build. */
function openBoard(dir: string, backend: string, learningRate: number, fn: string) {
  const node = nodeParts();
  if (!node) {
    throw new ValueError(`Argument 'options.tensorBoard' passed to '${fn}' needs Node and the 'node' backend (tfjs-node writes TensorBoard's event files); in a browser, log with onBatchEnd / onEpochEnd instead.`);
  }
  return node.openTensorBoard(dir, backend, learningRate, fn);
}
