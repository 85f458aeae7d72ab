// Training checkpoints: the optimizers' Adam moments, the discriminator-reset counter, the running
// BatchNorm averages and the position in an interrupted epoch, captured for `save(..., {
// trainingState: true })` and restored by `load`; and the metadata and in-memory artifacts of a model.
import * as tf from '@tensorflow/tfjs-core';
import { ModelFormatError } from '@ganomaly/common';
import { BatchNormSnapshot, batchNormLayers } from '@ganomaly/models';
import { statisticsModels } from './scoring.js';
import { toMemoryArtifacts } from './format.js';
import { saveArtifacts } from './persistence.js';
import { live, type ModelState } from './state.js';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { PartialEpoch, SavedMetadata, TrainingStateInfo } from './types.js';
import { FORMAT_VERSION, VERSION } from './version.js';


/**
 * What a training checkpoint stores besides the model: both optimizers' Adam state, the reset
 * counter, the running BatchNorm averages and the interrupted epoch. `temporary` are tensors made
 * for it that the caller disposes after saving.
 */
export async function captureTrainingState(state: ModelState): Promise<{ info: TrainingStateInfo; tensors: tf.NamedTensorMap; temporary: tf.Tensor[] }> {
  const { optimizers, tensors, temporary } = await captureOptimizers([['generator', state.optG], ['discriminator', state.optD]]);
  const running = state.statistics === 'population' && state.runningStats !== null;
  if (running) state.runningStats!.tensors().forEach((t, i) => (tensors[`running/${i}`] = t));
  return { info: { resets: state.resets, partial: state.partial ? { ...state.partial, sums: [...state.partial.sums] } : null, optimizers, runningStatistics: running }, tensors, temporary };
}

/**
 * The Adam state of named optimizers, as checkpoint tensors `<name>/<i>` and their JSON entries
 * (shared by GANomaly and the other detectors). `temporary` are tensors made for it that the
 * caller disposes after saving.
 */
export async function captureOptimizers(
  named: readonly (readonly [string, tf.Optimizer])[],
): Promise<{ optimizers: TrainingStateInfo['optimizers']; tensors: tf.NamedTensorMap; temporary: tf.Tensor[] }> {
  const tensors: tf.NamedTensorMap = {};
  const temporary: tf.Tensor[] = [];
  const optimizers: TrainingStateInfo['optimizers'] = {};
  for (const [key, opt] of named) {
    const weights = await opt.getWeights();
    temporary.push(weights[0].tensor); // the iteration count is a new tensor; the moments are the optimizer's own
    weights.forEach((w, i) => (tensors[`${key}/${i}`] = w.tensor));
    const { accBeta1, accBeta2 } = adamInternals(opt);
    optimizers[key] = { tensors: weights.length, accBeta1: (await accBeta1.data())[0], accBeta2: (await accBeta2.data())[0] };
  }
  return { optimizers, tensors, temporary };
}

/** Puts the Adam state `captureOptimizers` saved back into the named optimizers; `bad` makes the error for a corrupt entry. */
export async function restoreOptimizers(
  named: readonly (readonly [string, tf.Optimizer])[],
  entries: TrainingStateInfo['optimizers'] | undefined,
  tensors: tf.NamedTensorMap,
  bad: (what: string) => Error,
): Promise<void> {
  for (const [key, opt] of named) {
    const o = entries?.[key];
    if (!o || !Number.isInteger(o.tensors) || o.tensors < 1 || o.tensors % 2 !== 1 || !Number.isFinite(o.accBeta1) || !Number.isFinite(o.accBeta2)) {
      throw bad(`invalid ${key} optimizer entry`);
    }
    const list: { name: string; tensor: tf.Tensor }[] = [];
    for (let i = 0; i < o.tensors; i++) {
      const t = tensors[`${key}/${i}`];
      if (!t) throw bad(`missing tensor ${key}/${i}`);
      list.push({ name: i === 0 ? 'iter' : `${key}/${i}`, tensor: t });
    }
    await opt.setWeights(list);
    // setWeights recomputes beta^t with pow; the running products training left can differ in
    // the last bit, so the saved values are put back as they were.
    const { accBeta1, accBeta2 } = adamInternals(opt);
    tf.tidy(() => {
      accBeta1.assign(tf.scalar(o.accBeta1));
      accBeta2.assign(tf.scalar(o.accBeta2));
    });
  }
}

