// EGBAD's networks (Zenati et al., 2018, "Efficient GAN-Based Anomaly Detection"), as in the
// authors' MNIST BiGAN (houssamzenati/Efficient-GAN-Anomaly-Detection, bigan/mnist_utilities.py),
// for any power-of-two image size >= 16 and any channel count. With baseWidth w (default 64) the
// widths are the code's exactly: E 32/64/128, G 1024/128/64, D 64/64, 512, 1024.
//
// - Encoder E: x -> z [n, latentDim]. Conv3x3 s1 (w/2) + LeakyReLU(0.1); Conv3x3 s2 (w) + BN +
//   LeakyReLU; Conv3x3 s2 (2w) + BN + LeakyReLU; flatten; Dense(latentDim).
// - Generator G: z -> x. Dense(16w) + BN + ReLU; Dense((s/4)²·2w) + BN + ReLU; reshape to
//   [s/4, s/4, 2w]; ConvT4x4 s2 (w) + BN + ReLU; ConvT4x4 s2 (c) + tanh.
// - Discriminator D(x, z): x branch Conv4x4 s2 (w) + LeakyReLU(0.1) + dropout; Conv4x4 s2 (w) +
//   BN + LeakyReLU + dropout; flatten. z branch Dense(8w) + LeakyReLU + dropout. Joint: concat,
//   Dense(16w) + LeakyReLU + dropout = the features f(x, z) (the code's intermediate layer, used
//   by the feature-matching score); Dense(1) = the logit.
// Kernels N(0, 0.02) (the code's init_kernel), biases 0; BatchNorm gamma 1, beta 0 (TensorFlow's
// defaults, which that code keeps); dropout rate 0.5. The code's exponential moving average of
// the weights for testing is not reproduced (none of this library's detectors keep one).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { fail } from '@ganomaly/common';
import { SeededInit, resolveNetworkOptions, type NetworkOptions } from '@ganomaly/models';

/**
 * Dropout whose masks are drawn from its seed, a step seed and a call counter: the same seeds give
 * the same masks, so training is deterministic (tfjs's Dropout with a seed draws the SAME mask at
 * every call; without one it draws from Math.random). `startStep(seed)` (EGBAD calls it at each
 * training step with the step's seed) restarts the counter, so a run resumed from a checkpoint
 * draws what an uninterrupted one does. Identity outside training. Registered for serialisation,
 * so saved models load.
 */
export class SeededDropout extends tfl.layers.Layer {
  static className = 'GanomalySeededDropout';
  readonly rate: number;
  readonly seed: number;
  /** While true the layer is the identity in training mode too (EGBAD keeps dropout to its training steps). */
  suspended = false;
  private stepSeed = 0;
  private calls = 0;

  constructor(args: { rate: number; seed: number; name?: string; trainable?: boolean }) {
    super(args);
    this.rate = args.rate;
    this.seed = args.seed;
  }

