import * as tf from '@tensorflow/tfjs-core';
import { AbortError, DisposedError, ModelFormatError, NotCalibratedError, TrainingError, ValueError, checkOneOf, checkPositiveInt, fail, failWith, useBackend } from '@ganomaly/common';
import { batchIndices } from '@ganomaly/data';
import {
  DEFAULT_PHI,
  anomalyScore,
  evaluateScores,
  f1BestThreshold,
  fitMinMax,
  minMaxNormalize,
  quantileThreshold,
  rocCurve,
  type Evaluation,
  type MinMax,
  type RocCurve,
} from '@ganomaly/math';
import {
  BATCH_NORM_MODES,
  BatchNormSnapshot,
  PopulationStatistics,
  buildGanomalyNetworks,
  disposeNetworks,
  reinitializeWeights,
  snapshotBatchNormStats,
  type BatchNormMode,
  type GanomalyNetworks,
} from '@ganomaly/models';
import { resolveConfig, type GanomalyConfig, type ResolvedConfig } from './config.js';
import { checkLabels, disposeSource, imageSource, type ImageInput, type ImageSource } from './inputs.js';
import { loadArtifacts, saveArtifacts, type ModelLocation, type SavedMetadata } from './persistence.js';
import { FORMAT_VERSION, VERSION } from './version.js';
import { DataParallelTrainer, autoWorkers, isNode, type StepTimings } from './data-parallel.js';
import { discriminatorObjective, discriminatorVariables, forward, generatorObjective, generatorVariables } from './train-step.js';

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
  /** AUROC on `validation`, when given. */
  auroc?: number;
}

export interface BatchLogs {
  epoch: number;
  batch: number;
  batches: number;
  generatorLoss: number;
  discriminatorLoss: number;
}

export interface FitOptions {
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
}

export interface FitResult {
  history: EpochLogs[];
  /**
   * With `workers` > 1: how many threads trained, how long starting the workers took (not part of
   * any epoch's seconds), and where the steps' time went (milliseconds summed over the steps).
   */
  parallel?: { workers: number; startupSeconds: number; timings: StepTimings };
}

export type CalibrationMethod = 'quantile' | 'fixed' | 'f1';

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

type Losses = [g: number, d: number, adv: number, con: number, enc: number];

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
  /** Per optimizer: how many tensors (iterations, first and second moments) and Adam's running beta powers. */
  optimizers: Record<'generator' | 'discriminator', { tensors: number; accBeta1: number; accBeta2: number }>;
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

/**
 * GANomaly: an encoder-decoder-encoder generator trained with an adversarial feature loss on
 * normal images only; the distance between the two latent codes scores how anomalous an image is.
 */
export class Ganomaly {
  private nets: GanomalyNetworks | null;
  private readonly optG: tf.Optimizer;
  private readonly optD: tf.Optimizer;
  private resets = 0;
  private partial: PartialEpoch | null = null;
  private epochsTrained: number;
  private statistics: 'population' | 'running' | 'initial';
  /** The running averages left by training, kept when population statistics replace them. */
  private runningStats: BatchNormSnapshot | null = null;
  /** Fitted by `calibrate`; saved with the model. */
  calibration: Calibration | null;
  /** The notes given to the last `save({ info })` or read by `load`; saved again by later saves. */
  info: Record<string, unknown> | null = null;

  private constructor(
    nets: GanomalyNetworks,
    readonly config: Readonly<ResolvedConfig>,
    readonly backend: string,
    state: { calibration?: Calibration | null; epochsTrained?: number; statistics?: 'population' | 'running' | 'initial' } = {},
  ) {
    this.nets = nets;
    this.optG = tf.train.adam(config.learningRate, config.beta1, config.beta2, config.adamEpsilon);
    this.optD = tf.train.adam(config.learningRate, config.beta1, config.beta2, config.adamEpsilon);
    this.calibration = state.calibration ?? null;
    this.epochsTrained = state.epochsTrained ?? 0;
    this.statistics = state.statistics ?? 'initial';
  }

  /** Builds a new, untrained model. Selects the backend first (`config.backend`, default 'auto'). */
  static async create(config: CreateOptions = {}): Promise<Ganomaly> {
    const { config: resolved, encoder } = resolveConfig(config, 'Ganomaly.create');
    const backend = await useBackend(config.backend ?? 'auto');
    const nets = buildGanomalyNetworks({ ...resolved, encoder });
    return new Ganomaly(nets, resolved, backend);
  }

