// The interface every detector of the family implements (GANomaly, the autoencoder, the VAE,
// Skip-GANomaly, ...): what a caller may do with a model without knowing which one it is. Types
// only; the shared implementation is base.ts, the list of kinds registry.ts.
import type * as tf from '@tensorflow/tfjs-core';
import type { ImageInput } from '../inputs.js';
import type { ResolvedDetectorConfig } from './config.js';
import type {
  CalibrateOptions,
  Calibration,
  DetectorMetadata,
  EvaluationResult,
  ModelLocation,
  PartialEpoch,
  Prediction,
  SaveOptions,
  ScoreOptions,
} from '../types.js';

/**
 * A detector's name in `createDetector`, in saved metadata and in `ganomaly train --model`:
 * 'ganomaly', 'autoencoder', 'vae', 'skip-ganomaly', ... (`detectorKinds()` lists them).
 */
export type DetectorKind = string;

/** One epoch's logs: what every detector reports (GANomaly's `EpochLogs` adds its named losses). */
export interface DetectorEpochLogs {
  /** 1-based. */
  epoch: number;
  epochs: number;
  seconds: number;
  imagesPerSecond: number;
  /** AUROC on `validation`, when given. */
  auroc?: number;
}

/** One batch's logs. */
export interface DetectorBatchLogs {
  epoch: number;
  batch: number;
  batches: number;
}

/** Epoch logs of the detectors built on `BaseDetector`: their losses by name (means over the epoch's batches). */
export interface LossEpochLogs extends DetectorEpochLogs {
  /** The first is the loss the main network is trained on (e.g. 'reconstruction', 'generator'). */
  losses: Record<string, number>;
}

export interface LossBatchLogs extends DetectorBatchLogs {
  losses: Record<string, number>;
}

/**
 * The options of `fit` every detector takes (GANomaly's `FitOptions` has more). The callbacks get
 * at least these logs; the detectors built on `BaseDetector` pass `LossEpochLogs`/`LossBatchLogs`,
 * GANomaly its `EpochLogs`/`BatchLogs`.
 */
export interface DetectorFitOptions {
  /** Default 15. */
  epochs?: number;
  /** Default 64. */
  batchSize?: number;
  /** Shuffle the batches every epoch (seeded by config.seed and the epoch). Default true. */
  shuffle?: boolean;
  onEpochEnd?: (logs: DetectorEpochLogs) => void | Promise<void>;
  onBatchEnd?: (logs: DetectorBatchLogs) => void | Promise<void>;
  /** Stops training between two batches; the model keeps the weights reached, and fit rejects with an AbortError. */
  signal?: AbortSignal;
  /** Drop the position of an interrupted epoch and train that epoch from its start. Default false. */
  restartEpoch?: boolean;
  /** Labelled images (1 = anomaly) scored after every epoch; their AUROC goes into the logs. */
  validation?: { images: ImageInput; labels: ArrayLike<number> };
}

export interface DetectorFitResult {
  history: DetectorEpochLogs[];
}

export interface DetectorEvaluateOptions extends ScoreOptions {
  threshold?: number;
  phi?: number;
}

/**
 * An image anomaly detector trained on normal images only. Every method checks its arguments and
 * throws the library's error classes (ValueError, NotCalibratedError, BusyError, DisposedError,
 * AbortError, ModelFormatError), as `Ganomaly` does. Higher scores mean more anomalous.
 */
export interface Detector {
  readonly kind: DetectorKind;
  /** The resolved config (defaults filled in): the keys every kind shares, and the kind's own. */
  readonly config: Readonly<ResolvedDetectorConfig>;
  /** The tfjs backend the model runs on. */
  readonly backend: string;
  /** How many complete epochs the model was trained for. */
  readonly epochs: number;
  /** Fitted by `calibrate`; saved with the model. */
  calibration: Calibration | null;
  readonly isDisposed: boolean;
  /** The notes given to the last `save({ info })` or read by `load`; saved again by later saves. */
  info: Record<string, unknown> | null;
  /** Where an interrupted epoch stopped (the next `fit` completes it first), or null. */
  readonly interruptedEpoch: Readonly<PartialEpoch> | null;
  /** Trains on normal images; BatchNorm population statistics are recomputed afterwards (the default mode). */
  fit(images: ImageInput, options?: DetectorFitOptions): Promise<DetectorFitResult>;
  /** One anomaly score per image, deterministic and independent of the other images (population mode). */
  score(images: ImageInput, options?: ScoreOptions): Promise<Float32Array>;
  /** Reconstructions as pixel values 0..255, float32 [n, imageSize, imageSize, channels], where the detector makes them. */
  reconstruct?(images: ImageInput, options?: ScoreOptions): Promise<tf.Tensor4D>;
  /** Fits the score normalisation and threshold on held-out images (never the test set). */
  calibrate(images: ImageInput, options?: CalibrateOptions): Promise<Calibration>;
  /** Scores and flags images with the calibrated threshold. */
  predict(images: ImageInput, options?: ScoreOptions): Promise<Prediction>;
  /** AUROC, average precision, F1, EER and the ROC curve on labelled images (1 = anomaly). */
  evaluate(images: ImageInput, labels: ArrayLike<number>, options?: DetectorEvaluateOptions): Promise<EvaluationResult>;
  /** Recomputes the BatchNorm population statistics over (training) images. */
  recomputeStatistics(images: ImageInput, batchSize?: number): Promise<void>;
  /** Saves the networks and the metadata (kind included); `{ trainingState: true }` saves a checkpoint. */
  save(location: ModelLocation, options?: SaveOptions): Promise<void>;
  /** The metadata `save` writes. */
  metadata(): DetectorMetadata;
  /** Releases every tensor; any later call fails with a DisposedError. */
  dispose(): void;
}
