import * as tfl from '@tensorflow/tfjs-layers';
import { ValueError } from '@ganomaly/common';
import { buildEncoder, type Encoder } from './encoder.js';
import { type NetworkOptions, resolveNetworkOptions } from './options.js';

/**
 * The discriminator D: the encoder with latentDim 1. It has two outputs: the feature map f(x)
 * (the input of the encoder's last layer: the last LeakyReLU, 256x4x4 at size 32 with width 64),
 * used by the adversarial feature-matching loss, and the probability that x is real
 * (final conv + sigmoid), shape [n, 1].
 */
export function buildDiscriminator(encoder: string | Encoder, options: NetworkOptions): tfl.LayersModel {
  const o = resolveNetworkOptions(options, 'buildDiscriminator', 'discriminator');
  const body = buildEncoder(encoder, { ...o, latentDim: 1 }, 'buildDiscriminator');
  const last = body.layers[body.layers.length - 1];
  const features = last.input;
  if (Array.isArray(features)) {
    throw new ValueError(`The encoder's last layer must take one input (the feature map), but '${last.name}' takes ${features.length}.`);
  }
  const logits = body.outputs[0];
  const flat = tfl.layers.flatten({ name: `${o.name}_flatten` }).apply(logits) as tfl.SymbolicTensor;
  const prob = tfl.layers.activation({ activation: 'sigmoid', name: `${o.name}_sigmoid` }).apply(flat) as tfl.SymbolicTensor;
  return tfl.model({ inputs: body.inputs, outputs: [prob, features], name: o.name });
}