/**
 * What restoring a checkpoint's training state does for every model: checks the reset counter,
 * puts the Adam state back into `optimizers`, checks the interrupted-epoch position (`losses`: how
 * many loss sums it holds), and reads the running BatchNorm averages (`runningModels(n)`: the
 * networks n saved tensors are of). The caller assigns what it returns; nothing is assigned when it throws.
 */
export async function restoreCheckpoint(
  info: TrainingStateInfo,
  tensors: tf.NamedTensorMap,
  where: string,
  optimizers: readonly (readonly [string, tf.Optimizer])[],
  losses: number,
  runningModels: (count: number) => tfl.LayersModel[],
): Promise<{ resets: number; partial: PartialEpoch | null; runningStats: BatchNormSnapshot | null }> {
  const bad = (what: string) => new ModelFormatError(`The training state of the checkpoint at ${where} is corrupt: ${what}.`);
  if (!info || typeof info !== 'object' || !Number.isInteger(info.resets) || info.resets < 0) throw bad('invalid reset counter');
  await restoreOptimizers(optimizers, info.optimizers, tensors, bad);
  const p = info.partial;
  if (p !== null && p !== undefined) {
    const ints = [p.epoch, p.nextBatch, p.batches, p.batchSize, p.count, p.seen, p.resetsBefore];
    if (!ints.every((v) => Number.isInteger(v) && v >= 0) || !Array.isArray(p.sums) || p.sums.length !== losses || p.nextBatch > p.batches) {
      throw bad('invalid interrupted-epoch position');
    }
  }
  let runningStats: BatchNormSnapshot | null = null;
  if (info.runningStatistics) {
    const running: tf.Tensor[] = [];
    for (let i = 0; tensors[`running/${i}`]; i++) running.push(tensors[`running/${i}`]!);
    try {
      runningStats = BatchNormSnapshot.fromTensors(runningModels(running.length), running);
    } catch (e) {
      throw bad((e as Error).message);
    }
  }
  return { resets: info.resets, partial: p ?? null, runningStats };
}

/** Puts a checkpoint's training state (read by `loadArtifacts`) back into a freshly loaded model. */
export async function restoreTrainingState(state: ModelState, info: TrainingStateInfo, tensors: tf.NamedTensorMap, where: string): Promise<void> {
  const nets = live(state, 'load');
  // The running averages of the chain and D; checkpoints written before D's statistics were
  // recomputed too hold the chain's only (D then keeps its own, which were never replaced).
  const chain = [nets.encoder, nets.decoder, nets.reencoder];
  const restored = await restoreCheckpoint(info, tensors, where, [['generator', state.optG], ['discriminator', state.optD]], 5, (n) =>
    chain.flatMap(batchNormLayers).length * 2 === n ? chain : statisticsModels(nets),
  );
  if (restored.runningStats) state.runningStats = restored.runningStats;
  state.resets = restored.resets;
  state.partial = restored.partial;
}

/** Adam's running powers of beta1 and beta2 (tfjs 4.x keeps them as private variables). */
function adamInternals(opt: tf.Optimizer): { accBeta1: tf.Variable; accBeta2: tf.Variable } {
  const o = opt as unknown as { accBeta1?: tf.Variable; accBeta2?: tf.Variable };
  if (!(o.accBeta1 instanceof tf.Variable) || !(o.accBeta2 instanceof tf.Variable)) {
    throw new Error('This tfjs version\'s Adam optimizer keeps no accBeta1/accBeta2 variables; training checkpoints need tfjs-core 4.x.');
  }
  return { accBeta1: o.accBeta1, accBeta2: o.accBeta2 };
}

/** The metadata `save` writes. */
export function modelMetadata(state: ModelState): SavedMetadata {
  return {
    format: 'ganomaly',
    formatVersion: FORMAT_VERSION,
    libraryVersion: VERSION,
    kind: 'ganomaly',
    config: { ...state.config },
    calibration: state.calibration,
    epochsTrained: state.epochsTrained,
    statistics: state.statistics,
    // Models without it hold D's running averages beside the chain's population statistics.
    ...(state.statistics === 'population' && state.discriminatorRecomputed ? { discriminatorStatistics: 'population' as const } : {}),
    ...(state.selection ? { selection: { ...state.selection } } : {}),
    savedAt: new Date().toISOString(),
    ...(state.info ? { info: state.info } : {}),
  };
}

/** The model as `save` writes it, in memory (what data-parallel workers load their replicas from). */
export function memoryArtifacts(state: ModelState, fn: string): Promise<tf.io.ModelArtifacts> {
  return toMemoryArtifacts((handler) => saveArtifacts(handler, live(state, fn), modelMetadata(state), fn, undefined, state.memory));
}
