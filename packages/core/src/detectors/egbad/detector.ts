// `egbad` (Zenati et al., 2018, "Efficient GAN-Based Anomaly Detection"): a BiGAN, an encoder E
// learnt with the GAN, so that scoring is one pass (x -> E(x) -> G(E(x)) and D on both pairs)
// instead of AnoGAN's per-image search. Defaults from the authors' MNIST code: latentDim 200,
// Adam lr 1e-5 and beta1 0.5, dropout 0.5 in D, score weight α = 0.9 with feature matching.
// (Their batch size is 100: pass `batchSize: 100` to fit.)
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ModelLocation } from '../../types.js';
import { createAs, loadAs, BaseDetector, type DetectorSpec, type SavedState, type StatisticsPass, type StepInfo } from '../base.js';
import { numberIn, oneOf, resolveDetectorConfig, type DetectorConfig, type ResolvedDetectorConfig } from '../config.js';
import { EGBAD_ALPHA, EGBAD_SCORE_METHODS, biganDiscriminatorLoss, biganEncoderLoss, biganGeneratorLoss, egbadScore, type EgbadScoreMethod } from './losses.js';
import { EGBAD_LATENT_DIM, EGBAD_NETWORK_KEYS, SeededDropout, buildEgbadNetworks } from './networks.js';

/** Adam's learning rate in the authors' MNIST code. */
export const EGBAD_LEARNING_RATE = 1e-5;

export interface EgbadConfig extends DetectorConfig {
  /** α of the score α·‖x − G(E(x))‖₁ + (1 − α)·L_D. Default 0.9 (the code's w = 0.1 on L_D). */
  alpha?: number;
  /** L_D: 'fm' (feature matching on D's intermediate layer, default) or 'cross-entropy'. */
  scoreMethod?: EgbadScoreMethod;
  /** Dropout rate in D. Default 0.5. */
  dropout?: number;
}

export interface ResolvedEgbadConfig extends ResolvedDetectorConfig {
  lossWeights: Record<string, never>;
  alpha: number;
  scoreMethod: EgbadScoreMethod;
  dropout: number;
}

function resolve(config: unknown, fn: string): ResolvedEgbadConfig {
  // The code's defaults where EGBAD's differ from the family's shared ones (latentDim, learning rate).
  const c = config != null && typeof config === 'object' && !Array.isArray(config) ? (config as Record<string, unknown>) : config;
  const withDefaults =
    c && typeof c === 'object'
      ? { ...c, latentDim: (c as EgbadConfig).latentDim ?? EGBAD_LATENT_DIM, learningRate: (c as EgbadConfig).learningRate ?? EGBAD_LEARNING_RATE }
      : c;
  return resolveDetectorConfig<Record<string, never>, { alpha: number; scoreMethod: EgbadScoreMethod; dropout: number }>(
    withDefaults,
    { lossWeights: {}, keys: { alpha: numberIn(EGBAD_ALPHA, 0, 1), scoreMethod: oneOf<EgbadScoreMethod>('fm', EGBAD_SCORE_METHODS), dropout: numberIn(0.5, 0, 0.95) } },
    fn,
  ) as ResolvedEgbadConfig;
}

function build(c: ResolvedEgbadConfig): Record<string, tfl.LayersModel> {
  return {
    ...buildEgbadNetworks({
      imageSize: c.imageSize,
      channels: c.channels,
      latentDim: c.latentDim,
      baseWidth: c.baseWidth,
      batchNormMomentum: c.batchNormMomentum,
      batchNormEpsilon: c.batchNormEpsilon,
      dropout: c.dropout,
      seed: c.seed,
    }),
  };
}

/**
 * EGBAD: E: x -> z, G: z -> x, D(x, z) -> (logit, features), trained as a BiGAN (D tells
 * (x, E(x)) from (G(z), z); G and E fool it). Score α·Σ|x − G(E(x))| + (1 − α)·L_D.
 */
export class Egbad extends BaseDetector<ResolvedEgbadConfig> {
  static readonly kind = 'egbad';
  readonly kind = Egbad.kind;
  protected readonly lossNames = ['generator', 'encoder', 'discriminator'] as const;
  /** D's x branch up to its flatten, sharing D's layers: the model its BatchNorm statistics are computed on. */
  private xBranch: tfl.LayersModel | null = null;

  private static readonly spec: DetectorSpec<ResolvedEgbadConfig, Egbad> = {
    kind: Egbad.kind,
    name: 'Egbad',
    networkKeys: EGBAD_NETWORK_KEYS,
    resolveConfig: resolve,
    buildNetworks: build,
    make: (networks, config, backend, saved) => new Egbad(networks, config, backend, saved),
  };

  private constructor(networks: Record<string, tfl.LayersModel>, config: ResolvedEgbadConfig, backend: string, saved: SavedState) {
    super(networks, config, backend, ['generator', 'encoder', 'discriminator'], saved);
    for (const l of this.dropouts()) l.suspended = true;
  }

  /** Builds a new, untrained EGBAD (selects the backend first: `config.backend`, default 'auto'). */
  static create(config: EgbadConfig = {}): Promise<Egbad> {
    return createAs(config, Egbad.spec);
  }

  /** Loads an EGBAD saved with `save`. */
  static load(location: ModelLocation, options: { backend?: string } = {}): Promise<Egbad> {
    return loadAs(location, options, Egbad.spec);
  }

  private get e(): tfl.LayersModel {
    return this.net('encoder');
  }

  private get g(): tfl.LayersModel {
    return this.net('generator');
  }

  private get d(): tfl.LayersModel {
    return this.net('discriminator');
  }

