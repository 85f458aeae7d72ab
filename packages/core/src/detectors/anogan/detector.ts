// `anogan` (Schlegl et al., IPMI 2017): a DCGAN trained on normal images; an image is scored by
// searching the latent code whose generated image matches it best (search.ts), and the anomaly
// loss left at the end of the search is the score. Slow by design: every image costs `searchSteps`
// forward and backward passes through G and D. Measured on backend 'node' (tfjs-node, 2 shared
// cores under load, batches of 64, image size 32): 3.4 ms per image per step at baseWidth 64 and
// latentDim 100 (1.7 s per image at the paper's 500 steps, 0.34 s at the default 100), 1.2 ms at
// width 32, 0.58 ms at width 16 with latentDim 32.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { fail } from '@ganomaly/common';
import type { ImageInput } from '../../inputs.js';
import type { EvaluationResult, ModelLocation, ScoreOptions } from '../../types.js';
import { createAs, loadAs, BaseDetector, type DetectorSpec, type SavedState, type StatisticsPass, type StepInfo } from '../base.js';
import { numberIn, resolveDetectorConfig, type ConfigKey, type DetectorConfig, type ResolvedDetectorConfig } from '../config.js';
import type { DetectorEvaluateOptions } from '../detector.js';
import { ANOGAN_LAMBDA, ganDiscriminatorLoss, ganGeneratorLoss } from './losses.js';
import { ANOGAN_NETWORK_KEYS, buildAnoganNetworks, type AnoganNetworks } from './networks.js';
import { searchLatent } from './search.js';

/** Gradient steps of the latent search by default: a fifth of the paper's 500, for cost (see above). */
export const ANOGAN_SEARCH_STEPS = 100;
/**
 * Adam's learning rate on z by default. Measured on MNIST (1 normal, 0 anomalous, 16x16, width
 * 8, 5 epochs): 0.1 for 50 steps gave AUROC 0.935 where 0.05 for 30 steps gave 0.18 and 0.05 for
 * 100 steps 0.942 (seed 1): the search must get far enough from z0 for the score to mean anything.
 */
export const ANOGAN_SEARCH_LEARNING_RATE = 0.1;

export interface AnoganConfig extends DetectorConfig {
  /** λ, the weight of the discrimination (feature) loss in the anomaly loss. Default 0.1 (the paper's). */
  lambda?: number;
  /** Gradient steps of the latent search per image. Default 100 (the paper: 500). */
  searchSteps?: number;
  /** Adam's learning rate of the latent search. Default 0.1. */
  searchLearningRate?: number;
}

export interface ResolvedAnoganConfig extends ResolvedDetectorConfig {
  lossWeights: Record<string, never>;
  lambda: number;
  searchSteps: number;
  searchLearningRate: number;
}

/** Where an AnoGAN scoring call is: reported every 10 search steps of each batch. */
export interface AnoganProgress {
  /** Search steps done for the current batch, and per image. */
  step: number;
  steps: number;
  /** Images of the current batch. */
  batchImages: number;
  /** Images of this call fully scored before the current batch. */
  imagesDone: number;
  /** Images of this call. */
  images: number;
}

/** Scoring options of AnoGAN: progress of the (slow) search and an abort signal. */
export interface AnoganScoreOptions extends ScoreOptions {
  onProgress?: (progress: AnoganProgress) => void | Promise<void>;
  /** Stops scoring between two search steps; the call rejects with an AbortError. */
  signal?: AbortSignal;
}

const intAtLeast = (defaultValue: number, lo: number): ConfigKey<number> => ({
  default: defaultValue,
  check(value, arg, fn) {
    if (!(typeof value === 'number' && Number.isInteger(value) && value >= lo)) fail(arg, fn, `an integer >= ${lo}`, value);
    return value as number;
  },
});

const positive = (defaultValue: number): ConfigKey<number> => ({
  default: defaultValue,
  check(value, arg, fn) {
    if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) fail(arg, fn, 'a finite number > 0', value);
    return value as number;
  },
});

