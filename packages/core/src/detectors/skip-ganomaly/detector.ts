// `skip-ganomaly` (Akcay, Atapour-Abarghouei & Breckon, IJCNN 2019): GANomaly's follow-up. A
// U-Net generator reconstructs x through skip connections at every scale, trained adversarially
// against GANomaly's DCGAN discriminator with the authors' code's losses and weights (w_adv 1,
// w_con 50, w_lat 1); D is re-initialised when its loss collapses, as there. Score = 0.9·(image
// error) + 0.1·(feature error); `calibrate` scales it on held-out images (the authors scale it on
// the test set).
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ValueError, checkFiniteNumber } from '@ganomaly/common';
import { estimateModelSize, type ModelSizeEstimate } from '../../limits.js';
import type { ModelLocation } from '../../types.js';
import { createAs, loadAs, BaseDetector, type DetectorSpec, type SavedState, type StatisticsPass } from '../base.js';
import { DETECTOR_CONFIG_DEFAULTS, numberIn, resolveDetectorConfig, type DetectorConfig, type ResolvedDetectorConfig } from '../config.js';
import { SKIP_GANOMALY_LOSS_WEIGHTS, discriminatorLosses, generatorLosses, skipGanomalyScore, type SkipGanomalyLossWeights } from './losses.js';
import { SKIP_GANOMALY_NETWORKS, buildSkipGanomalyNetworks, unetSize } from './networks.js';

export interface SkipGanomalyConfig extends DetectorConfig {
  /** w_adv, w_con, w_lat. Default 1, 50, 1 (the authors' code). */
  lossWeights?: Partial<SkipGanomalyLossWeights>;
  /** λ of the score λ·reconstruction + (1 − λ)·latent. Default 0.9. */
  scoreWeight?: number;
  /** Re-initialise D when its loss falls below this. Default 1e-5 (the authors' code); 0 disables. */
  discriminatorResetThreshold?: number;
}

export type ResolvedSkipGanomalyConfig = ResolvedDetectorConfig & {
  lossWeights: SkipGanomalyLossWeights;
  scoreWeight: number;
  discriminatorResetThreshold: number;
};

function resolve(config: unknown, fn: string): ResolvedSkipGanomalyConfig {
  const c = resolveSkipConfig(config, fn);
  // The shared keys Skip-GANomaly's networks do not use are refused when a model is made (a model
  // saved with them before they were refused still loads; they change nothing in it).
  if (!fn.endsWith('.load')) {
    if (c.latentDim !== DETECTOR_CONFIG_DEFAULTS.latentDim) {
      throw new ValueError(
        `Argument 'config.latentDim' passed to '${fn}' is ${c.latentDim}, but Skip-GANomaly has no latent code to size: its U-Net generator maps x to x̂ through skip connections, with no bottleneck vector, and its score reads D's feature map. Leave latentDim out (or at its default ${DETECTOR_CONFIG_DEFAULTS.latentDim}).`,
      );
    }
    if (c.extraLayers !== DETECTOR_CONFIG_DEFAULTS.extraLayers) {
      throw new ValueError(
        `Argument 'config.extraLayers' passed to '${fn}' is ${c.extraLayers}, but Skip-GANomaly's U-Net has no extra layers (its depth is log2(imageSize) levels) and the library keeps its discriminator as the authors' code builds it. Leave extraLayers out (or at ${DETECTOR_CONFIG_DEFAULTS.extraLayers}).`,
      );
    }
  }
  return c;
}

/** The size of Skip-GANomaly's networks: the U-Net (exact) and GANomaly's D (the DCGAN estimate's share of one network, applied to x and x̂). */
export function estimateSkipGanomalySize(c: ResolvedDetectorConfig): ModelSizeEstimate {
  const unet = unetSize(c);
  const dcgan = estimateModelSize({ ...c, latentDim: 1 });
  return {
    parameters: unet.parameters + Math.round((dcgan.parameters - 16) / 4) + 16,
    activationBytesPerImage: unet.activationBytesPerImage + dcgan.activationBytesPerImage / 2,
  };
}

function resolveSkipConfig(config: unknown, fn: string): ResolvedSkipGanomalyConfig {
  return resolveDetectorConfig<SkipGanomalyLossWeights & Record<string, number>, { scoreWeight: number; discriminatorResetThreshold: number }>(
    config,
    {
      lossWeights: SKIP_GANOMALY_LOSS_WEIGHTS,
      keys: {
        scoreWeight: numberIn(0.9, 0, 1),
        discriminatorResetThreshold: { default: 1e-5, check: (v, arg, f) => checkFiniteNumber(v, arg, f) },
      },
    },
    fn,
  );
}

/** Skip-GANomaly: U-Net G, DCGAN D; score = 0.9·mean (x − x̂)² + 0.1·mean (f(x) − f(x̂))². */
export class SkipGanomaly extends BaseDetector<ResolvedSkipGanomalyConfig> {
  static readonly kind = 'skip-ganomaly';
  readonly kind = SkipGanomaly.kind;
  protected readonly lossNames = ['generator', 'discriminator', 'adversarial', 'contextual', 'latent'] as const;

