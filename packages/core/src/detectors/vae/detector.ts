// `vae`: a variational autoencoder on GANomaly's DCGAN encoder and decoder. The encoder gives the
// mean and log-variance of q(z|x); training decodes a reparameterised sample z = μ + σ·ε and
// minimises reconstruction + KL; scoring decodes z = μ and scores the reconstruction error (or
// the negative ELBO).
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ModelLocation } from '../../types.js';
import { checkImageNetworks } from '../autoencoder/detector.js';
import { createAs, loadAs, BaseDetector, type DetectorSpec, type SavedState, type StatisticsPass, type StepInfo } from '../base.js';
import { oneOf, resolveDetectorConfig, type DetectorConfig, type ResolvedDetectorConfig } from '../config.js';
import { reparameterize, vaeLoss, vaeScore } from './losses.js';
import { VAE_NETWORKS, buildVaeNetworks } from './networks.js';

export const VAE_SCORE_VARIANTS = ['reconstruction', 'elbo'] as const;
export type VaeScoreVariant = (typeof VAE_SCORE_VARIANTS)[number];

export interface VaeLossWeights {
  /** Weight of Σ(x − x̂)². Default 1. */
  reconstruction: number;
  /** Weight of the KL term (β of a β-VAE). Default 1. */
  kl: number;
}

export interface VaeConfig extends DetectorConfig {
  lossWeights?: Partial<VaeLossWeights>;
  /** 'reconstruction' (default): mean (x − x̂)² per image; 'elbo': the negative ELBO. */
  scoreVariant?: VaeScoreVariant;
}

export type ResolvedVaeConfig = ResolvedDetectorConfig & { lossWeights: VaeLossWeights; scoreVariant: VaeScoreVariant };

export const VAE_LOSS_WEIGHTS: Readonly<VaeLossWeights> = Object.freeze({ reconstruction: 1, kl: 1 });

function resolve(config: unknown, fn: string): ResolvedVaeConfig {
  return resolveDetectorConfig<VaeLossWeights & Record<string, number>, { scoreVariant: VaeScoreVariant }>(
    config,
    { lossWeights: VAE_LOSS_WEIGHTS, keys: { scoreVariant: oneOf<VaeScoreVariant>('reconstruction', VAE_SCORE_VARIANTS) } },
    fn,
  );
}

/** A VAE: loss = Σ(x − x̂)² + KL per image (batch mean); score = reconstruction error from z = μ. */
export class Vae extends BaseDetector<ResolvedVaeConfig> {
  static readonly kind = 'vae';
  readonly kind = Vae.kind;
  protected readonly lossNames = ['loss', 'reconstruction', 'kl'] as const;

  private static readonly spec: DetectorSpec<ResolvedVaeConfig, Vae> = {
    kind: Vae.kind,
    name: 'Vae',
    networkKeys: VAE_NETWORKS,
    resolveConfig: resolve,
    buildNetworks: (c) => ({ ...buildVaeNetworks(c) }),
    make: (networks, config, backend, saved) => new Vae(networks, config, backend, saved),
  };

  private constructor(networks: Record<string, tfl.LayersModel>, config: ResolvedVaeConfig, backend: string, saved: SavedState) {
    super(networks, config, backend, ['model'], saved);
  }

  /** Builds a new, untrained VAE (selects the backend first: `config.backend`, default 'auto'). */
  static create(config: VaeConfig = {}): Promise<Vae> {
    return createAs(config, Vae.spec);
  }

  /** Loads a VAE saved with `save`. */
  static load(location: ModelLocation, options: { backend?: string } = {}): Promise<Vae> {
    return loadAs(location, options, Vae.spec);
  }

  private encode(x: tf.Tensor4D, training: boolean): [tf.Tensor, tf.Tensor] {
    return this.net('encoder').apply(x, { training }) as [tf.Tensor, tf.Tensor];
  }

  private decode(z: tf.Tensor, training: boolean): tf.Tensor4D {
    return this.net('decoder').apply(z, { training }) as tf.Tensor4D;
  }

  protected trainStep(x: tf.Tensor4D, step: StepInfo): tf.Tensor1D {
    let parts: tf.Scalar[] = [];
    const loss = this.optimizers.model!.minimize(
      () => {
        const [mean, logVariance] = this.encode(x, true);
        const xHat = this.decode(reparameterize(mean, logVariance, step.seed), true);
        const l = vaeLoss(x, xHat, mean, logVariance, this.config.lossWeights);
        parts = [tf.keep(l.reconstruction), tf.keep(l.kl)];
        return l.loss;
      },
      true,
      this.variables(this.net('encoder'), this.net('decoder')),
    )!;
    const out = tf.stack([loss, ...parts]) as tf.Tensor1D;
    // Kept out of minimize's tidy, so released here.
    tf.dispose(parts);
    return out;
  }

  protected scoreBatch(x: tf.Tensor4D, training: boolean): tf.Tensor1D {
    const [mean, logVariance] = this.encode(x, training);
    return vaeScore(x, this.decode(mean, training), mean, logVariance, this.config.scoreVariant, this.config.lossWeights);
  }

  protected reconstructBatch(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return this.decode(this.encode(x, training)[0], training);
  }

  protected statisticsPasses(): StatisticsPass[] {
    // The decoder's statistics are those of decoding the mean, as scoring does.
    return [{ chain: [this.net('encoder'), this.net('decoder')] }];
  }

  override checkNetworks(): string[] {
    const problems = checkImageNetworks(this.config, this.net('encoder'), this.net('decoder'));
    if (this.net('encoder').outputs.length !== 2) problems.push('the encoder must output the mean and the log-variance');
    return problems;
  }
}
