// The autoencoder's networks: GANomaly's generator encoder G_E and decoder G_D (the DCGAN pair of
// @ganomaly/models), x -> z -> x̂, without GANomaly's second encoder and discriminator.
import type * as tfl from '@tensorflow/tfjs-layers';
import { dcganDecoder, dcganEncoder } from '@ganomaly/models';
import type { ResolvedDetectorConfig } from '../config.js';

export const AUTOENCODER_NETWORKS = ['encoder', 'decoder'] as const;

export interface AutoencoderNetworks {
  /** x [n, s, s, c] -> z [n, 1, 1, latentDim] */
  encoder: tfl.LayersModel;
  /** z -> x̂ [n, s, s, c] in [-1, 1] */
  decoder: tfl.LayersModel;
}

/** Both networks, seeded from config.seed as GANomaly seeds its G_E and G_D. */
export function buildAutoencoderNetworks(c: ResolvedDetectorConfig): AutoencoderNetworks {
  const o = { imageSize: c.imageSize, channels: c.channels, latentDim: c.latentDim, baseWidth: c.baseWidth, extraLayers: c.extraLayers, batchNormMomentum: c.batchNormMomentum, batchNormEpsilon: c.batchNormEpsilon };
  return {
    encoder: dcganEncoder({ ...o, seed: c.seed * 4 + 1, name: 'encoder' }),
    decoder: dcganDecoder({ ...o, seed: c.seed * 4 + 2, name: 'decoder' }),
  };
}
