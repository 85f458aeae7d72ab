// AnoGAN's networks (Schlegl et al., IPMI 2017): a DCGAN generator G: z -> x (GANomaly's decoder)
// and the DCGAN discriminator D: x -> [logit, features]. D's logit (not a probability) is the
// output so that the cross-entropies are computed from logits, stably; its features f(x) are the
// last LeakyReLU (the input of the final conv), as in GANomaly's discriminator.
import * as tfl from '@tensorflow/tfjs-layers';
import { ValueError } from '@ganomaly/common';
import { buildEncoder, dcganDecoder, resolveNetworkOptions, type NetworkOptions } from '@ganomaly/models';

/** G: z [n, 1, 1, latentDim] -> image [n, s, s, c] in [-1, 1]; D: image -> [logit [n, 1], f(x)]. */
export interface AnoganNetworks {
  generator: tfl.LayersModel;
  discriminator: tfl.LayersModel;
}

export const ANOGAN_NETWORK_KEYS = ['generator', 'discriminator'] as const;

/**
 * The DCGAN discriminator with a logit output: GANomaly's encoder with latentDim 1, whose final
 * conv gives the logit [n, 1] and whose last LeakyReLU is the feature map f(x) (256x4x4 at size
 * 32, width 64).
 */
export function dcganLogitDiscriminator(options: NetworkOptions): tfl.LayersModel {
  const o = resolveNetworkOptions(options, 'dcganLogitDiscriminator', 'discriminator');
  const body = buildEncoder('dcgan', { ...o, latentDim: 1 }, 'dcganLogitDiscriminator');
  const last = body.layers[body.layers.length - 1]!;
  const features = last.input;
  if (Array.isArray(features)) throw new ValueError(`The encoder's last layer '${last.name}' must take one input (the feature map).`);
  const logit = tfl.layers.flatten({ name: `${o.name}_flatten` }).apply(body.outputs[0]!) as tfl.SymbolicTensor;
  return tfl.model({ inputs: body.inputs, outputs: [logit, features], name: o.name });
}

/** Builds G and D; each gets its own seed derived from `options.seed`. */
export function buildAnoganNetworks(options: NetworkOptions): AnoganNetworks {
  const o = resolveNetworkOptions(options, 'buildAnoganNetworks', 'anogan');
  return {
    generator: dcganDecoder({ ...o, seed: o.seed * 2 + 1, name: 'generator' }),
    discriminator: dcganLogitDiscriminator({ ...o, seed: o.seed * 2 + 2, name: 'discriminator' }),
  };
}