  /** Loads a model saved with `save` (file://, indexeddb://, http(s)://, or any tfjs IOHandler). */
  static async load(location: ModelLocation, options: { backend?: string } = {}): Promise<Ganomaly> {
    const backend = await useBackend(options.backend ?? 'auto');
    const { metadata, networks, training } = await loadArtifacts(location, 'Ganomaly.load');
    let config: ResolvedConfig;
    try {
      // The networks come from the saved topology, so the encoder need not be registered here.
      config = resolveConfig({ ...metadata.config, encoder: 'dcgan' }, 'Ganomaly.load').config;
    } catch (e) {
      disposeNetworks(networks);
      throw new ModelFormatError(`The saved config is not valid: ${(e as Error).message}`);
    }
    const model = new Ganomaly(networks, { ...config, encoder: metadata.config.encoder }, backend, {
      calibration: metadata.calibration,
      epochsTrained: metadata.epochsTrained,
      statistics: metadata.statistics,
    });
    if (metadata.info && typeof metadata.info === 'object') model.info = metadata.info;
    try {
      if (metadata.training) await model.restoreTrainingState(metadata.training, training ?? {}, typeof location === 'string' ? location : 'the given IOHandler');
    } catch (e) {
      model.dispose();
      throw e;
    } finally {
      if (training) tf.dispose(Object.values(training));
    }
    return model;
  }

  /** Whether the model holds the position of an interrupted epoch, which the next `fit` completes first. */
  get interruptedEpoch(): Readonly<PartialEpoch> | null {
    return this.partial;
  }

  /** How many complete epochs the model was trained for. */
  get epochs(): number {
    return this.epochsTrained;
  }

  private async trainingState(): Promise<{ info: TrainingStateInfo; tensors: tf.NamedTensorMap; temporary: tf.Tensor[] }> {
    const tensors: tf.NamedTensorMap = {};
    const temporary: tf.Tensor[] = [];
    const optimizers = {} as TrainingStateInfo['optimizers'];
    for (const [key, opt] of [['generator', this.optG], ['discriminator', this.optD]] as const) {
      const weights = await opt.getWeights();
      temporary.push(weights[0].tensor); // the iteration count is a new tensor; the moments are the optimizer's own
      weights.forEach((w, i) => (tensors[`${key}/${i}`] = w.tensor));
      const { accBeta1, accBeta2 } = adamInternals(opt);
      optimizers[key] = { tensors: weights.length, accBeta1: (await accBeta1.data())[0], accBeta2: (await accBeta2.data())[0] };
    }
    const running = this.statistics === 'population' && this.runningStats !== null;
    if (running) this.runningStats!.tensors().forEach((t, i) => (tensors[`running/${i}`] = t));
    return { info: { resets: this.resets, partial: this.partial ? { ...this.partial, sums: [...this.partial.sums] } : null, optimizers, runningStatistics: running }, tensors, temporary };
  }