  private static readonly spec: DetectorSpec<ResolvedSkipGanomalyConfig, SkipGanomaly> = {
    kind: SkipGanomaly.kind,
    name: 'SkipGanomaly',
    networkKeys: SKIP_GANOMALY_NETWORKS,
    resolveConfig: resolve,
    buildNetworks: (c) => ({ ...buildSkipGanomalyNetworks(c) }),
    make: (networks, config, backend, saved) => new SkipGanomaly(networks, config, backend, saved),
    estimateSize: estimateSkipGanomalySize,
    sizeLabel: "Skip-GANomaly's U-Net G and D at ",
  };

  private constructor(networks: Record<string, tfl.LayersModel>, config: ResolvedSkipGanomalyConfig, backend: string, saved: SavedState) {
    super(networks, config, backend, ['generator', 'discriminator'], saved);
  }

  /** Builds a new, untrained Skip-GANomaly (selects the backend first: `config.backend`, default 'auto'). */
  static create(config: SkipGanomalyConfig = {}): Promise<SkipGanomaly> {
    return createAs(config, SkipGanomaly.spec);
  }

  /** Loads a Skip-GANomaly model saved with `save`. */
  static load(location: ModelLocation, options: { backend?: string } = {}): Promise<SkipGanomaly> {
    return loadAs(location, options, SkipGanomaly.spec);
  }

  private discriminate(x: tf.Tensor, training: boolean): [tf.Tensor, tf.Tensor] {
    return this.net('discriminator').apply(x, { training }) as [tf.Tensor, tf.Tensor];
  }

  /** G's Adam step, then D's on the x̂ G made before its update (detached), as the authors' code. */
  protected trainStep(x: tf.Tensor4D): tf.Tensor1D {
    const G = this.net('generator');
    const D = this.net('discriminator');
    const w = this.config.lossWeights;
    let fake: tf.Tensor4D | null = null;
    let parts: tf.Scalar[] = [];
    const gLoss = this.optimizers.generator!.minimize(
      () => {
        const xHat = G.apply(x, { training: true }) as tf.Tensor4D;
        const [, featReal] = this.discriminate(x, true);
        const [predFake, featFake] = this.discriminate(xHat, true);
        const l = generatorLosses(x, xHat, predFake, featReal, featFake, w);
        fake = tf.keep(xHat);
        parts = [tf.keep(l.adversarial), tf.keep(l.contextual), tf.keep(l.latent)];
        return l.loss;
      },
      true,
      this.variables(G),
    )!;
    const dLoss = this.optimizers.discriminator!.minimize(
      () => {
        const [predReal, featReal] = this.discriminate(x, true);
        const [predFake, featFake] = this.discriminate(fake!, true);
        return discriminatorLosses(predReal, predFake, featReal, featFake, w);
      },
      true,
      this.variables(D),
    )!;
    const out = tf.stack([gLoss, dLoss, ...parts]) as tf.Tensor1D;
    tf.dispose([fake!, ...parts]);
    return out;
  }

  protected override afterStep(losses: readonly number[]): void {
    if (losses[1]! < this.config.discriminatorResetThreshold) this.reinitialize(this.net('discriminator'));
  }

  protected scoreBatch(x: tf.Tensor4D, training: boolean): tf.Tensor1D {
    const xHat = this.net('generator').apply(x, { training }) as tf.Tensor4D;
    const [, featReal] = this.discriminate(x, training);
    const [, featFake] = this.discriminate(xHat, training);
    return skipGanomalyScore(x, xHat, featReal, featFake, this.config.scoreWeight);
  }

  protected reconstructBatch(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return this.net('generator').apply(x, { training }) as tf.Tensor4D;
  }

  protected statisticsPasses(): StatisticsPass[] {
    // D scores x and x̂; its statistics are recomputed over the training images, G's over its pass.
    return [{ chain: [this.net('generator')] }, { chain: [this.net('discriminator')] }];
  }

  override checkNetworks(): string[] {
    const c = this.config;
    const problems: string[] = [];
    const gIn = this.net('generator').inputs[0]!.shape;
    const gOut = this.net('generator').outputs[0]!.shape;
    const dIn = this.net('discriminator').inputs[0]!.shape;
    const want = `${c.imageSize}x${c.imageSize}x${c.channels}`;
    if (gIn.slice(1).join('x') !== want || gOut.slice(1).join('x') !== want) problems.push(`the config says ${want} images, but the generator maps ${gIn.slice(1).join('x')} to ${gOut.slice(1).join('x')}`);
    if (dIn.slice(1).join('x') !== want) problems.push(`the discriminator takes ${dIn.slice(1).join('x')} images`);
    return problems;
  }
}
