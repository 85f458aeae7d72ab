// What a model holds besides its config: the networks, both optimizers and what training leaves
// behind. `Ganomaly` owns one; the training loop, scoring, calibration and checkpoint modules work
// on it (the split anomalib makes between its Lightning module and the torch model). Internal.
import type * as tf from '@tensorflow/tfjs-core';
import { DisposedError } from '@ganomaly/common';
import type { BatchNormSnapshot, GanomalyNetworks } from '@ganomaly/models';
import type { ResolvedConfig } from './config.js';
import type { Calibration, ModelSelection, PartialEpoch, StatisticsMode } from './types.js';

export interface ModelState {
  /** null once disposed. */
  nets: GanomalyNetworks | null;
  readonly config: Readonly<ResolvedConfig>;
  readonly backend: string;
  readonly optG: tf.Optimizer;
  readonly optD: tf.Optimizer;
  /** How often D was re-initialised so far (seeds the next re-initialisation). */
  resets: number;
  /** Where an interrupted epoch stopped. */
  partial: PartialEpoch | null;
  epochsTrained: number;
  statistics: StatisticsMode;
  /**
   * Whether D's moving statistics were recomputed with the chain's (by `recomputeStatistics`), as
   * the 'features', 'skip' and 'combined' scores need; false in models saved before D's were.
   */
  discriminatorRecomputed: boolean;
  /** The running averages left by training, kept when population statistics replace them. */
  runningStats: BatchNormSnapshot | null;
  /** Fitted by `calibrate`; saved with the model. */
  calibration: Calibration | null;
  /**
   * The codes z = G_E(x) of the training images (at most `config.memorySize`, a seeded sample
   * beyond), [m, latentDim], that the 'knn' score measures distances to; kept by `fit` and
   * `recomputeStatistics`, saved with the model; null before training.
   */
  memory: tf.Tensor2D | null;
  /** The epoch `select: 'validation'` restored (null once trained on, or with 'last'); saved with the model. */
  selection: ModelSelection | null;
  /** The notes given to the last `save({ info })` or read by `load`; saved again by later saves. */
  info: Record<string, unknown> | null;
}

/** The networks of a model that was not disposed. */
export function live(state: ModelState, fn: string): GanomalyNetworks {
  if (!state.nets) throw new DisposedError(`'${fn}' was called on a Ganomaly model that was disposed. Create or load a new one.`);
  return state.nets;
}

/** The input shape images are preprocessed to. */
export function inputTarget(state: ModelState): { imageSize: number; channels: 1 | 3 } {
  return { imageSize: state.config.imageSize, channels: state.config.channels as 1 | 3 };
}
