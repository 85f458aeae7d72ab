// The option and result types of the public API and the closed sets of names they use (what
// anomalib keeps apart from its Lightning module): nothing here runs tfjs, and every module of core
// can import it without a cycle.
import type * as tf from '@tensorflow/tfjs-core';
import type { ComponentScaling, Evaluation, MinMax, RocCurve } from '@ganomaly/math';
import type { SyntheticAnomalyOptions } from '@ganomaly/data';
import type { GanomalyConfig, ResolvedConfig } from './config.js';
import type { BatchNormMode } from '@ganomaly/models';
import type { ImageInput } from './inputs.js';

/** The calibration methods `calibrate` offers (see `CalibrateOptions.method`). */
export const CALIBRATION_METHODS = ['quantile', 'fixed', 'f1'] as const;

/** Which BatchNorm statistics a model's moving mean and variance hold. */
export const STATISTICS_MODES = ['population', 'running', 'initial'] as const;
export type StatisticsMode = (typeof STATISTICS_MODES)[number];

/** Where a data-parallel step's time went, summed over the steps so far (milliseconds). */
export interface StepTimings {
  steps: number;
  /** Main thread: reading the weights and the shards and posting them to the workers. */
  send: number;
  /** Main thread: its own shard's gradients. */
  own: number;
  /** Main thread: waiting for the workers after its own shard. */
  wait: number;
  /** Main thread: averaging the gradients. */
  average: number;
  /** Main thread: the two Adam updates. */
  apply: number;
  /** Workers (summed over workers): setting the weights, computing their shard, reading the gradients out. */
  workerSet: number;
  workerCompute: number;
  workerRead: number;
}

/** Losses of one epoch (means over its batches) and its timing. */
export interface EpochLogs {
  /** 1-based. */
  epoch: number;
  epochs: number;
  generatorLoss: number;
  discriminatorLoss: number;
  adversarialLoss: number;
  contextualLoss: number;
  encoderLoss: number;
  /** How often D was re-initialised this epoch (its loss fell below the reset threshold). */
  discriminatorResets: number;
  seconds: number;
  imagesPerSecond: number;
  /**
   * The five losses by name, as every detector's logs have them (`LossEpochLogs.losses`): the same
   * values as the fields above.
   */
  losses: GanomalyLosses;
  /** AUROC on `validation`, when given (TensorBoard's `epoch/validation_auroc`). */
  auroc?: number;
  /**
   * With `select: 'validation'`: the AUROC of the selection set (held-out normal images and their
   * synthetic anomalies), scored with the model's score variant after this epoch (TensorBoard's
   * `epoch/selection_auroc`).
   */
  selectionAuroc?: number;
  /**
   * @deprecated The old name of `selectionAuroc` (the same value; it is not the AUROC of
   * `validation`, which is `auroc`). Will be removed; read `selectionAuroc`.
   */
  validationAuroc?: number;
}

/** GANomaly's losses by name: G's total and its three terms, and D's. */
export interface GanomalyLosses {
  [name: string]: number;
  generator: number;
  discriminator: number;
  adversarial: number;
  contextual: number;
  encoder: number;
}

export interface BatchLogs {
  epoch: number;
  batch: number;
  batches: number;
  generatorLoss: number;
  discriminatorLoss: number;
  /** This batch's five losses by name (before the update), as every detector's batch logs have them. */
  losses: GanomalyLosses;
}

