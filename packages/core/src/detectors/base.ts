// BaseDetector: everything a detector of the family needs but its networks, losses, one training
// step and its per-batch score. Inputs (inputs.ts), argument checks and errors as Ganomaly's, the
// epoch loop Ganomaly's fit runs too (epochs.ts: seeded shuffles, abort keeping the weights,
// resuming an interrupted epoch, divergence) with the callbacks, BatchNorm population statistics
// after fit, calibration (calibration.ts), the save format (persistence.ts: N named networks and
// the metadata in one tfjs ModelArtifacts), checkpoints with the Adam state (checkpoint.ts),
// dispose, and the guard against concurrent calls (guard.ts). A new detector is a subclass in its
// own folder plus one line in registry.ts.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  DisposedError,
  ModelFormatError,
  NotCalibratedError,
  ValueError,
  checkPositiveInt,
  fail,
  useBackend,
} from '@ganomaly/common';
import { batchIndices } from '@ganomaly/data';
import { evaluateScores, rocCurve } from '@ganomaly/math';
import {
  reinitializeWeights,
  type BatchNormMode,
} from '@ganomaly/models';
import { applyCalibration, checkCalibrateOptions, checkUnitInterval, evaluationThreshold, fitCalibration } from '../calibration.js';
import { captureOptimizers, restoreCheckpoint } from '../checkpoint.js';
import { abortError, fitSources, runEpochs, type StepPlace, type TrainingPosition } from '../epochs.js';
import { guardModel, checkFiniteScores } from '../guard.js';
import { checkModelSize, type ModelSizeEstimate } from '../limits.js';
import { recomputePopulation, useStatistics as useHeldStatistics, type HeldStatistics, type StatisticsPass } from '../statistics.js';
import { checkLabels, disposeSource, imageSource, isSource, type ImageInput, type ImageSource } from '../inputs.js';
import { describeLocation, finishLoad, loadNetworks, resolveSavedConfig, saveNetworks } from '../persistence.js';
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
  StatisticsMode,
  TrainingStateInfo,
} from '../types.js';
import { FORMAT_VERSION, VERSION } from '../version.js';
import type { ResolvedDetectorConfig } from './config.js';
import type { Detector, DetectorEvaluateOptions, DetectorFitOptions, LossBatchLogs, LossEpochLogs } from './detector.js';

/** `fit`'s options for the detectors built on BaseDetector: the interface's, with the callbacks getting the losses by name. */
export interface BaseFitOptions extends Omit<DetectorFitOptions, 'onEpochEnd' | 'onBatchEnd'> {
  onEpochEnd?: (logs: LossEpochLogs) => void | Promise<void>;
  onBatchEnd?: (logs: LossBatchLogs) => void | Promise<void>;
  /**
   * A model whose last fit was aborted mid-epoch continues that epoch from the batch where it
   * stopped (same images, batchSize and shuffle). true trains the epoch from its start. Default false.
   */
  restartEpoch?: boolean;
  /** GANomaly only: other detectors train on one thread (1, the default, is accepted). */
  workers?: number | 'auto';
}

/** Which step of training a `trainStep` is: seeds per-step sampling (the same after resuming from a checkpoint). */
export interface StepInfo {
  /** 1-based epoch. */
  epoch: number;
  /** 0-based batch within the epoch. */
  batch: number;
  /** A seed for this step's random draws, derived from config.seed, the epoch and the batch. */
  seed: number;
}

export type { StatisticsPass } from '../statistics.js';

/** What a saved model brings besides its networks and config. */
export interface SavedState {
  calibration?: Calibration | null;
  epochsTrained?: number;
  statistics?: StatisticsMode;
  info?: Record<string, unknown> | null;
}

/** How a detector class makes itself: what `createAs` and `loadAs` need. */
export interface DetectorSpec<C extends ResolvedDetectorConfig, D extends BaseDetector<C>> {
  kind: string;
  /** The class's name, for messages (`Autoencoder.create`). */
  name: string;
  /** Its networks, in the order they are saved. */
  networkKeys: readonly string[];
  resolveConfig(config: unknown, fn: string): C;
  buildNetworks(config: C): Record<string, tfl.LayersModel>;
  make(networks: Record<string, tfl.LayersModel>, config: C, backend: string, saved: SavedState): D;
  /** The size of its networks from the config, for the size check of `create`; default the DCGAN networks' estimate. */
  estimateSize?(config: C): ModelSizeEstimate;
  /** How the size check's message names the networks when `estimateSize` is given (e.g. "Skip-GANomaly's U-Net G and D at "). */
  sizeLabel?: string;
}

