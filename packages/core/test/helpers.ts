import * as tf from '@tensorflow/tfjs-core';
import { Ganomaly, type CreateOptions } from '@ganomaly/core';

/** A small model that trains in well under a second per epoch on any backend. */
export const TINY: CreateOptions = { imageSize: 16, channels: 1, latentDim: 8, baseWidth: 4, seed: 3 };

/** Deterministic synthetic images: pixel values 0..255, shape [n, size, size, channels]. */
export function images(n: number, size = 16, channels = 1, seed = 1): tf.Tensor4D {
  return tf.tidy(() => tf.round(tf.randomUniform([n, size, size, channels], 0, 255, 'float32', seed)) as tf.Tensor4D);
}

export async function tinyModel(backend = 'cpu', extra: CreateOptions = {}): Promise<Ganomaly> {
  return Ganomaly.create({ ...TINY, backend, ...extra });
}
