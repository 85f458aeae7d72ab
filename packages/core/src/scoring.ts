// Forward passes of a model: anomaly scores, reconstructions, and the BatchNorm statistics a pass
// uses (recomputed population statistics, the running averages, or the batch's own). Internal.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { NotCalibratedError, ValueError, checkBinaryLabels, checkOneOf, checkPositiveInt, failWith } from '@ganomaly/common';
import { batchIndices, shuffledIndices } from '@ganomaly/data';
import {
  CALIBRATED_SCORE_VARIANTS,
  LATENT_SCORE_VARIANTS,
  anomalyScore,
  combineComponents,
  componentScaling,
  nearestDistance,
  type Combination,
  type ComponentScaling,
  type LatentScoreVariant,
  type ScoreVariant,
} from '@ganomaly/math';
import { BATCH_NORM_MODES, type BatchNormMode, type GanomalyNetworks } from '@ganomaly/models';
import { recomputePopulation, useStatistics as useHeldStatistics } from './statistics.js';
import type { ImageSource } from './inputs.js';
import { live, type ModelState } from './state.js';
import { forward } from './train-step.js';
import type { ScoreComponents, ScoreOptions } from './types.js';
import { checkFiniteScores } from './guard.js';

/** Anomaly scores of every image of `src`, one per image, with the model's score variant. */
export async function scoreSource(state: ModelState, src: ImageSource, options: ScoreOptions, fn = 'score'): Promise<Float32Array> {
  const variant = state.config.scoreVariant;
  if (variant === 'knn') {
    const memory = memoryOf(state, fn);
    checkMemoryMode(state, options, fn);
    return checkFiniteScores(await codesSource(state, src, options, fn, memory));
  }
  if (!isLatentVariant(variant)) {
    checkDiscriminatorStatistics(state, options, fn);
    // Fails before any forward pass when the variant needs a calibration the model lacks.
    if (isCalibratedVariant(variant)) calibratedScaling(state, fn);
    return scoreFromComponents(state, await componentsSource(state, src, options, fn), calibratedScaling(state, fn));
  }
  const nets = live(state, 'score');
  const mode = options.batchNormMode ?? state.config.batchNormMode;
  const batchSize = checkPositiveInt(options.batchSize ?? 256, 'options.batchSize', 'score');
  const out = new Float32Array(src.count);
  const training = mode === 'batch';
  const restore = useStatistics(state, nets, mode, 'score');
  try {
    let offset = 0;
    for (const idx of batchIndices(src.count, batchSize)) {
      const s = tf.tidy(() => {
        const { z, zHat } = forward(nets, src.batch(idx), training);
        return anomalyScore(z, zHat, variant);
      });
      out.set(await s.data(), offset);
      s.dispose();
      offset += idx.length;
    }
  } finally {
    restore?.();
  }
  return checkFiniteScores(out);
}

/**
 * Every score component of every image of `src` from one forward pass per batch: the generator
 * chain and D on x and x̂, with the BatchNorm statistics of `options.batchNormMode` (the model's
 * mode by default; in 'population' mode D uses its own recomputed statistics).
 */