function resolve(config: unknown, fn: string): ResolvedAnoganConfig {
  return resolveDetectorConfig<Record<string, never>, { lambda: number; searchSteps: number; searchLearningRate: number }>(
    config,
    {
      lossWeights: {},
      keys: { lambda: numberIn(ANOGAN_LAMBDA, 0, 1), searchSteps: intAtLeast(ANOGAN_SEARCH_STEPS, 0), searchLearningRate: positive(ANOGAN_SEARCH_LEARNING_RATE) },
    },
    fn,
  ) as ResolvedAnoganConfig;
}

function build(c: ResolvedDetectorConfig): AnoganNetworks {
  return buildAnoganNetworks({
    imageSize: c.imageSize,
    channels: c.channels,
    latentDim: c.latentDim,
    baseWidth: c.baseWidth,
    extraLayers: c.extraLayers,
    batchNormMomentum: c.batchNormMomentum,
    batchNormEpsilon: c.batchNormEpsilon,
    seed: c.seed,
  });
}

/** How many images an input holds (for progress), without reading it. */
function countOf(images: unknown): number {
  if (images instanceof tf.Tensor) return images.rank === 4 ? images.shape[0]! : 1;
  const n = (images as { count?: unknown } | null)?.count;
  return typeof n === 'number' ? n : 0;
}

/** The per-call progress state, keyed by the (copied) options object of one call. */
const progressState = new WeakMap<object, { done: number; images: number }>();
/** The codes found by a `reconstruct` call's search, by its options object. */
const collected = new WeakMap<object, tf.Tensor4D[]>();

/**
 * AnoGAN: G: z -> x and D: x -> (logit, features), trained as a standard GAN (D on real vs G(z),
 * G non-saturating), z ~ N(0, I). The score of an image is the anomaly loss
 * (1 − λ)·Σ|x − G(z)| + λ·Σ|f(x) − f(G(z))| after `searchSteps` Adam steps on z from a seeded z0.
 */
export class Anogan extends BaseDetector<ResolvedAnoganConfig> {
  static readonly kind = 'anogan';
  readonly kind = Anogan.kind;
  protected readonly lossNames = ['generator', 'discriminator'] as const;

  private static readonly spec: DetectorSpec<ResolvedAnoganConfig, Anogan> = {
    kind: Anogan.kind,
    name: 'Anogan',
    networkKeys: ANOGAN_NETWORK_KEYS,
    resolveConfig: resolve,
    buildNetworks: (c) => ({ ...build(c) }),
    make: (networks, config, backend, saved) => new Anogan(networks, config, backend, saved),
  };

  private constructor(networks: Record<string, tfl.LayersModel>, config: ResolvedAnoganConfig, backend: string, saved: SavedState) {
    super(networks, config, backend, ['generator', 'discriminator'], saved);
  }

  /** Builds a new, untrained AnoGAN (selects the backend first: `config.backend`, default 'auto'). */
  static create(config: AnoganConfig = {}): Promise<Anogan> {
    return createAs(config, Anogan.spec);
  }

  /** Loads an AnoGAN saved with `save`. */
  static load(location: ModelLocation, options: { backend?: string } = {}): Promise<Anogan> {
    return loadAs(location, options, Anogan.spec);
  }

  private get g(): tfl.LayersModel {
    return this.net('generator');
  }

  private get d(): tfl.LayersModel {
    return this.net('discriminator');
  }

  private noise(n: number, seed: number): tf.Tensor4D {
    return tf.randomNormal([n, 1, 1, this.config.latentDim], 0, 1, 'float32', seed);
  }

  /** D's step on real x vs G(z), then G's step to fool D with the same z (the DCGAN iteration). */
  protected trainStep(x: tf.Tensor4D, step: StepInfo): tf.Tensor1D {
    const z = this.noise(x.shape[0], step.seed);
    const logit = (images: tf.Tensor) => (this.d.apply(images, { training: true }) as tf.Tensor[])[0]!;
    const dLoss = this.optimizers.discriminator!.minimize(
      () => ganDiscriminatorLoss(logit(x), logit(this.g.apply(z, { training: true }) as tf.Tensor)),
      true,
      this.variables(this.d),
    )!;
    const gLoss = this.optimizers.generator!.minimize(() => ganGeneratorLoss(logit(this.g.apply(z, { training: true }) as tf.Tensor)), true, this.variables(this.g))!;
    return tf.stack([gLoss, dLoss]) as tf.Tensor1D;
  }

