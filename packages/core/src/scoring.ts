// Forward passes of a model: anomaly scores, reconstructions, and the BatchNorm statistics a pass
// uses (recomputed population statistics, the running averages, or the batch's own). Internal.
import * as tf from '@tensorflow/tfjs-core';
import { ValueError, checkOneOf, checkPositiveInt } from '@ganomaly/common';
import { batchIndices } from '@ganomaly/data';
import { anomalyScore } from '@ganomaly/math';
import { BATCH_NORM_MODES, BatchNormSnapshot, PopulationStatistics, snapshotBatchNormStats, type BatchNormMode, type GanomalyNetworks } from '@ganomaly/models';
import type { ImageSource } from './inputs.js';
import { live, type ModelState } from './state.js';
import { forward } from './train-step.js';
import type { ScoreOptions } from './types.js';
import { checkFiniteScores } from './guard.js';

/** Anomaly scores of every image of `src`, one per image. */
export async function scoreSource(state: ModelState, src: ImageSource, options: ScoreOptions): Promise<Float32Array> {
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
        return anomalyScore(z, zHat, state.config.scoreVariant);
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
  checkOneOf(mode, BATCH_NORM_MODES, 'options.batchNormMode', fn);
  const chain = [nets.encoder, nets.decoder, nets.reencoder];
  if (mode === 'batch') return snapshotBatchNormStats(chain); // training-mode passes move the averages
  if (mode === 'running' && state.statistics === 'population') {
    if (!state.runningStats) {
      throw new ValueError(
        `Argument 'options.batchNormMode' passed to '${fn}' is 'running', but this model holds only recomputed population statistics (the running averages are not saved with a model).`,
      );
    }
    const restore = snapshotBatchNormStats(chain);
    state.runningStats.restore();
    return restore;
  }
  if (mode === 'population' && state.statistics !== 'population' && state.statistics !== 'initial') {
    throw new ValueError(
      `Argument 'options.batchNormMode' passed to '${fn}' is 'population', but this model's statistics were not recomputed; call recomputeStatistics(trainingImages) first.`,
    );
  }
  return null;
}

/**
 * Recomputes every BatchNorm layer's mean and variance of the generator chain as the exact
 * average over the images of `src`, in training mode (keeping the running averages aside).
 */
export async function recomputeStatistics(state: ModelState, src: ImageSource, batchSize: number): Promise<void> {
  const nets = live(state, 'recomputeStatistics');
  const chain = [nets.encoder, nets.decoder, nets.reencoder];
  if (state.statistics !== 'population') {
    state.runningStats?.dispose();
    state.runningStats = BatchNormSnapshot.capture(chain);
  }
  const stats = new PopulationStatistics(chain);
  for (const idx of batchIndices(src.count, batchSize)) {
    const x = src.batch(idx);
    await stats.accumulate(x);
    x.dispose();
  }
  stats.apply();
  state.statistics = 'population';
}