/** `Class.create(config)`: checks the config, selects the backend, builds fresh networks. */
export async function createAs<C extends ResolvedDetectorConfig, D extends BaseDetector<C>>(config: unknown, spec: DetectorSpec<C, D>): Promise<D> {
  const fn = `${spec.name}.create`;
  const resolved = spec.resolveConfig(config ?? {}, fn);
  // The size check of Ganomaly.create (an estimate from the networks' shapes, the DCGAN networks'
  // unless the detector gives its own): a config that would not fit in memory fails here, not deep inside tfjs.
  if (spec.estimateSize) checkModelSize(resolved, fn, (c) => spec.estimateSize!(c as C), spec.sizeLabel ?? '');
  else checkModelSize(resolved, fn);
  const backend = await useBackend((config as { backend?: string } | undefined)?.backend ?? 'auto');
  return spec.make(spec.buildNetworks(resolved), resolved, backend, {});
}

/** `Class.load(location)`: a model saved by a detector of this kind (another kind fails, naming `loadDetector`). */
export async function loadAs<C extends ResolvedDetectorConfig, D extends BaseDetector<C>>(
  location: ModelLocation,
  options: { backend?: string },
  spec: DetectorSpec<C, D>,
): Promise<D> {
  const fn = `${spec.name}.load`;
  const backend = await useBackend(options?.backend ?? 'auto');
  const { metadata, networks, training } = await loadNetworks(location, fn, (m, where) => {
    const kind = m.kind ?? 'ganomaly';
    if (kind !== spec.kind) {
      throw new ModelFormatError(`The model at ${where} is a '${kind}' detector, not '${spec.kind}': load it with loadDetector(location), which returns the right class for its kind.`);
    }
    return spec.networkKeys;
  });
  const config = resolveSavedConfig(() => spec.resolveConfig(metadata.config, fn), networks, training);
  const model = spec.make(networks, config, backend, {
    calibration: metadata.calibration,
    epochsTrained: metadata.epochsTrained,
    statistics: metadata.statistics,
    info: metadata.info && typeof metadata.info === 'object' ? metadata.info : null,
  });
  const where = describeLocation(location);
  return finishLoad(model, training, async () => {
    const problems = model.checkNetworks();
    if (problems.length) throw new ModelFormatError(`The model at ${where} does not match its config: ${problems.join('; ')}.`);
    if (metadata.training) await model.restoreTrainingState(metadata.training, training ?? {}, where);
  });
}

/**
 * The shared implementation of a detector. A subclass gives its networks (built in its folder's
 * networks.ts), the names of its optimizers and losses, `trainStep` (one iteration: its Adam
 * steps; returns the losses), `scoreBatch` (per-image scores of a preprocessed batch),
 * `reconstructBatch`, and the BatchNorm passes; everything else is here.
 */
export abstract class BaseDetector<C extends ResolvedDetectorConfig = ResolvedDetectorConfig> implements Detector {
  abstract readonly kind: string;
  /** The names of the losses `trainStep` returns, in its order; the first is the main one. */
  protected abstract readonly lossNames: readonly string[];

  /** null once disposed. */
  protected nets: Record<string, tfl.LayersModel> | null;
  /** The Adam optimizers, by name (saved in checkpoints under these names). */
  protected readonly optimizers: Record<string, tf.Optimizer>;
  /** How often a discriminator was re-initialised (seeds the next re-initialisation; saved in checkpoints). */
  protected resets = 0;
  /** Complete epochs, and where an interrupted epoch stopped (moved on by the epoch loop, epochs.ts). */
  private readonly position: TrainingPosition;
  /** Which BatchNorm statistics the networks hold, and the running averages kept beside population ones. */
  private readonly held: HeldStatistics;
  private calibrationState: Calibration | null;
  private infoState: Record<string, unknown> | null;