export interface FitOptions {
  /**
   * On the `node` backend, run each training iteration as one compiled TensorFlow graph (the
   * same computation as the eager step, about twice as fast; see docs/benchmarks.md). Default:
   * wherever it can run (tfjs-node, tfjs's Adam, the built-in network layers, `workers` 1); false
   * forces the eager step; true fails with the reason where it cannot run.
   */
  compiledStep?: boolean;
  /** Default 15 (the paper's runs). */
  epochs?: number;
  /** Default 64. */
  batchSize?: number;
  /** Shuffle the batches every epoch (seeded by config.seed and the epoch). Default true. */
  shuffle?: boolean;
  onEpochEnd?: (logs: EpochLogs) => void | Promise<void>;
  onBatchEnd?: (logs: BatchLogs) => void | Promise<void>;
  /** Stops training between two batches; the model keeps the weights reached, and fit rejects with an AbortError. */
  signal?: AbortSignal;
  /**
   * A model whose last fit was aborted mid-epoch continues that epoch from the batch where it
   * stopped (which needs the same images, batchSize and shuffle). true drops that position and
   * trains the epoch from its start. Default false.
   */
  restartEpoch?: boolean;
  /** Labelled images (1 = anomaly) scored after every epoch; their AUROC goes into the logs. */
  validation?: { images: ImageInput; labels: ArrayLike<number> };
  /**
   * Threads that train data-parallel (Node only): every batch is split into this many contiguous
   * shards; the main thread computes one, worker_threads with a replica of the networks the others,
   * and the gradients are averaged (weighted by shard size) before one Adam step. Each shard's
   * BatchNorm normalises by the shard's statistics ("ghost batch norm"), so results differ from
   * workers: 1 (they are deterministic for a given number of workers). Default 1: the plain
   * single-thread step, unchanged. 'auto': one thread per core in Node on wasm and cpu
   * (whose steps are mostly one-threaded), at most 4 and with at least 16 images per shard; 1 elsewhere.
   */
  workers?: number | 'auto';
  /**
   * A folder for TensorBoard logs (`tensorboard --logdir DIR`): losses per batch and epoch,
   * validation AUROC, learning rate (see tensorboard.ts). Needs the 'node' backend (tfjs-node's
   * summary writer); on other backends fit throws a ValueError that names the fix.
   */
  tensorBoard?: string;
  /**
   * Which weights the model keeps at the end. 'last' (default): those of the last epoch.
   * 'validation': after every epoch the selection set (see `selection`) is scored and its AUROC
   * logged as `selectionAuroc`; at the end the weights (and BatchNorm statistics) of the epoch with
   * the best one are restored. Sees training-side data only, never a test set. An aborted fit keeps
   * the weights it reached (no restore).
   */
  select?: FitSelect;
  /** What `select: 'validation'` scores (see SelectionOptions). */
  selection?: SelectionOptions;
}

/** The model-selection rules of `fit` (`FitOptions.select`). */
export const FIT_SELECT_RULES = ['last', 'validation'] as const;
export type FitSelect = (typeof FIT_SELECT_RULES)[number];

/**
 * The selection set of `select: 'validation'`: normal images (label 0) and anomalies (label 1).
 * By default a `holdout` fraction of the training images (drawn with config.seed) is kept out of
 * training, and one synthetic anomaly is made from each held-out image (data.syntheticAnomalies,
 * kinds cycled). Or pass `images`: then nothing is held out; with `labels` (1 = anomaly) they are
 * used as they are, without labels they are taken as normal and get synthetic anomalies.
 */
export interface SelectionOptions {
  images?: ImageInput;
  labels?: ArrayLike<number>;
  /** Fraction of the training images held out, in (0, 1). Default 0.1. Not with `images`. */
  holdout?: number;
  /** How the synthetic anomalies are made; `seed` defaults to config.seed. */
  synthetic?: SyntheticAnomalyOptions;
}

/** Which epoch's weights a model holds after `select: 'validation'` (saved as `metadata.selection`). */
export interface ModelSelection {
  rule: 'validation';
  /** The (1-based, model-wide) epoch whose weights the model holds. */
  epoch: number;
  /** Its selection-set AUROC. */
  auroc: number;
}

/** What `select: 'validation'` chose. */
export interface FitSelection {
  rule: 'validation';
  /** The (1-based, model-wide) epoch whose weights the model holds now. */
  epoch: number;
  /** Its selection-set AUROC. */
  auroc: number;
  /** The selection-set AUROC of every epoch of this fit, in order. */
  perEpoch: number[];
}

/**
 * Every score component of one forward pass, one value per image. x and x̂ are in the model's
 * [-1, 1] scale; f is the discriminator's feature map (its last LeakyReLU).
 */