  private async restoreTrainingState(info: TrainingStateInfo, tensors: tf.NamedTensorMap, where: string): Promise<void> {
    const bad = (what: string) => new ModelFormatError(`The training state of the checkpoint at ${where} is corrupt: ${what}.`);
    if (!info || typeof info !== 'object' || !Number.isInteger(info.resets) || info.resets < 0) throw bad('invalid reset counter');
    const nets = this.live('load');
    for (const [key, opt] of [['generator', this.optG], ['discriminator', this.optD]] as const) {
      const o = info.optimizers?.[key];
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
    if (info.runningStatistics) {
      const running: tf.Tensor[] = [];
      for (let i = 0; tensors[`running/${i}`]; i++) running.push(tensors[`running/${i}`]!);
      try {
        this.runningStats = BatchNormSnapshot.fromTensors([nets.encoder, nets.decoder, nets.reencoder], running);
      } catch (e) {
        throw bad((e as Error).message);
      }
    }
    const p = info.partial;
    if (p !== null && p !== undefined) {
      const ints = [p.epoch, p.nextBatch, p.batches, p.batchSize, p.count, p.seen, p.resetsBefore];
      if (!ints.every((v) => Number.isInteger(v) && v >= 0) || !Array.isArray(p.sums) || p.sums.length !== 5 || p.nextBatch > p.batches) {
        throw bad('invalid interrupted-epoch position');
      }
    }
    this.resets = info.resets;
    this.partial = p ?? null;
  }

  /** The four networks (for inspection, export or custom loops). */
  get networks(): GanomalyNetworks {
    return this.live('networks');
  }

  get isDisposed(): boolean {
    return this.nets === null;
  }

  private live(fn: string): GanomalyNetworks {
    if (!this.nets) throw new DisposedError(`'${fn}' was called on a Ganomaly model that was disposed. Create or load a new one.`);
    return this.nets;
  }

  private get target() {
    return { imageSize: this.config.imageSize, channels: this.config.channels as 1 | 3 };
  }

  /** The generator chain G_E -> G_D -> E. */
  private forward(nets: GanomalyNetworks, x: tf.Tensor4D, training: boolean) {
    return forward(nets, x, training);
  }

  private trainStep(nets: GanomalyNetworks, x: tf.Tensor4D): tf.Tensor1D {
    let fake: tf.Tensor4D | null = null;
    let parts: tf.Scalar[] = [];
    const gLoss = this.optG.minimize(
      generatorObjective(nets, x, this.config.lossWeights, (f, p) => {
        fake = f;
        parts = p;
      }),
      true,
      generatorVariables(nets),
    )!;
    // D sees the reconstruction made before G's update, detached (as the authors' code).
    const dLoss = this.optD.minimize(discriminatorObjective(nets, x, fake!), true, discriminatorVariables(nets))!;
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
  async fit(images: ImageInput, options: FitOptions = {}): Promise<FitResult> {
    const fn = 'fit';
    const nets = this.live(fn);
    const epochs = checkPositiveInt(options.epochs ?? 15, 'options.epochs', fn);
    const batchSize = checkPositiveInt(options.batchSize ?? 64, 'options.batchSize', fn);
    const shuffle = options.shuffle ?? true;
    const w = options.workers ?? 1;
    if (w !== 'auto' && (typeof w !== 'number' || !Number.isInteger(w) || w < 1)) fail('options.workers', fn, "a positive integer or 'auto'", w);
    const workers = w === 'auto' ? await autoWorkers(this.backend, batchSize) : w;
    if (workers > 1 && !isNode()) {
      throw new ValueError(
        `Argument 'options.workers' passed to '${fn}' is ${workers}, but data-parallel training runs on Node's worker_threads, which this runtime does not have. Use workers: 1 (in a browser, train inside a Web Worker to keep the page responsive).`,
      );
    }
    const src = await imageSource(images, 'images', fn, this.target);
    if (src.count < 2) {
      disposeSource(src);
      failWith('images', fn, 'at least 2 images (BatchNorm needs a batch to normalise over)', `${src.count}`);
    }
    let validation: { src: ImageSource; labels: ArrayLike<number> } | null = null;
    try {
      if (options.validation) {
        validation = { src: await imageSource(options.validation.images, 'options.validation.images', fn, this.target), labels: options.validation.labels };
      }
    } catch (e) {
      disposeSource(src);
      throw e;
    }
    if (validation) {
      try {
        checkLabels(validation.labels, validation.src.count, 'options.validation.labels', fn);
      } catch (e) {
        disposeSource(src);
        disposeSource(validation.src);
        throw e;
      }
    }
    if (options.restartEpoch) this.partial = null;
    const history: EpochLogs[] = [];
    let aborted = false;
    const firstEpoch = this.epochsTrained;
    let pool: DataParallelTrainer | null = null;
    try {
      if (workers > 1) {
        // Started once per fit, before any epoch's clock runs (its time is in FitResult.parallel).
        pool = await DataParallelTrainer.create({
          nets,
          lossWeights: this.config.lossWeights,
          artifacts: () => this.artifacts(),
          backend: this.backend,
          threads: workers,
          fn,
        });
      }
      for (let e = 0; e < epochs && !aborted; e++) {
        const epoch = this.epochsTrained + 1;
        const resume = this.partial?.epoch === epoch ? this.partial : null;
        const effectiveBatch = Math.min(batchSize, src.count);
        if (resume && (resume.batchSize !== effectiveBatch || resume.count !== src.count || resume.shuffle !== shuffle)) {
          throw new ValueError(
            `'${fn}' cannot continue the interrupted epoch ${epoch} (stopped after batch ${resume.nextBatch} of ${resume.batches}): it ran on ${resume.count} images with batchSize ${resume.batchSize} and shuffle ${resume.shuffle}, ` +
              `this call has ${src.count} images, batchSize ${effectiveBatch} and shuffle ${shuffle}. Pass the same images and options, or set options.restartEpoch to train epoch ${epoch} from its start.`,
          );
        }
        const start = performance.now();
        if (this.statistics === 'population' && this.runningStats) {
          // Training goes on from the running averages, not from the recomputed statistics.
          this.runningStats.restore();
          this.statistics = 'running';
        }
        const batches = batchIndices(src.count, effectiveBatch, {
          shuffle,
          seed: this.config.seed * 100_003 + epoch,
          dropLast: src.count >= batchSize,
        });
        const sums = resume ? [...resume.sums] : [0, 0, 0, 0, 0];
        const resetsBefore = resume ? resume.resetsBefore : this.resets;
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
          this.statistics = 'running';
          // A calibration fitted on the old scores no longer fits.
          this.calibration = null;
          let values: Losses;
          if (pool) {
            const x = src.batch(batches[b]);
            try {
              values = (await pool.step(x, this.optG, this.optD)) as Losses;
            } finally {
              x.dispose();
            }
          } else {
            const losses = tf.tidy(() => {
              const x = src.batch(batches[b]);
              return this.trainStep(nets, x);
            });
            values = Array.from(await losses.data()) as Losses;
            losses.dispose();
          }
          if (values.some((v) => !Number.isFinite(v))) {
            throw new TrainingError(`Training diverged at epoch ${epoch}, batch ${b + 1}: losses ${values.join(', ')}. Lower config.learningRate.`);
          }
          if (values[1] < this.config.discriminatorResetThreshold) {
            reinitializeWeights(nets.discriminator, this.config.seed * 7919 + ++this.resets);
          }
          values.forEach((v, i) => (sums[i] += v));
          seen += batches[b].length;
          done++;
          await options.onBatchEnd?.({ epoch, batch: b + 1, batches: batches.length, generatorLoss: values[0], discriminatorLoss: values[1] });
        }
        const seconds = secondsBefore + (performance.now() - start) / 1000;
        if (aborted) {
          // Part of an epoch is not an epoch: it is neither logged nor counted, but the next fit
          // (or a checkpoint saved now) goes on from the batch where it stopped.
          if (done > 0) {
            this.partial = { epoch, nextBatch: b, batches: batches.length, batchSize: effectiveBatch, count: src.count, shuffle, sums, seen, seconds, resetsBefore };
          }
          break;
        }
        this.partial = null;
        this.epochsTrained = epoch;
        const logs: EpochLogs = {
          epoch,
          epochs: firstEpoch + epochs,
          generatorLoss: sums[0] / done,
          discriminatorLoss: sums[1] / done,
          adversarialLoss: sums[2] / done,
          contextualLoss: sums[3] / done,
          encoderLoss: sums[4] / done,
          discriminatorResets: this.resets - resetsBefore,
          seconds,
          imagesPerSecond: seen / seconds,
        };
        if (validation) {
          if (this.config.batchNormMode === 'population') await this.recomputeStatistics(src, batchSize);
          const s = await this.scoreSource(validation.src, {});
          logs.auroc = evaluateScores(s, validation.labels, 0).auroc;
        }
        history.push(logs);
        await options.onEpochEnd?.(logs);
      }
      // The workers are done: free their threads before the statistics pass.
      await pool?.close();
      if (this.config.batchNormMode === 'population' && this.statistics !== 'population') {
        await this.recomputeStatistics(src, batchSize);
      }
    } finally {
      await pool?.close();
      disposeSource(src);
      if (validation) disposeSource(validation.src);
    }
    const parallel = pool ? { parallel: { workers: pool.threads, startupSeconds: pool.startupSeconds, timings: { ...pool.timings } } } : {};
    if (aborted) {
      const p = this.partial;
      const where = p ? ` and ${p.nextBatch} of ${p.batches} batches of epoch ${p.epoch}` : '';
      const err = new AbortError(
        `Training was aborted after ${history.length} complete epoch(s)${where}; the model keeps the weights it reached.`,
      );
      (err as AbortError & { history: EpochLogs[] }).history = history;
      throw err;
    }
    return { history, ...parallel };
  }

  /**
   * Recomputes every BatchNorm layer's mean and variance of the generator chain as the exact
   * average over the given (training) images, in training mode; the default after `fit`.
   */
  async recomputeStatistics(images: ImageInput | ImageSource, batchSize = 64): Promise<void> {
    const nets = this.live('recomputeStatistics');
    const src = isSource(images) ? images : await imageSource(images, 'images', 'recomputeStatistics', this.target);
    try {
      const chain = [nets.encoder, nets.decoder, nets.reencoder];
      if (this.statistics !== 'population') {
        this.runningStats?.dispose();
        this.runningStats = BatchNormSnapshot.capture(chain);
      }
      const stats = new PopulationStatistics(chain);
      for (const idx of batchIndices(src.count, batchSize)) {
        const x = src.batch(idx);
        await stats.accumulate(x);
        x.dispose();
      }
      stats.apply();
      this.statistics = 'population';
    } finally {
      if (!isSource(images)) disposeSource(src);
    }
  }

  private async scoreSource(src: ImageSource, options: ScoreOptions): Promise<Float32Array> {
    const nets = this.live('score');
    const mode = options.batchNormMode ?? this.config.batchNormMode;
    const batchSize = checkPositiveInt(options.batchSize ?? 256, 'options.batchSize', 'score');
    const out = new Float32Array(src.count);
    const training = mode === 'batch';
    const restore = this.useStatistics(nets, mode, 'score');
    try {
      let offset = 0;
      for (const idx of batchIndices(src.count, batchSize)) {
        const s = tf.tidy(() => {
          const { z, zHat } = this.forward(nets, src.batch(idx), training);
          return anomalyScore(z, zHat, this.config.scoreVariant);
        });
        out.set(await s.data(), offset);
        s.dispose();
        offset += idx.length;
      }
    } finally {
      restore?.();
    }
    return out;
  }

  /**
   * Sets the BatchNorm statistics a scoring pass in `mode` needs; returns what puts the model's own
   * statistics back afterwards (or null when nothing changed).
   */
  private useStatistics(nets: GanomalyNetworks, mode: BatchNormMode, fn: string): (() => void) | null {
    checkOneOf(mode, BATCH_NORM_MODES, 'options.batchNormMode', fn);
    const chain = [nets.encoder, nets.decoder, nets.reencoder];
    if (mode === 'batch') return snapshotBatchNormStats(chain); // training-mode passes move the averages
    if (mode === 'running' && this.statistics === 'population') {
      if (!this.runningStats) {
        throw new ValueError(
          `Argument 'options.batchNormMode' passed to '${fn}' is 'running', but this model holds only recomputed population statistics (the running averages are not saved with a model).`,
        );
      }
      const restore = snapshotBatchNormStats(chain);
      this.runningStats.restore();
      return restore;
    }
    if (mode === 'population' && this.statistics !== 'population' && this.statistics !== 'initial') {
      throw new ValueError(
        `Argument 'options.batchNormMode' passed to '${fn}' is 'population', but this model's statistics were not recomputed; call recomputeStatistics(trainingImages) first.`,
      );
    }
    return null;
  }

  /**
   * Anomaly scores, one per image: mean over the latent dimensions of (z − ẑ)² (or ‖z − ẑ‖₁ with
   * scoreVariant 'l1'). In the default 'population' BatchNorm mode each image's score is
   * deterministic and independent of the other images in the call.
   */
  async score(images: ImageInput, options: ScoreOptions = {}): Promise<Float32Array> {
    this.live('score');
    const src = await imageSource(images, 'images', 'score', this.target);
    try {
      return await this.scoreSource(src, options);
    } finally {
      disposeSource(src);
    }
  }

  /** Reconstructions G(x) as pixel values 0..255, float32 [n, imageSize, imageSize, channels]. The caller disposes them. */
  async reconstruct(images: ImageInput, options: ScoreOptions = {}): Promise<tf.Tensor4D> {
    const nets = this.live('reconstruct');
    const batchSize = checkPositiveInt(options.batchSize ?? 256, 'options.batchSize', 'reconstruct');
    const mode = options.batchNormMode ?? this.config.batchNormMode;
    const training = mode === 'batch';
    const src = await imageSource(images, 'images', 'reconstruct', this.target);
    let restore: (() => void) | null;
    try {
      restore = this.useStatistics(nets, mode, 'reconstruct');
    } catch (e) {
      disposeSource(src);
      throw e;
    }
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
      disposeSource(src);
    }
  }