export async function componentsSource(state: ModelState, src: ImageSource, options: ScoreOptions, fn = 'scoreComponents'): Promise<ScoreComponents> {
  const nets = live(state, fn);
  const mode = options.batchNormMode ?? state.config.batchNormMode;
  const batchSize = checkPositiveInt(options.batchSize ?? 256, 'options.batchSize', fn);
  const n = src.count;
  const out: ScoreComponents = {
    latent: new Float32Array(n),
    latentL1: new Float32Array(n),
    reconstruction: new Float32Array(n),
    reconstructionL2: new Float32Array(n),
    features: new Float32Array(n),
  };
  const keys = ['latent', 'latentL1', 'reconstruction', 'reconstructionL2', 'features'] as const;
  const training = mode === 'batch';
  // The 'knn' component needs the memory of training codes (models trained before it lack one),
  // and the statistics its codes were computed with.
  const memory = mode === state.config.batchNormMode ? state.memory : null;
  const knn = memory ? new Float32Array(n) : undefined;
  const restore = useStatistics(state, nets, mode, fn);
  try {
    let offset = 0;
    for (const idx of batchIndices(n, batchSize)) {
      const t = tf.tidy(() => {
        const x = src.batch(idx);
        const { z, xHat, zHat } = forward(nets, x, training);
        const [, fx] = nets.discriminator.apply(x, { training }) as tf.Tensor[];
        const [, fxHat] = nets.discriminator.apply(xHat, { training }) as tf.Tensor[];
        const perImage = (t: tf.Tensor) => tf.mean(t, [1, 2, 3]);
        const diff = tf.sub(x, xHat);
        // [5 or 6, b]: one row per component, read back at once.
        return tf.stack([
          anomalyScore(z, zHat, 'mse'),
          anomalyScore(z, zHat, 'l1'),
          perImage(tf.abs(diff)),
          perImage(tf.square(diff)),
          perImage(tf.squaredDifference(fx!, fxHat!)),
          ...(memory ? [nearestDistance(z, memory, state.config.neighbours)] : []),
        ]);
      });
      const v = await t.data();
      t.dispose();
      const b = idx.length;
      keys.forEach((k, r) => out[k].set(v.subarray(r * b, (r + 1) * b), offset));
      knn?.set(v.subarray(keys.length * b, (keys.length + 1) * b), offset);
      offset += b;
    }
  } finally {
    restore?.();
  }
  for (const k of keys) checkFiniteScores(out[k]);
  if (knn) out.knn = checkFiniteScores(knn);
  return out;
}

/**
 * The codes z = G_E(x) of the images of `src` (`memory` null: [count × latentDim] values, row by
 * row), or with a memory their 'knn' distances to it; the encoder alone runs.
 */
async function codesSource(state: ModelState, src: ImageSource, options: ScoreOptions, fn: string, memory: tf.Tensor2D | null): Promise<Float32Array> {
  const nets = live(state, fn);
  const mode = options.batchNormMode ?? state.config.batchNormMode;
  const batchSize = checkPositiveInt(options.batchSize ?? 256, 'options.batchSize', fn);
  const width = memory ? 1 : state.config.latentDim;
  const out = new Float32Array(src.count * width);
  const restore = useStatistics(state, nets, mode, fn);
  try {
    let offset = 0;
    for (const idx of batchIndices(src.count, batchSize)) {
      const t = tf.tidy(() => {
        const z = nets.encoder.apply(src.batch(idx), { training: mode === 'batch' }) as tf.Tensor;
        return memory ? nearestDistance(z, memory, state.config.neighbours) : tf.reshape(z, [idx.length, width]);
      });
      out.set(await t.data(), offset);
      t.dispose();
      offset += idx.length * width;
    }
  } finally {
    restore?.();
  }
  return out;
}

/** The memory the 'knn' score measures against; a NotCalibratedError when the model has none. */
export function memoryOf(state: ModelState, fn: string): tf.Tensor2D {
  if (!state.memory) {
    throw new NotCalibratedError(
      `'${fn}' with scoreVariant 'knn' measures distances to the codes of the training images, which this model does not hold yet: train it with fit, or call recomputeStatistics(trainingImages) (a model saved before the library kept them).`,
    );
  }
  return state.memory;
}

/** The memory's codes come from the model's own BatchNorm mode: a 'knn' score in another would compare codes of two different encoders. */
function checkMemoryMode(state: ModelState, options: ScoreOptions, fn: string): void {
  const mode = options.batchNormMode ?? state.config.batchNormMode;
  checkOneOf(mode, BATCH_NORM_MODES, 'options.batchNormMode', fn);
  if (mode === state.config.batchNormMode) return;
  throw new ValueError(
    `'${fn}' with scoreVariant 'knn' and batchNormMode '${mode}': the model's memory holds the codes of its training images under its own '${state.config.batchNormMode}' statistics, so distances to them mean nothing under '${mode}'. Score with the model's mode, or use a latent score variant (e.g. scoreVariant 'mse') to compare BatchNorm modes.`,
  );
}

/**
 * Keeps the codes of the images of `src` as the model's memory for the 'knn' score (a seeded
 * sample of `config.memorySize` of them when there are more), with the statistics the model
 * scores with; replaces (and releases) the previous memory.
 */