export interface ScoreComponents {
  /** Mean over the latent dimensions of (z - ẑ)²: the 'mse' / 'latent' score. */
  latent: Float32Array;
  /** Σ |z - ẑ| over the latent dimensions: the 'l1' score. */
  latentL1: Float32Array;
  /** Mean over pixels and channels of |x - x̂|. */
  reconstruction: Float32Array;
  /** Mean over pixels and channels of (x - x̂)². */
  reconstructionL2: Float32Array;
  /** Mean over D's feature map of (f(x) - f(x̂))². */
  features: Float32Array;
  /**
   * The 'knn' score: distance from z to the nearest codes of the training images (the model's
   * memory); absent when the model holds no memory (untrained, or saved before the library kept one),
   * or when `batchNormMode` is not the model's own (the memory's codes were computed with that).
   */
  knn?: Float32Array;
}

export interface FitResult {
  history: EpochLogs[];
  /**
   * With `workers` > 1: how many threads trained, how long starting the workers took (not part of
   * any epoch's seconds), and where the steps' time went (milliseconds summed over the steps).
   */
  parallel?: { workers: number; startupSeconds: number; timings: StepTimings };
  /** With `select: 'validation'`: the epoch whose weights were restored, and every epoch's selection AUROC. */
  selection?: FitSelection;
  /**
   * How the iterations ran: 'compiled' (one TensorFlow graph per step, the `node` backend's
   * default), 'eager' (op by op: every other backend, custom layers, `compiledStep: false`) or
   * 'data-parallel' (`workers` > 1).
   */
  trainingStep?: 'compiled' | 'eager' | 'data-parallel';
}

export type CalibrationMethod = (typeof CALIBRATION_METHODS)[number];

export interface CalibrateOptions {
  /**
   * 'quantile' (default without labels): threshold = the given quantile of the scores of normal images.
   * 'fixed': the paper's phi on the min-max normalised scale of these images.
   * 'f1' (default with labels): the threshold with the best F1 on these labelled images.
   */
  method?: CalibrationMethod;
  /** Default 0.99. */
  quantile?: number;
  /** Default 0.2. */
  phi?: number;
  /** For 'f1': 1 = anomaly. Without labels, all images are taken as normal. */
  labels?: ArrayLike<number>;
}

/** Score normalisation and threshold, fitted by `calibrate` and saved with the model. */
export interface Calibration {
  method: CalibrationMethod;
  /** On the raw score scale: an image is an anomaly when its score >= threshold. */
  threshold: number;
  /** Min and max of the calibration scores; normalised = (s - min)/(max - min). */
  normalization: MinMax;
  quantile?: number;
  phi?: number;
  /** How many images it was fitted on. */
  count: number;
  /**
   * With scoreVariant 'skip' or 'combined': min, max, mean and std of each score component on the
   * calibration images (the normal ones, when labels were given), which those scores are scaled by.
   */
  componentScaling?: ComponentScaling;
}

export interface Prediction {
  /** Raw anomaly scores, one per image. */
  scores: Float32Array;
  /** Scores min-max normalised with the calibration range (not clipped: can exceed 1). */
  normalizedScores: Float32Array;
  /** 1 where score >= threshold. */
  isAnomaly: Uint8Array;
  threshold: number;
}

export interface EvaluationResult extends Evaluation {
  /** Where the F1 threshold came from: the model's calibration, or the paper's phi on the test set's min-max scale. */
  thresholdSource: 'calibration' | 'phi' | 'given';
  roc: RocCurve;
  scores: Float32Array;
}

export interface ScoreOptions {
  /** Images per forward pass; does not change the scores (except in 'batch' BatchNorm mode). Default 256. */
  batchSize?: number;
  /** Override the model's BatchNorm mode for this call (for comparisons). */
  batchNormMode?: BatchNormMode;
}

export interface CreateOptions extends GanomalyConfig {
  /** 'auto' (default: the best that initialises) or a backend name: 'cpu', 'wasm', 'node', 'node-gpu', ... */
  backend?: string;
}