  /**
   * Fits the score normalisation and the decision threshold on held-out images (normal ones,
   * unless labels are given), never on the test set you report on. Saved with the model.
   */
  async calibrate(images: ImageInput, options: CalibrateOptions = {}): Promise<Calibration> {
    const fn = 'calibrate';
    this.live(fn);
    const method = options.method ?? (options.labels ? 'f1' : 'quantile');
    if (!['quantile', 'fixed', 'f1'].includes(method)) fail('options.method', fn, "'quantile', 'fixed' or 'f1'", method);
    if (options.quantile !== undefined && !(Number.isFinite(options.quantile) && options.quantile >= 0 && options.quantile <= 1)) {
      fail('options.quantile', fn, 'a number in [0, 1]', options.quantile);
    }
    if (options.phi !== undefined && !(Number.isFinite(options.phi) && options.phi >= 0 && options.phi <= 1)) {
      fail('options.phi', fn, 'a number in [0, 1]', options.phi);
    }
    if (method === 'f1' && !options.labels) failWith('options.labels', fn, "labels (1 = anomaly) for method 'f1'", 'none');
    const scores = await this.score(images);
    let threshold: number;
    const normalization = fitMinMax(scores);
    const extra: Partial<Calibration> = {};
    if (method === 'quantile') {
      const q = options.quantile ?? 0.99;
      let normal: ArrayLike<number> = scores;
      if (options.labels) {
        const labels = checkLabelValues(options.labels, scores.length, fn);
        normal = scores.filter((_, i) => labels[i] === 0);
        if (normal.length === 0) failWith('options.labels', fn, 'at least one normal (0) image for a quantile threshold', 'only anomalies');
      }
      threshold = quantileThreshold(normal, q);
      extra.quantile = q;
    } else if (method === 'fixed') {
      const phi = options.phi ?? DEFAULT_PHI;
      threshold = normalization.min + phi * (normalization.max - normalization.min);
      extra.phi = phi;
    } else {
      threshold = f1BestThreshold(scores, checkLabels(options.labels!, scores.length, 'options.labels', fn)).threshold;
    }
    this.calibration = { method, threshold, normalization, count: scores.length, ...extra };
    return this.calibration;
  }

