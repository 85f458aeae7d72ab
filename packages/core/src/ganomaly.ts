import * as tf from '@tensorflow/tfjs-core';
import { NotCalibratedError, checkPositiveInt, fail, useBackend } from '@ganomaly/common';
import { evaluateScores, rocCurve } from '@ganomaly/math';
import { buildGanomalyNetworks, disposeNetworks, type GanomalyNetworks } from '@ganomaly/models';
import { applyCalibration, checkCalibrateOptions, checkUnitInterval, evaluationThreshold, fitCalibration } from './calibration.js';
import { captureTrainingState, modelMetadata, restoreTrainingState } from './checkpoint.js';
import { resolveConfig, type ResolvedConfig } from './config.js';
import { checkLabels, disposeSource, imageSource, isSource, type ImageInput, type ImageSource } from './inputs.js';
import { describeLocation, finishLoad, loadArtifacts, resolveSavedConfig, saveArtifacts } from './persistence.js';
import type { Detector } from './detectors/detector.js';
import { calibrationScores, componentsSource, reconstructSource, recomputeStatistics, scoreSource } from './scoring.js';
import { inputTarget, live, type ModelState } from './state.js';
import { fit } from './training.js';
import { nodeParts } from './node-parts.js';
import { guardModel } from './guard.js';
import { checkModelSize } from './limits.js';
import { exportOnnx, type OnnxExportOptions } from './onnx-export.js';
import type {
  CalibrateOptions,
  Calibration,
  CreateOptions,
  EvaluationResult,
  FitOptions,
  FitResult,
  ModelLocation,
  PartialEpoch,
  Prediction,
  SaveOptions,
  SavedMetadata,
  ScoreComponents,
  ModelSelection,
  ScoreOptions,
  StatisticsMode,
} from './types.js';

/**
 * GANomaly: an encoder-decoder-encoder generator trained with an adversarial feature loss on
 * normal images only; the distance between the two latent codes scores how anomalous an image is.
 *
 * A facade: the networks are built in @ganomaly/models, the losses and one step in train-step.ts,
 * fit in training.ts (on the epoch loop of epochs.ts), scoring in scoring.ts, calibration in
 * calibration.ts and the save format in format.ts, persistence.ts and checkpoint.ts; this class
 * holds the model's state and checks what a call may do.
 */
export class Ganomaly implements Detector {
  /** The detector kind (see detectors/registry.ts), saved in the metadata. */
  static readonly kind = 'ganomaly';
  readonly kind = Ganomaly.kind;
  private readonly state: ModelState;

  private constructor(
    nets: GanomalyNetworks,
    readonly config: Readonly<ResolvedConfig>,
    readonly backend: string,
    saved: { calibration?: Calibration | null; epochsTrained?: number; statistics?: StatisticsMode; discriminatorStatistics?: 'population'; selection?: ModelSelection; memory?: tf.Tensor2D } = {},
  ) {
    this.state = {
      nets,
      config,
      backend,
      optG: tf.train.adam(config.learningRate, config.beta1, config.beta2, config.adamEpsilon),
      optD: tf.train.adam(config.learningRate, config.beta1, config.beta2, config.adamEpsilon),
      resets: 0,
      partial: null,
      epochsTrained: saved.epochsTrained ?? 0,
      statistics: saved.statistics ?? 'initial',
      discriminatorRecomputed: saved.discriminatorStatistics === 'population',
      runningStats: null,
      calibration: saved.calibration ?? null,
      memory: saved.memory ?? null,
      selection: saved.selection ?? null,
      info: null,
    };
  }

  /** Builds a new, untrained model. Selects the backend first (`config.backend`, default 'auto'). */
  static async create(config: CreateOptions = {}): Promise<Ganomaly> {
    const { config: resolved, encoder } = resolveConfig(config, 'Ganomaly.create');
    if (encoder.name === 'dcgan') checkModelSize(resolved, 'Ganomaly.create');
    const backend = await useBackend(config.backend ?? 'auto');
    const nets = buildGanomalyNetworks({ ...resolved, encoder });
    return new Ganomaly(nets, resolved, backend);
  }

  /**
   * Loads a model saved with `save` (file://, indexeddb://, http(s)://, or any tfjs IOHandler). A
   * model of another detector kind fails with a ModelFormatError that names `loadDetector`.
   */
  static async load(location: ModelLocation, options: { backend?: string } = {}): Promise<Ganomaly> {
    const backend = await useBackend(options.backend ?? 'auto');
    const { metadata, networks, training, memory } = await loadArtifacts(location, 'Ganomaly.load');
    // The networks come from the saved topology, so the encoder need not be registered here.
    const config = resolveSavedConfig(
      () => {
        const c = resolveConfig({ ...metadata.config, encoder: 'dcgan' }, 'Ganomaly.load').config;
        if (memory && memory.shape[1] !== c.latentDim) throw new Error(`its memory of training codes is ${memory.shape[1]} wide, but latentDim is ${c.latentDim}`);
        return c;
      },
      { ...networks, ...(memory ? { memory } : {}) },
      training,
    );
    const model = new Ganomaly(networks, { ...config, encoder: metadata.config.encoder }, backend, {
      calibration: metadata.calibration,
      epochsTrained: metadata.epochsTrained,
      statistics: metadata.statistics,
      discriminatorStatistics: metadata.discriminatorStatistics,
      selection: metadata.selection,
      ...(memory ? { memory } : {}),
    });
    if (metadata.info && typeof metadata.info === 'object') model.info = metadata.info;
    return finishLoad(model, training, async () => {
      if (metadata.training) await restoreTrainingState(model.state, metadata.training, training ?? {}, describeLocation(location));
    });
  }