/** Where an interrupted epoch stopped: `fit` goes on from there, and checkpoints save it. */
export interface PartialEpoch {
  /** 1-based epoch that was interrupted. */
  epoch: number;
  /** Index of the first batch not yet trained. */
  nextBatch: number;
  batches: number;
  /** What the epoch's batches were drawn with; resuming needs the same. */
  batchSize: number;
  count: number;
  shuffle: boolean;
  /** Loss sums over the batches done (for the epoch's mean losses), images seen, seconds spent. */
  sums: number[];
  seen: number;
  seconds: number;
  /** The discriminator-reset counter at the start of the epoch. */
  resetsBefore: number;
}

/** The JSON half of a training checkpoint (the tensors are stored as `training/...` weights). */
export interface TrainingStateInfo {
  /** How often D was re-initialised so far (seeds the next re-initialisation). */
  resets: number;
  partial: PartialEpoch | null;
  /**
   * Per optimizer (GANomaly's 'generator' and 'discriminator'; other detectors name theirs): how
   * many tensors (iterations, first and second moments) and Adam's running beta powers.
   */
  optimizers: Record<string, { tensors: number; accBeta1: number; accBeta2: number }>;
  /** Whether the running BatchNorm averages are stored beside recomputed population statistics. */
  runningStatistics: boolean;
}

export interface SaveOptions {
  /**
   * Also save what training needs to go on exactly where it stopped: both optimizers' Adam
   * moments, the discriminator-reset counter, the running BatchNorm averages and the position in
   * an interrupted epoch. A model loaded from such a checkpoint and fitted further gives the same
   * weights as one that was never stopped. Default false (a model for scoring).
   */
  trainingState?: boolean;
  /** JSON-serialisable notes saved in the metadata (e.g. where the training data came from); read back as `model.info`. */
  info?: Record<string, unknown>;
}

/** Where a model lives: a URL (`file://`, `indexeddb://`, `localstorage://`, `http(s)://`) or a tfjs IOHandler. */
export type ModelLocation = string | tf.io.IOHandler;

/**
 * What `save` writes beside the weights, and `load` checks first: the part every detector's
 * metadata shares (see detectors/detector.ts); `config` is the detector's own.
 */
export interface DetectorMetadata {
  format: 'ganomaly';
  formatVersion: number;
  libraryVersion: string;
  /**
   * Which detector the model is ('ganomaly', 'autoencoder', ...), so that `loadDetector` returns
   * the right class. Models saved before there were several have none: they are GANomaly models.
   */
  kind?: string;
  config: object;
  calibration: Calibration | null;
  epochsTrained: number;
  /** Which BatchNorm statistics the saved moving mean/variance hold. */
  statistics: StatisticsMode;
  /**
   * GANomaly: 'population' when D's statistics were recomputed with the chain's (as they are since
   * the 'features', 'skip' and 'combined' scores read D's feature map). Absent in models saved
   * before: their D holds its running averages, and those three score variants refuse to score
   * until `recomputeStatistics(trainingImages)` is called.
   */
  discriminatorStatistics?: 'population';
  /**
   * GANomaly, after a `fit` with `select: 'validation'`: which epoch's weights the model holds and
   * its selection AUROC. Absent when the model holds its last epoch's weights (or was trained on
   * since).
   */
  selection?: ModelSelection;
  savedAt: string;
  /**
   * Present in a training checkpoint (`save(location, { trainingState: true })`): what `fit`
   * needs to go on exactly as if it had not stopped. Its tensors are stored as weights named
   * `training/...`.
   */
  training?: TrainingStateInfo;
  /** Notes saved with `save(location, { info })`. */
  info?: Record<string, unknown>;
  /** `file://` saves: sha256 (hex) of weights.bin, checked at load (flipped bytes fail there, not as wrong scores). */
  weightsSha256?: string;
}

/** What `Ganomaly.save` writes beside the weights, and `load` checks first. */
export interface SavedMetadata extends DetectorMetadata {
  config: ResolvedConfig;
}
