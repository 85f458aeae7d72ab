// The BatchNorm statistics a model holds and the passes that recompute them, shared by GANomaly
// (scoring.ts) and the detectors built on BaseDetector (detectors/base.ts). Internal.
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ValueError, checkOneOf } from '@ganomaly/common';
import { batchIndices } from '@ganomaly/data';
import { BATCH_NORM_MODES, BatchNormSnapshot, PopulationStatistics, batchNormLayers, snapshotBatchNormStats, type BatchNormMode } from '@ganomaly/models';
import type { ImageSource } from './inputs.js';
import type { StatisticsMode } from './types.js';

/** Which statistics a model's moving means and variances hold, and the running averages kept beside population ones. */
export interface HeldStatistics {
  statistics: StatisticsMode;
  runningStats: BatchNormSnapshot | null;
}

/**
 * Sets the BatchNorm statistics of `models` that a pass in `mode` needs; returns what puts the
 * model's own statistics back afterwards (or null when nothing changed). Throws a ValueError when
 * the model does not hold the statistics the mode asks for.
 */
export function useStatistics(held: HeldStatistics, models: tfl.LayersModel[], mode: BatchNormMode, fn: string): (() => void) | null {
  checkOneOf(mode, BATCH_NORM_MODES, 'options.batchNormMode', fn);
  if (mode === 'batch') return snapshotBatchNormStats(models); // training-mode passes move the averages
  if (mode === 'running' && held.statistics === 'population') {
    if (!held.runningStats) {
      throw new ValueError(
        `Argument 'options.batchNormMode' passed to '${fn}' is 'running', but this model holds only recomputed population statistics (the running averages are not saved with a model).`,
      );
    }
    const restore = snapshotBatchNormStats(models);
    held.runningStats.restore();
    return restore;
  }
  if (mode === 'population' && held.statistics !== 'population' && held.statistics !== 'initial') {
    throw new ValueError(
      `Argument 'options.batchNormMode' passed to '${fn}' is 'population', but this model's statistics were not recomputed; call recomputeStatistics(trainingImages) first.`,
    );
  }
  return null;
}

/**
 * One pass of BatchNorm population statistics: the networks of `chain` run in training mode one
 * after the other (each one's first output feeds the next) on the training images, or on what
 * `input` makes of them (a generator that takes noise). The statistics of every BatchNorm layer of
 * the chain become the exact averages over the images.
 */
export interface StatisticsPass {
  chain: tfl.LayersModel[];
  input?: (x: tf.Tensor4D, seed: number) => tf.Tensor;
}

/**
 * Recomputes the population statistics of every pass over the images of `src` (in batches of
 * `batchSize`); the running averages of `models` are kept aside first (`held.runningStats`) unless
 * the model holds population statistics already. `seed` seeds a pass's `input` per batch. Every
 * batch is released, also when a pass throws.
 */
export async function recomputePopulation(
  held: HeldStatistics,
  models: tfl.LayersModel[],
  passes: readonly StatisticsPass[],
  src: ImageSource,
  batchSize: number,
  seed: number,
): Promise<void> {
  if (held.statistics !== 'population') {
    held.runningStats?.dispose();
    held.runningStats = BatchNormSnapshot.capture(models);
  }
  let i = 0;
  for (const pass of passes.filter((p) => p.chain.some((m) => batchNormLayers(m).length > 0))) {
    const stats = new PopulationStatistics(pass.chain);
    for (const idx of batchIndices(src.count, batchSize)) {
      const x = src.batch(idx);
      let input: tf.Tensor = x;
      try {
        if (pass.input) input = pass.input(x, (seed * 65_537 + i++) >>> 0);
        await stats.accumulate(input);
      } finally {
        x.dispose();
        if (input !== x) input.dispose();
      }
    }
    stats.apply();
  }
  held.statistics = 'population';
}