  /** Fitted by `calibrate`; saved with the model. */
  get calibration(): Calibration | null {
    return this.state.calibration;
  }

  set calibration(c: Calibration | null) {
    this.state.calibration = c;
  }

  /** The notes given to the last `save({ info })` or read by `load`; saved again by later saves. */
  get info(): Record<string, unknown> | null {
    return this.state.info;
  }

  set info(info: Record<string, unknown> | null) {
    this.state.info = info;
  }

  /** Whether the model holds the position of an interrupted epoch, which the next `fit` completes first. */
  get interruptedEpoch(): Readonly<PartialEpoch> | null {
    return this.state.partial;
  }

  /**
   * How many codes of training images the model keeps for the 'knn' score (kept by `fit` and
   * `recomputeStatistics` whatever the score variant, at most `config.memorySize`; saved with the
   * model); 0 before training.
   */
  get memoryCount(): number {
    return this.state.memory?.shape[0] ?? 0;
  }

  /** How many complete epochs the model was trained for. */
  get epochs(): number {
    return this.state.epochsTrained;
  }

  /**
   * After a `fit` with `select: 'validation'`: the epoch whose weights the model holds and its
   * selection AUROC (saved and loaded with the model); null when it holds its last epoch's.
   */
  get selection(): Readonly<ModelSelection> | null {
    return this.state.selection;
  }

  /** The four networks (for inspection, export or custom loops). */
  get networks(): GanomalyNetworks {
    return live(this.state, 'networks');
  }

  get isDisposed(): boolean {
    return this.state.nets === null;
  }

  /**
   * Trains on normal images. Each iteration: a generator step, then a discriminator step; D is
   * re-initialised when its loss collapses below `discriminatorResetThreshold`. Afterwards (also
   * when aborted) BatchNorm statistics are recomputed over `images` when the model's BatchNorm
   * mode is 'population', and the codes of `images` are kept as the memory of the 'knn' score.
   */
  fit(images: ImageInput, options: FitOptions = {}): Promise<FitResult> {
    return fit(this.state, images, options);
  }

  /**
   * Recomputes every BatchNorm layer's mean and variance of the generator chain and of D as the
   * exact average over the given (training) images, in training mode; the default after `fit`.
   * Also keeps the codes of those images as the memory the 'knn' score measures against.
   */
  async recomputeStatistics(images: ImageInput | ImageSource, batchSize = 64): Promise<void> {
    live(this.state, 'recomputeStatistics');
    const src = isSource(images) ? images : await imageSource(images, 'images', 'recomputeStatistics', inputTarget(this.state));
    try {
      await recomputeStatistics(this.state, src, batchSize);
    } finally {
      if (!isSource(images)) disposeSource(src);
    }
  }

  /**
   * Anomaly scores, one per image, as the model's scoreVariant says: by default the mean over the
   * latent dimensions of (z − ẑ)² (see ScoreVariant for the others; 'skip' and 'combined' need
   * `calibrate` first, else a NotCalibratedError). In the default 'population' BatchNorm mode each image's score is
   * deterministic and independent of the other images in the call.
   */
  async score(images: ImageInput, options: ScoreOptions = {}): Promise<Float32Array> {
    live(this.state, 'score');
    const src = await imageSource(images, 'images', 'score', inputTarget(this.state));
    try {
      return await scoreSource(this.state, src, options);
    } finally {
      disposeSource(src);
    }
  }

  /**
   * Every score component, one value per image and component, from one forward pass per batch:
   * `latent` (what 'mse' scores), `latentL1` ('l1'), `reconstruction` (mean |x − x̂|),
   * `reconstructionL2` (mean (x − x̂)²) and `features` (mean (f(x) − f(x̂))² on D's feature map).
   * Uses the same BatchNorm statistics as `score` (in 'population' mode D's own recomputed ones).
   */
  async scoreComponents(images: ImageInput, options: ScoreOptions = {}): Promise<ScoreComponents> {
    live(this.state, 'scoreComponents');
    const src = await imageSource(images, 'images', 'scoreComponents', inputTarget(this.state));
    try {
      return await componentsSource(this.state, src, options);
    } finally {
      disposeSource(src);
    }
  }

  /** Reconstructions G(x) as pixel values 0..255, float32 [n, imageSize, imageSize, channels]. The caller disposes them. */
  async reconstruct(images: ImageInput, options: ScoreOptions = {}): Promise<tf.Tensor4D> {
    live(this.state, 'reconstruct');
    const batchSize = checkPositiveInt(options.batchSize ?? 256, 'options.batchSize', 'reconstruct');
    const src = await imageSource(images, 'images', 'reconstruct', inputTarget(this.state));
    try {
      return reconstructSource(this.state, src, batchSize, options);
    } finally {
      disposeSource(src);
    }
  }

