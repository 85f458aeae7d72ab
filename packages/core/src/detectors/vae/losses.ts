// The VAE's loss and scores (Kingma & Welling, 2014), per image and then averaged over the batch:
// a Gaussian decoder's reconstruction term Σ (x − x̂)² over the pixels, and the KL divergence of
// q(z|x) = N(μ, σ²) from N(0, I), −½ Σ (1 + log σ² − μ² − σ²) over the latent dimensions.
import * as tf from '@tensorflow/tfjs-core';

/** Σ over pixels and channels of (x − x̂)², one per image, [n]. */
export function reconstructionError(x: tf.Tensor4D, xHat: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => tf.sum(tf.squaredDifference(x, xHat), [1, 2, 3]) as tf.Tensor1D);
}

/** KL(N(μ, σ²) ‖ N(0, I)) = −½ Σ (1 + log σ² − μ² − σ²), one per image, [n]. */
export function klDivergence(mean: tf.Tensor, logVariance: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const terms = tf.sub(tf.add(1, logVariance), tf.add(tf.square(mean), tf.exp(logVariance)));
    return tf.mul(tf.sum(tf.reshape(terms, [terms.shape[0]!, -1]), 1), -0.5) as tf.Tensor1D;
  });
}

/** z = μ + σ·ε (the reparameterisation), ε ~ N(0, I) drawn with `seed`. */
export function reparameterize(mean: tf.Tensor, logVariance: tf.Tensor, seed: number): tf.Tensor {
  return tf.tidy(() => tf.add(mean, tf.mul(tf.exp(tf.mul(logVariance, 0.5)), tf.randomNormal(mean.shape, 0, 1, 'float32', seed))));
}

/** The training loss: the batch mean of w_rec·Σ(x − x̂)² + w_kl·KL; returns it and the two batch-mean terms. */
export function vaeLoss(
  x: tf.Tensor4D,
  xHat: tf.Tensor4D,
  mean: tf.Tensor,
  logVariance: tf.Tensor,
  weights: { reconstruction: number; kl: number },
): { loss: tf.Scalar; reconstruction: tf.Scalar; kl: tf.Scalar } {
  const reconstruction = tf.mean(reconstructionError(x, xHat)) as tf.Scalar;
  const kl = tf.mean(klDivergence(mean, logVariance)) as tf.Scalar;
  const loss = tf.add(tf.mul(reconstruction, weights.reconstruction), tf.mul(kl, weights.kl)) as tf.Scalar;
  return { loss, reconstruction, kl };
}

/**
 * The anomaly score of each image, with z = μ (no sampling, so deterministic): 'reconstruction',
 * the mean of (x − x̂)² over its pixels; 'elbo', the negative ELBO Σ(x − x̂)² + KL (up to the
 * constants of the Gaussian likelihood), with the loss weights.
 */
export function vaeScore(
  x: tf.Tensor4D,
  xHat: tf.Tensor4D,
  mean: tf.Tensor,
  logVariance: tf.Tensor,
  variant: 'reconstruction' | 'elbo',
  weights: { reconstruction: number; kl: number },
): tf.Tensor1D {
  return tf.tidy(() => {
    if (variant === 'reconstruction') return tf.mean(tf.squaredDifference(x, xHat), [1, 2, 3]) as tf.Tensor1D;
    return tf.add(tf.mul(reconstructionError(x, xHat), weights.reconstruction), tf.mul(klDivergence(mean, logVariance), weights.kl)) as tf.Tensor1D;
  });
}