  protected constructor(
    networks: Record<string, tfl.LayersModel>,
    readonly config: Readonly<C>,
    readonly backend: string,
    optimizerNames: readonly string[],
    saved: SavedState = {},
  ) {
    this.nets = networks;
    this.optimizers = Object.fromEntries(optimizerNames.map((n) => [n, tf.train.adam(config.learningRate, config.beta1, config.beta2, config.adamEpsilon)]));
    this.position = { epochsTrained: saved.epochsTrained ?? 0, partial: null };
    this.held = { statistics: saved.statistics ?? 'initial', runningStats: null };
    this.calibrationState = saved.calibration ?? null;
    this.infoState = saved.info ?? null;
  }

  // ---- what a detector gives ----

  /**
   * One training iteration on a preprocessed batch x ([-1, 1]): the detector's optimizer steps.
   * Runs inside a tf.tidy; returns the losses (before the update) in the order of `lossNames`.
   */
  protected abstract trainStep(x: tf.Tensor4D, step: StepInfo): tf.Tensor1D;

  /** Per-image anomaly scores of a preprocessed batch (inside a tf.tidy); `training` is true in 'batch' BatchNorm mode. */
  protected abstract scoreBatch(x: tf.Tensor4D, training: boolean): tf.Tensor1D;

  /** Reconstructions of a preprocessed batch in [-1, 1] (inside a tf.tidy). */
  protected abstract reconstructBatch(x: tf.Tensor4D, training: boolean): tf.Tensor4D;

  /** The BatchNorm population-statistics passes; their networks are the ones whose statistics scoring uses. */
  protected abstract statisticsPasses(): StatisticsPass[];

  /** Called after each step with its losses (e.g. to re-initialise a collapsed discriminator). */
  protected afterStep(_losses: readonly number[], _step: StepInfo): void {}

  /** What does not match between the (loaded) networks and the config; empty when all is well. */
  checkNetworks(): string[] {
    return [];
  }

  /**
   * Per-image scores of one preprocessed batch, read back. The default runs `scoreBatch` in a
   * tidy; a detector whose score is a search (AnoGAN) overrides it. The caller disposes x.
   */
  protected async scoreImages(x: tf.Tensor4D, training: boolean, _options: ScoreOptions): Promise<Float32Array> {
    const s = tf.tidy(() => this.scoreBatch(x, training));
    try {
      return (await s.data()) as Float32Array;
    } finally {
      s.dispose();
    }
  }

  // ---- helpers for subclasses ----

  /** The networks of a model that was not disposed. */
  protected live(fn: string): Record<string, tfl.LayersModel> {
    if (!this.nets) throw new DisposedError(`'${fn}' was called on a model that was disposed. Create or load a new one.`);
    return this.nets;
  }

  /** One network by name. */
  protected net(key: string): tfl.LayersModel {
    return this.live('network')[key]!;
  }

  /** The trainable variables of some networks, in order (what an optimizer minimises over). */
  protected variables(...models: tfl.LayersModel[]): tf.Variable[] {
    return models.flatMap((m) => m.trainableWeights.map((w) => w.read() as tf.Variable));
  }

  /** Re-initialises a collapsed discriminator (a new seed each time), as GANomaly does when D's loss falls below a threshold. */
  protected reinitialize(model: tfl.LayersModel): void {
    reinitializeWeights(model, this.config.seed * 7919 + ++this.resets);
  }

  // ---- the Detector interface ----

  get epochs(): number {
    return this.position.epochsTrained;
  }

  get calibration(): Calibration | null {
    return this.calibrationState;
  }

  set calibration(c: Calibration | null) {
    this.calibrationState = c;
  }

  /** The notes given to the last `save({ info })` or read by `load`. */
  get info(): Record<string, unknown> | null {
    return this.infoState;
  }

  set info(info: Record<string, unknown> | null) {
    this.infoState = info;
  }

  /** Whether the model holds the position of an interrupted epoch, which the next `fit` completes first. */
  get interruptedEpoch(): Readonly<PartialEpoch> | null {
    return this.position.partial;
  }

  /** The networks by name (for inspection or custom loops). */
  get networks(): Readonly<Record<string, tfl.LayersModel>> {
    return this.live('networks');
  }

  get isDisposed(): boolean {
    return this.nets === null;
  }

  private target(): { imageSize: number; channels: 1 | 3 } {
    return { imageSize: this.config.imageSize, channels: this.config.channels as 1 | 3 };
  }