export async function buildMemory(state: ModelState, src: ImageSource, batchSize: number): Promise<void> {
  const { memorySize, latentDim, seed } = state.config;
  let picked = src;
  if (src.count > memorySize) {
    const idx = shuffledIndices(src.count, seed).slice(0, memorySize).sort();
    picked = { count: memorySize, batch: (i: Int32Array) => src.batch(Int32Array.from(i, (k) => idx[k]!)) };
  }
  const codes = await codesSource(state, picked, { batchSize }, 'fit', null);
  state.memory?.dispose();
  state.memory = tf.tensor2d(codes, [picked.count, latentDim]);
}

/** The score variants that read D's feature map. */
const DISCRIMINATOR_VARIANTS: readonly ScoreVariant[] = ['features', 'skip', 'combined'];

/**
 * A model saved before D's statistics were recomputed with the chain's holds population statistics
 * for the chain but D's running averages: the variants that read D's feature map refuse to score
 * with those in 'population' mode (they would be silently off) until they are recomputed.
 */
function checkDiscriminatorStatistics(state: ModelState, options: ScoreOptions, fn: string): void {
  const v = state.config.scoreVariant;
  const mode = options.batchNormMode ?? state.config.batchNormMode;
  if (!DISCRIMINATOR_VARIANTS.includes(v) || mode !== 'population' || state.statistics !== 'population' || state.discriminatorRecomputed) return;
  throw new ValueError(
    `'${fn}' with scoreVariant '${v}' reads the discriminator's feature map, but this model's discriminator holds its training-time running averages, not population statistics ` +
      `(it was saved before the library recomputed D's statistics too). Call recomputeStatistics(trainingImages) first (and save the model again to keep them).`,
  );
}

function isLatentVariant(v: ScoreVariant): v is LatentScoreVariant {
  return (LATENT_SCORE_VARIANTS as readonly string[]).includes(v);
}

function isCalibratedVariant(v: ScoreVariant): boolean {
  return CALIBRATED_SCORE_VARIANTS.includes(v);
}

/** The component scaling a 'skip' / 'combined' model scores with (null for other variants); throws without one. */
function calibratedScaling(state: ModelState, fn: string): ComponentScaling | null {
  const v = state.config.scoreVariant;
  if (!isCalibratedVariant(v)) return null;
  const s = state.calibration?.componentScaling;
  if (!s) {
    throw new NotCalibratedError(
      `'${fn}' with scoreVariant '${v}' needs the scaling of its score components, fitted on calibration images: call 'calibrate' with held-out normal images first (fit drops the calibration; or load a model calibrated with this variant).`,
    );
  }
  return s;
}

/** The model's score variant from the components of one pass; `scaling` for 'skip' and 'combined'. */
export function scoreFromComponents(state: ModelState, c: ScoreComponents, scaling: ComponentScaling | null): Float32Array {
  const v = state.config.scoreVariant;
  switch (v) {
    case 'mse':
    case 'latent':
      return c.latent;
    case 'l1':
      return c.latentL1;
    case 'reconstruction':
      return c.reconstruction;
    case 'features':
      return c.features;
    case 'knn':
      if (!c.knn) memoryOf(state, 'score');
      return c.knn!;
    default:
      return combineComponents(c, scaling!, v as Combination);
  }
}

/**
 * Scores of a labelled set (1 = anomaly) with the model's variant, for the AUROCs fit logs: a
 * 'skip' / 'combined' score is scaled on the set's own normal images (fit has no calibration).
 */
export async function labelledScores(state: ModelState, src: ImageSource, labels: ArrayLike<number>, fn: string): Promise<Float32Array> {
  if (!isCalibratedVariant(state.config.scoreVariant)) return scoreSource(state, src, {}, fn);
  checkDiscriminatorStatistics(state, {}, fn);
  const c = await componentsSource(state, src, {}, fn);
  return scoreFromComponents(state, c, componentScaling(normalComponents(c, labels)));
}

/**
 * What `calibrate` fits on: the scores of the calibration images and, for 'skip' / 'combined',
 * the component scaling (fitted on the normal ones when labels are given) that the scores use.
 */