  /**
   * Fits the score normalisation and the decision threshold on held-out images (normal ones,
   * unless labels are given), never on the test set you report on. Saved with the model.
   */
  async calibrate(images: ImageInput, options: CalibrateOptions = {}): Promise<Calibration> {
    const fn = 'calibrate';
    live(this.state, fn);
    const method = checkCalibrateOptions(options, fn);
    const src = await imageSource(images, 'images', fn, inputTarget(this.state));
    try {
      // 'skip' and 'combined' also fit the scaling of their components here.
      const { scores, componentScaling } = await calibrationScores(this.state, src, options.labels, fn);
      this.state.calibration = { ...fitCalibration(scores, method, options, fn), ...(componentScaling ? { componentScaling } : {}) };
    } finally {
      disposeSource(src);
    }
    return this.state.calibration;
  }

  /** Scores and flags images with the calibrated threshold (call `calibrate` first). */
  async predict(images: ImageInput, options: ScoreOptions = {}): Promise<Prediction> {
    live(this.state, 'predict');
    const c = this.state.calibration;
    if (!c) {
      throw new NotCalibratedError(
        "'predict' needs a threshold: call 'calibrate' with held-out normal images first (or load a calibrated model).",
      );
    }
    return applyCalibration(await this.score(images, options), c);
  }

  /**
   * AUROC, average precision, F1 (with precision and recall), equal error rate and the ROC curve on
   * labelled images (1 = anomaly). F1 uses `options.threshold` when given, else the calibrated
   * threshold, else the paper's phi = 0.2 on these scores' own min-max scale (the paper's protocol).
   */
  async evaluate(images: ImageInput, labels: ArrayLike<number>, options: { threshold?: number; phi?: number } & ScoreOptions = {}): Promise<EvaluationResult> {
    const fn = 'evaluate';
    live(this.state, fn);
    checkUnitInterval(options.phi, 'options.phi', fn);
    const src = await imageSource(images, 'images', fn, inputTarget(this.state));
    try {
      const y = checkLabels(labels, src.count, 'labels', fn);
      const scores = await scoreSource(this.state, src, options);
      const { threshold, thresholdSource } = evaluationThreshold(scores, this.state.calibration, options, fn);
      return { ...evaluateScores(scores, y, threshold), thresholdSource, roc: rocCurve(scores, y), scores };
    } finally {
      disposeSource(src);
    }
  }

  /** The metadata written by `save`. */
  metadata(): SavedMetadata {
    return modelMetadata(this.state);
  }

  /**
   * Saves the four networks and the metadata (config, calibration, format and library version).
   * `file://` works in Node without tfjs-node and never leaves a half-written model; other URLs go
   * to tfjs's IO handlers (indexeddb://, localstorage://, http(s)://), or pass an IOHandler.
   */
  async save(location: ModelLocation, options: SaveOptions = {}): Promise<void> {
    const nets = live(this.state, 'save');
    if (options.info !== undefined) {
      if (options.info === null || typeof options.info !== 'object' || Array.isArray(options.info)) fail('options.info', 'save', 'a plain object of JSON values', options.info);
      this.state.info = JSON.parse(JSON.stringify(options.info)) as Record<string, unknown>;
    }
    if (!options.trainingState) {
      await saveArtifacts(location, nets, this.metadata(), 'save', undefined, this.state.memory);
      return;
    }
    const { info, tensors, temporary } = await captureTrainingState(this.state);
    try {
      await saveArtifacts(location, nets, { ...this.metadata(), training: info }, 'save', tensors, this.state.memory);
    } finally {
      tf.dispose(temporary);
    }
  }

  /**
   * The scorer as an ONNX model (the bytes of an .onnx file): input float32 [n, imageSize,
   * imageSize, channels] pixel values 0..255 at the model's size (resize outside), outputs `score`,
   * and with a calibration `normalized_score` and `is_anomaly`; optionally `z`, `z_hat`, `x_hat`.
   * Uses the BatchNorm statistics of the model's mode (population by default). Score it with
   * OnnxScorer from @ganomaly/onnx, or any ONNX Runtime. See docs/onnx.md.
   */
  async exportOnnx(options: OnnxExportOptions = {}): Promise<Uint8Array> {
    return exportOnnx(this.state, options);
  }

  /** Releases every tensor of the model. Any later call fails with a DisposedError. */
  dispose(): void {
    const s = this.state;
    if (!s.nets) return;
    disposeNetworks(s.nets);
    s.memory?.dispose();
    s.memory = null;
    nodeParts()?.releaseCompiledStep(s.optG);
    s.optG.dispose();
    s.optD.dispose();
    s.runningStats?.dispose();
    s.runningStats = null;
    s.nets = null;
  }
}

// Concurrent calls (BusyError), dispose during fit (DisposedError): see guard.ts.
guardModel(Ganomaly.prototype);