  /**
   * Trains on normal images, `epochs` passes of `trainStep` over seeded shuffled batches.
   * Afterwards (also when aborted) BatchNorm statistics are recomputed over `images` when the
   * model's BatchNorm mode is 'population'.
   */
  async fit(images: ImageInput, options: BaseFitOptions = {}): Promise<{ history: LossEpochLogs[] }> {
    const fn = 'fit';
    this.live(fn);
    const epochs = checkPositiveInt(options.epochs ?? 15, 'options.epochs', fn);
    const batchSize = checkPositiveInt(options.batchSize ?? 64, 'options.batchSize', fn);
    const shuffle = options.shuffle ?? true;
    if (typeof shuffle !== 'boolean') fail('options.shuffle', fn, 'true or false', shuffle);
    if (options.workers !== undefined && options.workers !== 1) {
      throw new ValueError(`Argument 'options.workers' passed to '${fn}' is ${String(options.workers)}, but only GANomaly trains data-parallel; a '${this.kind}' detector trains on one thread (workers: 1).`);
    }
    if ((options as { tensorBoard?: unknown }).tensorBoard !== undefined) {
      throw new ValueError(`Argument 'options.tensorBoard' passed to '${fn}' is GANomaly's; a '${this.kind}' detector logs through onBatchEnd / onEpochEnd.`);
    }
    const select = (options as { select?: unknown }).select;
    if (select !== undefined && select !== 'last') {
      throw new ValueError(
        `Argument 'options.select' passed to '${fn}' is ${JSON.stringify(select)}, but epoch selection is GANomaly's; a '${this.kind}' detector keeps the last epoch's weights (select: 'last').`,
      );
    }
    if ((options as { selection?: unknown }).selection !== undefined) {
      throw new ValueError(`Argument 'options.selection' passed to '${fn}' is GANomaly's (the set that select: 'validation' scores); a '${this.kind}' detector does not select an epoch.`);
    }
    const { src, validation } = await fitSources(images, options.validation, fn, this.target());
    if (options.restartEpoch) this.position.partial = null;
    const names = this.lossNames;
    let history: LossEpochLogs[] = [];
    let aborted = false;
    try {
      ({ history, aborted } = await runEpochs<LossEpochLogs>({
        fn,
        position: this.position,
        src,
        epochs,
        batchSize,
        shuffle,
        seed: this.config.seed,
        lossCount: names.length,
        signal: options.signal,
        resets: () => this.resets,
        startEpoch: () => {
          if (this.held.statistics === 'population' && this.held.runningStats) {
            // Training goes on from the running averages, not from the recomputed statistics.
            this.held.runningStats.restore();
            this.held.statistics = 'running';
          }
        },
        step: async (indices, place) => {
          this.held.statistics = 'running';
          this.calibrationState = null;
          const losses = tf.tidy(() => this.trainStep(src.batch(indices), this.stepInfo(place)));
          const values = Array.from(await losses.data());
          losses.dispose();
          return values;
        },
        afterStep: async (values, place) => {
          this.afterStep(values, this.stepInfo(place));
          await options.onBatchEnd?.({ epoch: place.epoch, batch: place.batch + 1, batches: place.batches, losses: named(names, values) });
        },
        endEpoch: async ({ epoch, epochs: lastEpoch, means, seconds, imagesPerSecond }) => {
          const logs: LossEpochLogs = { epoch, epochs: lastEpoch, losses: named(names, means), seconds, imagesPerSecond };
          if (validation) {
            if (this.config.batchNormMode === 'population') await this.recomputeFrom(src, batchSize);
            const s = await this.scoreSource(validation.src, {});
            logs.auroc = evaluateScores(s, validation.labels, 0).auroc;
          }
          await options.onEpochEnd?.(logs);
          return logs;
        },
      }));
      if (this.nets && this.config.batchNormMode === 'population' && this.held.statistics !== 'population') {
        await this.recomputeFrom(src, batchSize);
      }
    } finally {
      disposeSource(src);
      if (validation) disposeSource(validation.src);
    }
    if (aborted) throw abortError(history, this.position.partial);
    return { history };
  }

  /** Which step `trainStep` and `afterStep` are called for, with its seed. */
  private stepInfo({ epoch, batch }: StepPlace): StepInfo {
    return { epoch, batch, seed: (this.config.seed * 1_000_003 + epoch * 10_007 + batch) >>> 0 };
  }

