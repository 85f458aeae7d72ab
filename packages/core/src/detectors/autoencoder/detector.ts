// `autoencoder`: the baseline of the family. GANomaly's encoder and decoder trained on an L1
// reconstruction loss alone; score = mean |x − x̂|. What GANomaly adds (the second encoder, the
// adversarial loss) is measured against it.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ModelLocation } from '../../types.js';
import { createAs, loadAs, BaseDetector, type DetectorSpec, type SavedState, type StatisticsPass } from '../base.js';
import { resolveDetectorConfig, type DetectorConfig, type ResolvedDetectorConfig } from '../config.js';
import { reconstructionLoss, reconstructionScore } from './losses.js';
import { AUTOENCODER_NETWORKS, buildAutoencoderNetworks } from './networks.js';

/** The autoencoder's config: the shared keys only (image size, widths, Adam, BatchNorm, seed). */
export type AutoencoderConfig = DetectorConfig;

export type ResolvedAutoencoderConfig = ResolvedDetectorConfig & { lossWeights: Record<string, never> };

function resolve(config: unknown, fn: string): ResolvedAutoencoderConfig {
  return resolveDetectorConfig<Record<string, never>, object>(config, { lossWeights: {}, keys: {} }, fn) as ResolvedAutoencoderConfig;
}

/** A convolutional autoencoder: x -> z -> x̂ with L1 reconstruction loss; score = mean |x − x̂| per image. */
export class Autoencoder extends BaseDetector<ResolvedAutoencoderConfig> {
  static readonly kind = 'autoencoder';
  readonly kind = Autoencoder.kind;
  protected readonly lossNames = ['reconstruction'] as const;

  private static readonly spec: DetectorSpec<ResolvedAutoencoderConfig, Autoencoder> = {
    kind: Autoencoder.kind,
    name: 'Autoencoder',
    networkKeys: AUTOENCODER_NETWORKS,
    resolveConfig: resolve,
    buildNetworks: (c) => ({ ...buildAutoencoderNetworks(c) }),
    make: (networks, config, backend, saved) => new Autoencoder(networks, config, backend, saved),
  };

  private constructor(networks: Record<string, tfl.LayersModel>, config: ResolvedAutoencoderConfig, backend: string, saved: SavedState) {
    super(networks, config, backend, ['model'], saved);
  }

  /** Builds a new, untrained autoencoder (selects the backend first: `config.backend`, default 'auto'). */
  static create(config: AutoencoderConfig = {}): Promise<Autoencoder> {
    return createAs(config, Autoencoder.spec);
  }

  /** Loads an autoencoder saved with `save`. */
  static load(location: ModelLocation, options: { backend?: string } = {}): Promise<Autoencoder> {
    return loadAs(location, options, Autoencoder.spec);
  }

  private forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const z = this.net('encoder').apply(x, { training }) as tf.Tensor;
    return this.net('decoder').apply(z, { training }) as tf.Tensor4D;
  }

  protected trainStep(x: tf.Tensor4D): tf.Tensor1D {
    const loss = this.optimizers.model!.minimize(
      () => reconstructionLoss(x, this.forward(x, true)),
      true,
      this.variables(this.net('encoder'), this.net('decoder')),
    )!;
    return tf.reshape(loss, [1]) as tf.Tensor1D;
  }

  protected scoreBatch(x: tf.Tensor4D, training: boolean): tf.Tensor1D {
    return reconstructionScore(x, this.forward(x, training));
  }

  protected reconstructBatch(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return this.forward(x, training);
  }

  protected statisticsPasses(): StatisticsPass[] {
    return [{ chain: [this.net('encoder'), this.net('decoder')] }];
  }

  override checkNetworks(): string[] {
    return checkImageNetworks(this.config, this.net('encoder'), this.net('decoder'));
  }
}

/** What does not match between an encoder x -> z, a decoder z -> x and the config (image size, channels, latentDim). */
export function checkImageNetworks(c: ResolvedDetectorConfig, encoder: tfl.LayersModel, decoder: tfl.LayersModel): string[] {
  const problems: string[] = [];
  const inShape = encoder.inputs[0]!.shape;
  const zShape = encoder.outputs[0]!.shape;
  const outShape = decoder.outputs[0]!.shape;
  if (inShape[1] !== c.imageSize || inShape[3] !== c.channels) problems.push(`the config says ${c.imageSize}x${c.imageSize}x${c.channels} images, but the encoder takes ${inShape.slice(1).join('x')}`);
  if (zShape[3] !== c.latentDim) problems.push(`the config says latentDim ${c.latentDim}, but the encoder outputs ${zShape[3]}`);
  if (outShape[1] !== c.imageSize || outShape[3] !== c.channels) problems.push(`the config says ${c.imageSize}x${c.imageSize}x${c.channels} images, but the decoder outputs ${outShape.slice(1).join('x')}`);
  return problems;
}