  private noise(n: number, seed: number): tf.Tensor2D {
    return tf.randomNormal([n, this.config.latentDim], 0, 1, 'float32', seed);
  }

  private dApply(x: tf.Tensor, z: tf.Tensor, training: boolean): [tf.Tensor, tf.Tensor] {
    return this.d.apply([x, z], { training }) as [tf.Tensor, tf.Tensor];
  }

  /**
   * D's step on (x, E(x)) vs (G(z), z), then G's and E's steps against the updated D (the code runs
   * them after D's, on a fresh z). In the code G and E train on a second shuffle of the data; here
   * on the same batch.
   */
  protected trainStep(x: tf.Tensor4D, step: StepInfo): tf.Tensor1D {
    const drops = this.dropouts();
    for (const l of drops) {
      l.suspended = false;
      l.startStep(step.seed);
    }
    try {
      return this.iteration(x, step);
    } finally {
      for (const l of drops) l.suspended = true;
    }
  }

  private iteration(x: tf.Tensor4D, step: StepInfo): tf.Tensor1D {
    const z = this.noise(x.shape[0], step.seed);
    const dLoss = this.optimizers.discriminator!.minimize(
      () => {
        const ex = this.e.apply(x, { training: true }) as tf.Tensor;
        const gz = this.g.apply(z, { training: true }) as tf.Tensor;
        return biganDiscriminatorLoss(this.dApply(x, ex, true)[0], this.dApply(gz, z, true)[0]);
      },
      true,
      this.variables(this.d),
    )!;
    const z2 = this.noise(x.shape[0], (step.seed + 0x9e3779b9) >>> 0);
    const gLoss = this.optimizers.generator!.minimize(
      () => biganGeneratorLoss(this.dApply(this.g.apply(z2, { training: true }) as tf.Tensor, z2, true)[0]),
      true,
      this.variables(this.g),
    )!;
    const eLoss = this.optimizers.encoder!.minimize(
      () => biganEncoderLoss(this.dApply(x, this.e.apply(x, { training: true }) as tf.Tensor, true)[0]),
      true,
      this.variables(this.e),
    )!;
    return tf.stack([gLoss, eLoss, dLoss]) as tf.Tensor1D;
  }

  /** D's dropout layers, on only inside `trainStep` (scoring and the statistics passes run without it, as the code scores). */
  private dropouts(): SeededDropout[] {
    return this.d.layers.filter((l): l is SeededDropout => l instanceof SeededDropout);
  }

  protected scoreBatch(x: tf.Tensor4D, training: boolean): tf.Tensor1D {
    const z = this.e.apply(x, { training }) as tf.Tensor;
    const xHat = this.g.apply(z, { training }) as tf.Tensor4D;
    const [, featuresReal] = this.dApply(x, z, training);
    const [logitsReconstructed, featuresReconstructed] = this.dApply(xHat, z, training);
    return egbadScore({ x, xHat, featuresReal, featuresReconstructed, logitsReconstructed }, this.config.alpha, this.config.scoreMethod);
  }

  protected reconstructBatch(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    // D plays no part: x̂ = G(E(x)).
    return this.g.apply(this.e.apply(x, { training }) as tf.Tensor, { training }) as tf.Tensor4D;
  }

  /** D's x branch up to its flatten, on D's own layers and nodes (shared weights): what D's BatchNorm statistics are computed on. */
  private discriminatorXBranch(): tfl.LayersModel {
    if (!this.xBranch) {
      const d = this.d;
      const flatten = d.layers.find((l) => l.name.endsWith('_x_flatten'));
      if (!flatten) throw new Error("EGBAD's discriminator has no x-branch flatten layer.");
      this.xBranch = tfl.model({ inputs: d.inputs[0]!, outputs: flatten.output as tfl.SymbolicTensor });
    }
    return this.xBranch;
  }

  protected statisticsPasses(): StatisticsPass[] {
    // As in training: E on the images; G on codes z ~ N(0, I) (it never sees E(x) in training);
    // D's only BatchNorm is in its x branch, which the real images feed (dropout is off outside
    // trainStep, so these are the statistics of what the BatchNorm sees when scoring).
    return [
      { chain: [this.e] },
      { chain: [this.g], input: (x, seed) => this.noise(x.shape[0], seed) },
      { chain: [this.discriminatorXBranch()] },
    ];
  }

  override checkNetworks(): string[] {
    const c = this.config;
    const problems: string[] = [];
    const xIn = this.e.inputs[0]!.shape;
    const zOut = this.e.outputs[0]!.shape;
    const xOut = this.g.outputs[0]!.shape;
    const [dx, dz] = this.d.inputs.map((i) => i.shape);
    const img = `${c.imageSize}x${c.imageSize}x${c.channels}`;
    if (xIn[1] !== c.imageSize || xIn[3] !== c.channels) problems.push(`the config says ${img} images, but the encoder takes ${xIn.slice(1).join('x')}`);
    if (zOut[1] !== c.latentDim) problems.push(`the config says latentDim ${c.latentDim}, but the encoder outputs ${zOut[1]}`);
    if (xOut[1] !== c.imageSize || xOut[3] !== c.channels) problems.push(`the config says ${img} images, but the generator makes ${xOut.slice(1).join('x')}`);
    if (!dx || !dz || dx[1] !== c.imageSize || dz[1] !== c.latentDim) problems.push(`the discriminator does not take (${img} images, ${c.latentDim}-d codes)`);
    return problems;
  }

  override dispose(): void {
    // The x-branch view shares D's layers; dropping the reference is enough (D disposes them).
    this.xBranch = null;
    super.dispose();
  }
}