  /** Recomputes every BatchNorm layer's mean and variance as the exact average over the given (training) images; the default after `fit`. */
  async recomputeStatistics(images: ImageInput | ImageSource, batchSize = 64): Promise<void> {
    this.live('recomputeStatistics');
    checkPositiveInt(batchSize, 'batchSize', 'recomputeStatistics');
    const src = isSource(images) ? images : await imageSource(images, 'images', 'recomputeStatistics', this.target());
    try {
      await this.recomputeFrom(src, batchSize);
    } finally {
      if (!isSource(images)) disposeSource(src);
    }
  }

  private statisticsModels(): tfl.LayersModel[] {
    return [...new Set(this.statisticsPasses().flatMap((p) => p.chain))];
  }

  private async recomputeFrom(src: ImageSource, batchSize: number): Promise<void> {
    this.live('recomputeStatistics');
    await recomputePopulation(this.held, this.statisticsModels(), this.statisticsPasses(), src, batchSize, this.config.seed);
  }

  /** Sets the BatchNorm statistics a pass in `mode` needs; returns what puts the model's own back (or null). */
  private useStatistics(mode: BatchNormMode, fn: string): (() => void) | null {
    return useHeldStatistics(this.held, this.statisticsModels(), mode, fn);
  }

  private async scoreSource(src: ImageSource, options: ScoreOptions): Promise<Float32Array> {
    const fn = 'score';
    this.live(fn);
    const mode = options.batchNormMode ?? this.config.batchNormMode;
    const batchSize = checkPositiveInt(options.batchSize ?? 256, 'options.batchSize', fn);
    const out = new Float32Array(src.count);
    const restore = this.useStatistics(mode, fn);
    try {
      let offset = 0;
      for (const idx of batchIndices(src.count, batchSize)) {
        const x = src.batch(idx);
        try {
          out.set(await this.scoreImages(x, mode === 'batch', options), offset);
        } finally {
          x.dispose();
        }
        offset += idx.length;
      }
    } finally {
      restore?.();
    }
    return checkFiniteScores(out);
  }

  /** Anomaly scores, one per image (higher = more anomalous); deterministic and per image in 'population' mode. */
  async score(images: ImageInput, options: ScoreOptions = {}): Promise<Float32Array> {
    this.live('score');
    const src = await imageSource(images, 'images', 'score', this.target());
    try {
      return await this.scoreSource(src, options);
    } finally {
      disposeSource(src);
    }
  }

  /** Reconstructions as pixel values 0..255, float32 [n, imageSize, imageSize, channels]. The caller disposes them. */
  async reconstruct(images: ImageInput, options: ScoreOptions = {}): Promise<tf.Tensor4D> {
    const fn = 'reconstruct';
    this.live(fn);
    const batchSize = checkPositiveInt(options.batchSize ?? 256, 'options.batchSize', fn);
    const mode = options.batchNormMode ?? this.config.batchNormMode;
    const src = await imageSource(images, 'images', fn, this.target());
    let restore: (() => void) | null = null;
    const parts: tf.Tensor4D[] = [];
    try {
      restore = this.useStatistics(mode, fn);
      for (const idx of batchIndices(src.count, batchSize)) {
        parts.push(tf.tidy(() => tf.mul(tf.add(this.reconstructBatch(src.batch(idx), mode === 'batch'), 1), 127.5) as tf.Tensor4D));
      }
      const out = parts.length === 1 ? parts[0]! : (tf.concat(parts, 0) as tf.Tensor4D);
      if (parts.length > 1) tf.dispose(parts);
      return out;
    } catch (e) {
      tf.dispose(parts);
      throw e;
    } finally {
      restore?.();
      disposeSource(src);
    }
  }

  /** Fits the score normalisation and the threshold on held-out images (normal ones, unless labels are given). Saved with the model. */
  async calibrate(images: ImageInput, options: CalibrateOptions = {}): Promise<Calibration> {
    const fn = 'calibrate';
    this.live(fn);
    const method = checkCalibrateOptions(options, fn);
    const scores = await this.score(images);
    this.calibrationState = fitCalibration(scores, method, options, fn);
    return this.calibrationState;
  }

  /** Scores and flags images with the calibrated threshold (call `calibrate` first). */
  async predict(images: ImageInput, options: ScoreOptions = {}): Promise<Prediction> {
    this.live('predict');
    const c = this.calibrationState;
    if (!c) {
      throw new NotCalibratedError("'predict' needs a threshold: call 'calibrate' with held-out normal images first (or load a calibrated model).");
    }
    return applyCalibration(await this.score(images, options), c);
  }