  /** Scores and flags images with the calibrated threshold (call `calibrate` first). */
  async predict(images: ImageInput, options: ScoreOptions = {}): Promise<Prediction> {
    this.live('predict');
    const c = this.calibration;
    if (!c) {
      throw new NotCalibratedError(
        "'predict' needs a threshold: call 'calibrate' with held-out normal images first (or load a calibrated model).",
      );
    }
    const scores = await this.score(images, options);
    const isAnomaly = new Uint8Array(scores.length);
    scores.forEach((s, i) => (isAnomaly[i] = s >= c.threshold ? 1 : 0));
    return { scores, normalizedScores: minMaxNormalize(scores, c.normalization), isAnomaly, threshold: c.threshold };
  }

  /**
   * AUROC, average precision, F1 (with precision and recall), equal error rate and the ROC curve on
   * labelled images (1 = anomaly). F1 uses `options.threshold` when given, else the calibrated
   * threshold, else the paper's phi = 0.2 on these scores' own min-max scale (the paper's protocol).
   */
  async evaluate(images: ImageInput, labels: ArrayLike<number>, options: { threshold?: number; phi?: number } & ScoreOptions = {}): Promise<EvaluationResult> {
    const fn = 'evaluate';
    this.live(fn);
    if (options.phi !== undefined && !(Number.isFinite(options.phi) && options.phi >= 0 && options.phi <= 1)) {
      fail('options.phi', fn, 'a number in [0, 1]', options.phi);
    }
    const src = await imageSource(images, 'images', fn, this.target);
    try {
      const y = checkLabels(labels, src.count, 'labels', fn);
      const scores = await this.scoreSource(src, options);
      let threshold: number;
      let thresholdSource: EvaluationResult['thresholdSource'];
      if (options.threshold !== undefined) {
        if (!Number.isFinite(options.threshold)) fail('options.threshold', fn, 'a finite number', options.threshold);
        threshold = options.threshold;
        thresholdSource = 'given';
      } else if (this.calibration) {
        threshold = this.calibration.threshold;
        thresholdSource = 'calibration';
      } else {
        const phi = options.phi ?? DEFAULT_PHI;
        const r = fitMinMax(scores);
        threshold = r.min + phi * (r.max - r.min);
        thresholdSource = 'phi';
      }
      return { ...evaluateScores(scores, y, threshold), thresholdSource, roc: rocCurve(scores, y), scores };
    } finally {
      disposeSource(src);
    }
  }

