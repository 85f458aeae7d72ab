import type * as tfl from '@tensorflow/tfjs-layers';
import { buildDiscriminator } from './discriminator.js';
import { buildEncoder, type Encoder } from './encoder.js';
import { dcganDecoder } from './decoder.js';
import { type NetworkOptions, resolveNetworkOptions } from './options.js';

/** GANomaly's four networks: G = (G_E, G_D), the second encoder E, and the discriminator D. */
export interface GanomalyNetworks {
  /** G_E: x -> z */
  encoder: tfl.LayersModel;
  /** G_D: z -> x̂ */
  decoder: tfl.LayersModel;
  /** E: x̂ -> ẑ */
  reencoder: tfl.LayersModel;
  /** D: x -> [probability real [n,1], features f(x)] */
  discriminator: tfl.LayersModel;
}

export const NETWORK_KEYS = ['encoder', 'decoder', 'reencoder', 'discriminator'] as const;
export type NetworkKey = (typeof NETWORK_KEYS)[number];

/** Builds all four networks; each gets its own seed derived from `options.seed`. */
export function buildGanomalyNetworks(options: NetworkOptions & { encoder?: string | Encoder }): GanomalyNetworks {
  const o = resolveNetworkOptions(options, 'buildGanomalyNetworks', 'ganomaly');
  const encoder = options.encoder ?? 'dcgan';
  return {
    encoder: buildEncoder(encoder, { ...o, seed: o.seed * 4 + 1, name: 'encoder' }, 'buildGanomalyNetworks'),
    decoder: dcganDecoder({ ...o, seed: o.seed * 4 + 2, name: 'decoder' }),
    reencoder: buildEncoder(encoder, { ...o, seed: o.seed * 4 + 3, name: 'reencoder' }, 'buildGanomalyNetworks'),
    discriminator: buildDiscriminator(encoder, { ...o, seed: o.seed * 4 + 4, name: 'discriminator' }),
  };
}

export function disposeNetworks(n: GanomalyNetworks): void {
  for (const k of NETWORK_KEYS) n[k].dispose();
}