  /** AUROC, AP, F1 (at the given, calibrated or phi threshold), EER and the ROC curve on labelled images (1 = anomaly). */
  async evaluate(images: ImageInput, labels: ArrayLike<number>, options: DetectorEvaluateOptions = {}): Promise<EvaluationResult> {
    const fn = 'evaluate';
    this.live(fn);
    checkUnitInterval(options.phi, 'options.phi', fn);
    const src = await imageSource(images, 'images', fn, this.target());
    try {
      const y = checkLabels(labels, src.count, 'labels', fn);
      const scores = await this.scoreSource(src, options);
      const { threshold, thresholdSource } = evaluationThreshold(scores, this.calibrationState, options, fn);
      return { ...evaluateScores(scores, y, threshold), thresholdSource, roc: rocCurve(scores, y), scores };
    } finally {
      disposeSource(src);
    }
  }

  /** The metadata `save` writes (the kind included, so that `loadDetector` returns this class). */
  metadata(): DetectorMetadata {
    return {
      format: 'ganomaly',
      formatVersion: FORMAT_VERSION,
      libraryVersion: VERSION,
      kind: this.kind,
      config: { ...this.config },
      calibration: this.calibrationState,
      epochsTrained: this.position.epochsTrained,
      statistics: this.held.statistics,
      savedAt: new Date().toISOString(),
      ...(this.infoState ? { info: this.infoState } : {}),
    };
  }

  /**
   * Saves the networks and the metadata as one tfjs ModelArtifacts (file://, indexeddb://,
   * http(s)://, or an IOHandler), in the layout of GANomaly's saves. `{ trainingState: true }` also
   * saves the Adam state, the running BatchNorm averages and the position of an interrupted epoch.
   */
  async save(location: ModelLocation, options: SaveOptions = {}): Promise<void> {
    const nets = this.live('save');
    if (options.info !== undefined) {
      if (options.info === null || typeof options.info !== 'object' || Array.isArray(options.info)) fail('options.info', 'save', 'a plain object of JSON values', options.info);
      this.infoState = JSON.parse(JSON.stringify(options.info)) as Record<string, unknown>;
    }
    const keys = Object.keys(nets);
    if (!options.trainingState) {
      await saveNetworks(location, nets, keys, this.metadata(), 'save');
      return;
    }
    const { optimizers, tensors, temporary } = await captureOptimizers(Object.entries(this.optimizers));
    try {
      const running = this.held.statistics === 'population' && this.held.runningStats !== null;
      if (running) this.held.runningStats!.tensors().forEach((t, i) => (tensors[`running/${i}`] = t));
      const p = this.position.partial;
      const partial = p ? { ...p, sums: [...p.sums] } : null;
      const training: TrainingStateInfo = { resets: this.resets, partial, optimizers, runningStatistics: running };
      await saveNetworks(location, nets, keys, { ...this.metadata(), training }, 'save', tensors);
    } finally {
      tf.dispose(temporary);
    }
  }

  /** Puts a checkpoint's training state back (called by `loadAs`). Internal. */
  async restoreTrainingState(info: TrainingStateInfo, tensors: tf.NamedTensorMap, where: string): Promise<void> {
    this.live('load');
    const restored = await restoreCheckpoint(info, tensors, where, Object.entries(this.optimizers), this.lossNames.length, () => this.statisticsModels());
    if (restored.runningStats) this.held.runningStats = restored.runningStats;
    this.resets = restored.resets;
    this.position.partial = restored.partial;
  }

  /** Releases every tensor of the model. Any later call fails with a DisposedError. */
  dispose(): void {
    if (!this.nets) return;
    for (const n of Object.values(this.nets)) n.dispose();
    for (const o of Object.values(this.optimizers)) o.dispose();
    this.held.runningStats?.dispose();
    this.held.runningStats = null;
    this.nets = null;
  }
}

// Concurrent calls (BusyError), dispose during fit (DisposedError): see guard.ts.
guardModel(BaseDetector.prototype, 'a model');

function named(names: readonly string[], values: readonly number[]): Record<string, number> {
  return Object.fromEntries(names.map((n, i) => [n, values[i]!]));
}
