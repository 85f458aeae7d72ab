// Skip-GANomaly's networks (Akcay et al., IJCNN 2019; the authors' code, lib/models/networks.py):
// a U-Net generator, pix2pix's UnetGenerator with log2(imageSize) stride-2 levels, and GANomaly's
// DCGAN discriminator (prediction and the feature map f(x)).
//
// The U-Net, level by level from the outside in (widths w_i = baseWidth·min(2^i, 8)):
//   down_0 = Conv(w_0, 4/2/1)(x)
//   down_i = BN(Conv(w_i, 4/2/1)(LeakyReLU_0.2(down_{i-1})))      (no BN at the innermost level)
//   up_innermost = BN(ConvT(w_{D-2}, 4/2/1)(ReLU(down_{D-1})))
//   up_i = BN(ConvT(w_{i-1}, 4/2/1)(ReLU(concat(LeakyReLU(down_i), up_{i+1}))))
//   x̂ = Tanh(ConvT(channels, 4/2/1, with bias)(ReLU(concat(LeakyReLU(down_0), up_1))))
// The skip connections concatenate the activated down features: pix2pix applies its LeakyReLU in
// place, so the tensor it concatenates is the activated one. Convolutions carry no bias (BatchNorm
// follows) except the last; weights N(0, 0.02), BatchNorm gamma N(1, 0.02), as the authors'
// init_weights.
import * as tfl from '@tensorflow/tfjs-layers';
import { SeededInit, buildDiscriminator } from '@ganomaly/models';
import type { ResolvedDetectorConfig } from '../config.js';

export const SKIP_GANOMALY_NETWORKS = ['generator', 'discriminator'] as const;

export interface SkipGanomalyNetworks {
  /** The U-Net G: x [n, s, s, c] -> x̂ in [-1, 1] */
  generator: tfl.LayersModel;
  /** D: x -> [probability real [n, 1], features f(x)] */
  discriminator: tfl.LayersModel;
}

/** The widths of the U-Net's levels, outermost first: baseWidth·min(2^i, 8) for i < log2(imageSize). */
export function unetWidths(imageSize: number, baseWidth: number): number[] {
  return Array.from({ length: Math.log2(imageSize) }, (_, i) => baseWidth * Math.min(2 ** i, 8));
}

/**
 * The parameter count of `buildUnet` (exact: its convolutions, BatchNorm gammas, betas and moving
 * statistics, and the last bias) and an estimate of its training activations per image (bytes), from
 * the config alone: what the size check of `SkipGanomaly.create` bounds.
 */
export function unetSize(o: { imageSize: number; channels: number; baseWidth: number }): { parameters: number; activationBytesPerImage: number } {
  const w = unetWidths(o.imageSize, o.baseWidth);
  const d = w.length;
  let parameters = 16 * o.channels * w[0]!; // down0
  for (let i = 1; i < d; i++) parameters += 16 * w[i - 1]! * w[i]! + (i < d - 1 ? 4 * w[i]! : 0);
  parameters += 16 * w[d - 1]! * w[d - 2]! + 4 * w[d - 2]!; // the innermost up
  for (let i = d - 2; i >= 1; i--) parameters += 16 * 2 * w[i]! * w[i - 1]! + 4 * w[i - 1]!;
  parameters += 16 * 2 * w[0]! * o.channels + o.channels; // the last transposed convolution and its bias
  // Level i's maps are (s / 2^(i+1))² · w_i floats: the down path's conv, BatchNorm and LeakyReLU
  // (3x), the up path's transposed conv, BatchNorm, the concatenation and its ReLU (6x), kept for
  // the backward pass and its gradients (2x), 4 bytes each.
  let floats = 0;
  for (let i = 0; i < d; i++) floats += (o.imageSize / 2 ** (i + 1)) ** 2 * w[i]!;
  return { parameters, activationBytesPerImage: floats * 9 * 2 * 4 };
}

/** The U-Net generator of Skip-GANomaly (pix2pix's UnetGenerator, batch norm, no dropout). */
export function buildUnet(o: { imageSize: number; channels: number; baseWidth: number; batchNormMomentum: number; batchNormEpsilon: number; seed: number; name?: string }): tfl.LayersModel {
  const p = o.name ?? 'generator';
  const init = new SeededInit(o.seed);
  const w = unetWidths(o.imageSize, o.baseWidth);
  const depth = w.length;
  const S = (t: unknown) => t as tfl.SymbolicTensor;
  const conv = (filters: number, name: string) =>
    tfl.layers.conv2d({ filters, kernelSize: 4, strides: 2, padding: 'same', useBias: false, kernelInitializer: init.conv(), name: `${p}_${name}` });
  const convT = (filters: number, name: string, useBias = false) =>
    tfl.layers.conv2dTranspose({ filters, kernelSize: 4, strides: 2, padding: 'same', useBias, kernelInitializer: init.conv(), biasInitializer: 'zeros', name: `${p}_${name}` });
  const bn = (name: string) => init.batchNorm(o, `${p}_${name}`);
  const lrelu = (name: string) => tfl.layers.leakyReLU({ alpha: 0.2, name: `${p}_${name}` });
  const relu = (name: string) => tfl.layers.reLU({ name: `${p}_${name}` });

  const input = tfl.input({ shape: [o.imageSize, o.imageSize, o.channels], name: `${p}_input` });
  const down: tfl.SymbolicTensor[] = [S(conv(w[0]!, 'down0_conv').apply(input))];
  const skip: tfl.SymbolicTensor[] = [];
  for (let i = 1; i < depth; i++) {
    skip[i - 1] = S(lrelu(`down${i}_lrelu`).apply(down[i - 1]!));
    let h = S(conv(w[i]!, `down${i}_conv`).apply(skip[i - 1]!));
    if (i < depth - 1) h = S(bn(`down${i}_bn`).apply(h));
    down[i] = h;
  }
  // Innermost: up from the bottleneck.
  let up = S(relu(`up${depth - 1}_relu`).apply(down[depth - 1]!));
  up = S(convT(w[depth - 2]!, `up${depth - 1}_convt`).apply(up));
  up = S(bn(`up${depth - 1}_bn`).apply(up));
  for (let i = depth - 2; i >= 1; i--) {
    let h = S(tfl.layers.concatenate({ axis: -1, name: `${p}_skip${i}` }).apply([skip[i]!, up]));
    h = S(relu(`up${i}_relu`).apply(h));
    h = S(convT(w[i - 1]!, `up${i}_convt`).apply(h));
    up = S(bn(`up${i}_bn`).apply(h));
  }
  let h = S(tfl.layers.concatenate({ axis: -1, name: `${p}_skip0` }).apply([skip[0]!, up]));
  h = S(relu('up0_relu').apply(h));
  h = S(convT(o.channels, 'up0_convt', true).apply(h));
  const out = S(tfl.layers.activation({ activation: 'tanh', name: `${p}_tanh` }).apply(h));
  return tfl.model({ inputs: input, outputs: out, name: p });
}

export function buildSkipGanomalyNetworks(c: ResolvedDetectorConfig): SkipGanomalyNetworks {
  const o = { imageSize: c.imageSize, channels: c.channels, baseWidth: c.baseWidth, batchNormMomentum: c.batchNormMomentum, batchNormEpsilon: c.batchNormEpsilon };
  return {
    generator: buildUnet({ ...o, seed: c.seed * 4 + 1, name: 'generator' }),
    discriminator: buildDiscriminator('dcgan', { ...o, latentDim: 1, extraLayers: c.extraLayers, seed: c.seed * 4 + 4, name: 'discriminator' }),
  };
}
