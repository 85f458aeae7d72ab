// The VAE's networks: GANomaly's DCGAN encoder with two heads on its last feature map (the mean
// and the log-variance of q(z|x), each the encoder's final 4x4 convolution), and the DCGAN decoder.
import * as tfl from '@tensorflow/tfjs-layers';
import { SeededInit, dcganDecoder, dcganEncoder } from '@ganomaly/models';
import type { ResolvedDetectorConfig } from '../config.js';

export const VAE_NETWORKS = ['encoder', 'decoder'] as const;

export interface VaeNetworks {
  /** x [n, s, s, c] -> [mean, logVariance], each [n, 1, 1, latentDim] */
  encoder: tfl.LayersModel;
  /** z [n, 1, 1, latentDim] -> x̂ [n, s, s, c] in [-1, 1] */
  decoder: tfl.LayersModel;
}

export function buildVaeNetworks(c: ResolvedDetectorConfig): VaeNetworks {
  const o = { imageSize: c.imageSize, channels: c.channels, latentDim: c.latentDim, baseWidth: c.baseWidth, extraLayers: c.extraLayers, batchNormMomentum: c.batchNormMomentum, batchNormEpsilon: c.batchNormEpsilon };
  const body = dcganEncoder({ ...o, seed: c.seed * 4 + 1, name: 'encoder' });
  // The mean head is the encoder's own final conv; the log-variance head reads the same features.
  const features = body.layers[body.layers.length - 1]!.input as tfl.SymbolicTensor;
  const init = new SeededInit(c.seed * 4 + 3);
  const logVariance = tfl.layers
    .conv2d({ filters: c.latentDim, kernelSize: 4, strides: 1, padding: 'valid', useBias: false, kernelInitializer: init.conv(), name: 'encoder_logvar_conv' })
    .apply(features) as tfl.SymbolicTensor;
  return {
    encoder: tfl.model({ inputs: body.inputs, outputs: [body.outputs[0]!, logVariance], name: 'encoder' }),
    decoder: dcganDecoder({ ...o, seed: c.seed * 4 + 2, name: 'decoder' }),
  };
}