  /** The metadata written by `save`. */
  metadata(): SavedMetadata {
    return {
      format: 'ganomaly',
      formatVersion: FORMAT_VERSION,
      libraryVersion: VERSION,
      config: { ...this.config },
      calibration: this.calibration,
      epochsTrained: this.epochsTrained,
      statistics: this.statistics,
      savedAt: new Date().toISOString(),
      ...(this.info ? { info: this.info } : {}),
    };
  }

  /**
   * Saves the four networks and the metadata (config, calibration, format and library version).
   * `file://` works in Node without tfjs-node and never leaves a half-written model; other URLs go
   * to tfjs's IO handlers (indexeddb://, localstorage://, http(s)://), or pass an IOHandler.
   */
  async save(location: ModelLocation, options: SaveOptions = {}): Promise<void> {
    const nets = this.live('save');
    if (options.info !== undefined) {
      if (options.info === null || typeof options.info !== 'object' || Array.isArray(options.info)) fail('options.info', 'save', 'a plain object of JSON values', options.info);
      this.info = JSON.parse(JSON.stringify(options.info)) as Record<string, unknown>;
    }
    if (!options.trainingState) {
      await saveArtifacts(location, nets, this.metadata(), 'save');
      return;
    }
    const { info, tensors, temporary } = await this.trainingState();
    try {
      await saveArtifacts(location, nets, { ...this.metadata(), training: info }, 'save', tensors);
    } finally {
      tf.dispose(temporary);
    }
  }