export async function calibrationScores(state: ModelState, src: ImageSource, labels: ArrayLike<number> | undefined, fn: string): Promise<{ scores: Float32Array; componentScaling?: ComponentScaling }> {
  if (!isCalibratedVariant(state.config.scoreVariant)) return { scores: await scoreSource(state, src, {}, fn) };
  checkDiscriminatorStatistics(state, {}, fn);
  const c = await componentsSource(state, src, {}, fn);
  let normal: ScoreComponents = c;
  if (labels !== undefined) {
    const y = checkBinaryLabels(labels, src.count, 'options.labels', fn);
    if (!y.includes(0)) failWith('options.labels', fn, `at least one normal (0) image to scale the '${state.config.scoreVariant}' score's components on`, 'only anomalies');
    normal = normalComponents(c, y);
  }
  const scaling = componentScaling(normal);
  return { scores: scoreFromComponents(state, c, scaling), componentScaling: scaling };
}

/** The components of the images labelled 0. */
function normalComponents(c: ScoreComponents, labels: ArrayLike<number>): ScoreComponents {
  const keep = (a: Float32Array) => a.filter((_, i) => labels[i] === 0);
  return {
    latent: keep(c.latent),
    latentL1: keep(c.latentL1),
    reconstruction: keep(c.reconstruction),
    reconstructionL2: keep(c.reconstructionL2),
    features: keep(c.features),
    ...(c.knn ? { knn: keep(c.knn) } : {}),
  };
}

/** Reconstructions G(x) of every image of `src` as pixel values 0..255. The caller disposes them. */
export function reconstructSource(state: ModelState, src: ImageSource, batchSize: number, options: ScoreOptions): tf.Tensor4D {
  const nets = live(state, 'reconstruct');
  const mode = options.batchNormMode ?? state.config.batchNormMode;
  const training = mode === 'batch';
  const restore = useStatistics(state, nets, mode, 'reconstruct');
  const parts: tf.Tensor4D[] = [];
  try {
    for (const idx of batchIndices(src.count, batchSize)) {
      parts.push(
        tf.tidy(() => {
          const z = nets.encoder.apply(src.batch(idx), { training }) as tf.Tensor;
          const xHat = nets.decoder.apply(z, { training }) as tf.Tensor4D;
          return tf.mul(tf.add(xHat, 1), 127.5) as tf.Tensor4D;
        }),
      );
    }
    const out = parts.length === 1 ? parts[0] : (tf.concat(parts, 0) as tf.Tensor4D);
    if (parts.length > 1) tf.dispose(parts);
    return out;
  } finally {
    restore?.();
  }
}

/**
 * Sets the BatchNorm statistics a scoring pass in `mode` needs; returns what puts the model's own
 * statistics back afterwards (or null when nothing changed).
 */
export function useStatistics(state: ModelState, nets: GanomalyNetworks, mode: BatchNormMode, fn: string): (() => void) | null {
  return useHeldStatistics(state, statisticsModels(nets), mode, fn);
}

/**
 * The networks whose BatchNorm statistics a model's mode governs, in the order snapshots and
 * checkpoints hold them: the generator chain, then D (whose feature map the 'features' score reads).
 */
export function statisticsModels(nets: GanomalyNetworks): [tfl.LayersModel, tfl.LayersModel, tfl.LayersModel, tfl.LayersModel] {
  return [nets.encoder, nets.decoder, nets.reencoder, nets.discriminator];
}

/**
 * Recomputes every BatchNorm layer's mean and variance of the generator chain, and of D, as the
 * exact average over the images of `src`, in training mode (keeping the running averages aside).
 * D sees the real images there, as its feature map f(x) does when scoring.
 */
export async function recomputeStatistics(state: ModelState, src: ImageSource, batchSize: number): Promise<void> {
  const nets = live(state, 'recomputeStatistics');
  await recomputePopulation(state, statisticsModels(nets), [{ chain: [nets.encoder, nets.decoder, nets.reencoder] }, { chain: [nets.discriminator] }], src, batchSize, state.config.seed);
  state.discriminatorRecomputed = true;
  // The codes change with the statistics: the 'knn' memory is rebuilt from the same images.
  await buildMemory(state, src, batchSize);
}
