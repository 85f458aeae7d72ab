// The autoencoder's loss and score: L1 reconstruction, mean |x − x̂| (GANomaly's contextual loss),
// over the batch for training and per image for scoring.
import * as tf from '@tensorflow/tfjs-core';
import { contextualLoss } from '@ganomaly/math';

/** Training loss: mean |x − x̂| over every pixel of the batch. */
export function reconstructionLoss(x: tf.Tensor4D, xHat: tf.Tensor4D): tf.Scalar {
  return contextualLoss(x, xHat);
}

/** The anomaly score of each image: mean |x − x̂| over its pixels and channels, [n]. */
export function reconstructionScore(x: tf.Tensor4D, xHat: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => tf.mean(tf.abs(tf.sub(x, xHat)), [1, 2, 3]) as tf.Tensor1D);
}