  /** The masks of the next calls are drawn from (seed, stepSeed, 1), (seed, stepSeed, 2), ... */
  startStep(stepSeed: number): void {
    this.stepSeed = stepSeed >>> 0;
    this.calls = 0;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (!kwargs['training'] || this.suspended || !(this.rate > 0)) return x;
    this.calls++;
    // An integer hash of (seed, step seed, call), as SeededInit derives its layer seeds.
    let h = (Math.imul(this.seed, 0x9e3779b1) + Math.imul(this.stepSeed ^ 0x5bd1e995, 0xc2b2ae35) + Math.imul(this.calls, 0x85ebca6b)) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
    h = (Math.imul(h ^ (h >>> 15), 0x846ca68b) ^ (h >>> 16)) >>> 0;
    return tf.dropout(x, this.rate, undefined, h);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
tf.serialization.registerClass(SeededDropout);

export interface EgbadNetworks {
  /** E: x [n, s, s, c] -> z [n, latentDim] */
  encoder: tfl.LayersModel;
  /** G: z [n, latentDim] -> x [n, s, s, c] in [-1, 1] */
  generator: tfl.LayersModel;
  /** D: [x, z] -> [logit [n, 1], features f(x, z) [n, 16w]] */
  discriminator: tfl.LayersModel;
}

export const EGBAD_NETWORK_KEYS = ['encoder', 'generator', 'discriminator'] as const;

/** Latent size of the authors' MNIST code. */
export const EGBAD_LATENT_DIM = 200;

export interface EgbadNetworkOptions extends NetworkOptions {
  /** Dropout rate in D. Default 0.5 (the code's). */
  dropout?: number;
}

type S = tfl.SymbolicTensor;

function builders(o: ReturnType<typeof resolveNetworkOptions>, init: SeededInit) {
  const p = o.name;
  const kernel = () => init.conv();
  return {
    conv: (filters: number, kernelSize: number, strides: number, name: string) =>
      tfl.layers.conv2d({ filters, kernelSize, strides, padding: 'same', kernelInitializer: kernel(), biasInitializer: 'zeros', name: `${p}_${name}` }),
    convT: (filters: number, name: string) =>
      tfl.layers.conv2dTranspose({ filters, kernelSize: 4, strides: 2, padding: 'same', kernelInitializer: kernel(), biasInitializer: 'zeros', name: `${p}_${name}` }),
    dense: (units: number, name: string) => tfl.layers.dense({ units, kernelInitializer: kernel(), biasInitializer: 'zeros', name: `${p}_${name}` }),
    bn: (name: string) =>
      tfl.layers.batchNormalization({ momentum: o.batchNormMomentum, epsilon: o.batchNormEpsilon, gammaInitializer: 'ones', betaInitializer: 'zeros', name: `${p}_${name}` }),
    lrelu: (name: string) => tfl.layers.leakyReLU({ alpha: 0.1, name: `${p}_${name}` }),
    relu: (name: string) => tfl.layers.reLU({ name: `${p}_${name}` }),
  };
}

/** E: x -> z. */
export function egbadEncoder(options: NetworkOptions): tfl.LayersModel {
  const o = resolveNetworkOptions(options, 'egbadEncoder', 'encoder');
  const b = builders(o, new SeededInit(o.seed));
  const w = o.baseWidth;
  const input = tfl.input({ shape: [o.imageSize, o.imageSize, o.channels], name: `${o.name}_input` });
  let x = b.conv(Math.max(1, w / 2), 3, 1, 'conv1').apply(input) as S;
  x = b.lrelu('lrelu1').apply(x) as S;
  x = b.conv(w, 3, 2, 'conv2').apply(x) as S;
  x = b.bn('bn2').apply(x) as S;
  x = b.lrelu('lrelu2').apply(x) as S;
  x = b.conv(2 * w, 3, 2, 'conv3').apply(x) as S;
  x = b.bn('bn3').apply(x) as S;
  x = b.lrelu('lrelu3').apply(x) as S;
  x = tfl.layers.flatten({ name: `${o.name}_flatten` }).apply(x) as S;
  const z = b.dense(o.latentDim, 'fc').apply(x) as S;
  return tfl.model({ inputs: input, outputs: z, name: o.name });
}

/** G: z -> x. */
export function egbadGenerator(options: NetworkOptions): tfl.LayersModel {
  const o = resolveNetworkOptions(options, 'egbadGenerator', 'generator');
  const b = builders(o, new SeededInit(o.seed));
  const w = o.baseWidth;
  const q = o.imageSize / 4;
  const input = tfl.input({ shape: [o.latentDim], name: `${o.name}_input` });
  let x = b.dense(16 * w, 'fc1').apply(input) as S;
  x = b.bn('bn1').apply(x) as S;
  x = b.relu('relu1').apply(x) as S;
  x = b.dense(q * q * 2 * w, 'fc2').apply(x) as S;
  x = b.bn('bn2').apply(x) as S;
  x = b.relu('relu2').apply(x) as S;
  x = tfl.layers.reshape({ targetShape: [q, q, 2 * w], name: `${o.name}_reshape` }).apply(x) as S;
  x = b.convT(w, 'convt3').apply(x) as S;
  x = b.bn('bn3').apply(x) as S;
  x = b.relu('relu3').apply(x) as S;
  x = b.convT(o.channels, 'convt4').apply(x) as S;
  const out = tfl.layers.activation({ activation: 'tanh', name: `${o.name}_tanh` }).apply(x) as S;
  return tfl.model({ inputs: input, outputs: out, name: o.name });
}

/** D: [x, z] -> [logit, features]. */
export function egbadDiscriminator(options: EgbadNetworkOptions): tfl.LayersModel {
  const o = resolveNetworkOptions(options, 'egbadDiscriminator', 'discriminator');
  const rate = options.dropout ?? 0.5;
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) fail('dropout', 'egbadDiscriminator', 'a number in [0, 1)', rate);
  const init = new SeededInit(o.seed);
  const b = builders(o, init);
  const w = o.baseWidth;
  let drops = 0;
  const drop = (name: string) => new SeededDropout({ rate, seed: (o.seed * 7919 + ++drops) >>> 0, name: `${o.name}_${name}` });
  const xIn = tfl.input({ shape: [o.imageSize, o.imageSize, o.channels], name: `${o.name}_x` });
  const zIn = tfl.input({ shape: [o.latentDim], name: `${o.name}_z` });
  let x = b.conv(w, 4, 2, 'x_conv1').apply(xIn) as S;
  x = b.lrelu('x_lrelu1').apply(x) as S;
  x = drop('x_drop1').apply(x) as S;
  x = b.conv(w, 4, 2, 'x_conv2').apply(x) as S;
  x = b.bn('x_bn2').apply(x) as S;
  x = b.lrelu('x_lrelu2').apply(x) as S;
  x = drop('x_drop2').apply(x) as S;
  x = tfl.layers.flatten({ name: `${o.name}_x_flatten` }).apply(x) as S;
  let z = b.dense(8 * w, 'z_fc1').apply(zIn) as S;
  z = b.lrelu('z_lrelu1').apply(z) as S;
  z = drop('z_drop1').apply(z) as S;
  let y = tfl.layers.concatenate({ axis: -1, name: `${o.name}_concat` }).apply([x, z]) as S;
  y = b.dense(16 * w, 'y_fc1').apply(y) as S;
  y = b.lrelu('y_lrelu1').apply(y) as S;
  const features = drop('y_drop1').apply(y) as S;
  const logit = b.dense(1, 'y_logit').apply(features) as S;
  return tfl.model({ inputs: [xIn, zIn], outputs: [logit, features], name: o.name });
}

/** Builds E, G and D; each gets its own seed derived from `options.seed`. Default latentDim 200. */
export function buildEgbadNetworks(options: EgbadNetworkOptions): EgbadNetworks {
  const o = resolveNetworkOptions({ ...options, latentDim: options.latentDim ?? EGBAD_LATENT_DIM }, 'buildEgbadNetworks', 'egbad');
  const rate = options.dropout ?? 0.5;
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) fail('dropout', 'buildEgbadNetworks', 'a number in [0, 1)', rate);
  return {
    encoder: egbadEncoder({ ...o, seed: o.seed * 3 + 1, name: 'encoder' }),
    generator: egbadGenerator({ ...o, seed: o.seed * 3 + 2, name: 'generator' }),
    discriminator: egbadDiscriminator({ ...o, dropout: options.dropout, seed: o.seed * 3 + 3, name: 'discriminator' }),
  };
}