  /** AnoGAN's score is a search; `scoreImages` runs it. */
  protected scoreBatch(): tf.Tensor1D {
    throw new Error('Anogan scores by a latent search (scoreImages); scoreBatch is not used.');
  }

  protected override async scoreImages(x: tf.Tensor4D, training: boolean, options: AnoganScoreOptions): Promise<Float32Array> {
    const state = progressState.get(options) ?? { done: 0, images: x.shape[0] };
    const z0 = this.noise(1, (this.config.seed * 48_271 + 11) >>> 0);
    try {
      const r = await searchLatent(this.live('score') as unknown as AnoganNetworks, x, {
        steps: this.config.searchSteps,
        learningRate: this.config.searchLearningRate,
        lambda: this.config.lambda,
        z0,
        training,
        signal: options.signal,
        onStep: options.onProgress
          ? (step, steps) => options.onProgress!({ step, steps, batchImages: x.shape[0], imagesDone: state.done, images: state.images })
          : undefined,
      });
      const codes = collected.get(options);
      if (codes) codes.push(r.z);
      else r.z.dispose();
      state.done += x.shape[0];
      return r.loss;
    } finally {
      z0.dispose();
    }
  }

  /** Not used: the codes come from the (asynchronous) search, see `reconstruct`. */
  protected reconstructBatch(): tf.Tensor4D {
    throw new Error('Anogan reconstructs through its latent search (reconstruct); reconstructBatch is not used.');
  }

  /**
   * G(z) for the code z the search finds for each image: the closest image G can make, as pixel
   * values 0..255, float32 [n, imageSize, imageSize, channels]. As costly as `score`.
   */
  override async reconstruct(images: ImageInput, options: AnoganScoreOptions = {}): Promise<tf.Tensor4D> {
    const o = { ...options };
    const codes: tf.Tensor4D[] = [];
    collected.set(o, codes);
    progressState.set(o, { done: 0, images: countOf(images) });
    try {
      await super.score(images, o);
      return tf.tidy(() => {
        const z = codes.length === 1 ? codes[0]! : tf.concat(codes, 0);
        return tf.mul(tf.add(this.g.apply(z, { training: false }) as tf.Tensor4D, 1), 127.5) as tf.Tensor4D;
      });
    } finally {
      tf.dispose(codes);
    }
  }

  protected statisticsPasses(): StatisticsPass[] {
    // G's BatchNorm sees codes z ~ N(0, I) (its input in training), D's the real images.
    return [{ chain: [this.g], input: (x, seed) => this.noise(x.shape[0], seed) }, { chain: [this.d] }];
  }

  override checkNetworks(): string[] {
    const c = this.config;
    const problems: string[] = [];
    const zIn = this.g.inputs[0]!.shape;
    const xOut = this.g.outputs[0]!.shape;
    const xIn = this.d.inputs[0]!.shape;
    if (zIn[3] !== c.latentDim) problems.push(`the config says latentDim ${c.latentDim}, but the generator takes ${zIn[3]}`);
    if (xOut[1] !== c.imageSize || xOut[3] !== c.channels) problems.push(`the config says ${c.imageSize}x${c.imageSize}x${c.channels} images, but the generator makes ${xOut.slice(1).join('x')}`);
    if (xIn[1] !== c.imageSize || xIn[3] !== c.channels) problems.push(`the config says ${c.imageSize}x${c.imageSize}x${c.channels} images, but the discriminator takes ${xIn.slice(1).join('x')}`);
    return problems;
  }

  // Each public scoring call gets its own progress counter (the options are copied per call).
  override score(images: ImageInput, options: AnoganScoreOptions = {}): Promise<Float32Array> {
    const o = { ...options };
    progressState.set(o, { done: 0, images: countOf(images) });
    return super.score(images, o);
  }

  override evaluate(images: ImageInput, labels: ArrayLike<number>, options: DetectorEvaluateOptions & AnoganScoreOptions = {}): Promise<EvaluationResult> {
    const o = { ...options };
    progressState.set(o, { done: 0, images: countOf(images) });
    return super.evaluate(images, labels, o);
  }
}