  /** The model as `save` writes it, in memory (what data-parallel workers load their replicas from). */
  private async artifacts(): Promise<tf.io.ModelArtifacts> {
    let artifacts: tf.io.ModelArtifacts | undefined;
    await saveArtifacts(
      tf.io.withSaveHandler(async (a) => {
        artifacts = { ...a, weightData: tf.io.CompositeArrayBuffer.join(a.weightData!) };
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
      this.live('fit'),
      this.metadata(),
      'fit',
    );
    return artifacts!;
  }

  /** Releases every tensor of the model. Any later call fails with a DisposedError. */
  dispose(): void {
    if (!this.nets) return;
    disposeNetworks(this.nets);
    this.optG.dispose();
    this.optD.dispose();
    this.runningStats?.dispose();
    this.runningStats = null;
    this.nets = null;
  }
}

/** Resolves after pending timers and I/O callbacks (a macrotask), in Node and in browsers. */
function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown };
  return new Promise((resolve) => (g.setImmediate ? g.setImmediate(resolve) : setTimeout(resolve, 0)));
}

/** Adam's running powers of beta1 and beta2 (tfjs 4.x keeps them as private variables). */
function adamInternals(opt: tf.Optimizer): { accBeta1: tf.Variable; accBeta2: tf.Variable } {
  const o = opt as unknown as { accBeta1?: tf.Variable; accBeta2?: tf.Variable };
  if (!(o.accBeta1 instanceof tf.Variable) || !(o.accBeta2 instanceof tf.Variable)) {
    throw new Error('This tfjs version\'s Adam optimizer keeps no accBeta1/accBeta2 variables; training checkpoints need tfjs-core 4.x.');
  }
  return { accBeta1: o.accBeta1, accBeta2: o.accBeta2 };
}

function isSource(x: unknown): x is ImageSource {
  return typeof x === 'object' && x !== null && typeof (x as ImageSource).batch === 'function' && !(x instanceof tf.Tensor);
}

/** 0/1 labels, one per image; unlike evaluation labels, one class alone is fine. */
function checkLabelValues(labels: ArrayLike<number>, n: number, fn: string): ArrayLike<number> {
  if (labels == null || typeof labels.length !== 'number') fail('options.labels', fn, 'an array of 0/1 labels', labels);
  if (labels.length !== n) failWith('options.labels', fn, `one label per image (${n})`, `${labels.length} labels`);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) failWith('options.labels', fn, 'labels 0 (normal) or 1 (anomaly)', `${labels[i]} at index ${i}`);
  }
  return labels;
}
