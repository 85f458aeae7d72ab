// Skip-GANomaly's losses and score, as the authors' code (lib/models/skipganomaly.py) computes them:
//   G: w_adv·BCE(D(x̂), 1) + w_con·mean|x − x̂| + w_lat·mean((f(x) − f(x̂))²)
//   D: BCE(D(x), 1) + BCE(D(x̂), 0) + w_lat·mean((f(x) − f(x̂))²), x̂ detached (the code adds G's
//      latent term to D's loss, so D also pulls the features of x and x̂ together)
//   score: λ·mean((x − x̂)²) + (1 − λ)·mean((f(x) − f(x̂))²) per image, λ = 0.9
// BCE is PyTorch's nn.BCELoss (logs clamped at −100), through @ganomaly/math's discriminatorLoss.
import * as tf from '@tensorflow/tfjs-core';
import { adversarialLoss, contextualLoss, discriminatorLoss } from '@ganomaly/math';

export interface SkipGanomalyLossWeights {
  /** w_adv, weight of BCE(D(x̂), 1). Default 1. */
  adversarial: number;
  /** w_con, weight of the L1 reconstruction loss. Default 50. */
  contextual: number;
  /** w_lat, weight of the feature (latent) loss ‖f(x) − f(x̂)‖₂². Default 1. */
  latent: number;
}

export const SKIP_GANOMALY_LOSS_WEIGHTS: Readonly<SkipGanomalyLossWeights> = Object.freeze({ adversarial: 1, contextual: 50, latent: 1 });

/** BCE(p, 1) = −mean(max(log p, −100)): discriminatorLoss(p, 0) is half of it (BCE(0, 0) = 0). */
export function bceReal(p: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mul(discriminatorLoss(p, tf.zerosLike(p)), 2) as tf.Scalar);
}

/** BCE(p, 0) = −mean(max(log(1 − p), −100)): discriminatorLoss(1, p) is half of it (BCE(1, 1) = 0). */
export function bceFake(p: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mul(discriminatorLoss(tf.onesLike(p), p), 2) as tf.Scalar);
}

/** The generator's loss terms and their weighted sum. */
export function generatorLosses(
  x: tf.Tensor4D,
  xHat: tf.Tensor4D,
  predFake: tf.Tensor,
  featReal: tf.Tensor,
  featFake: tf.Tensor,
  w: SkipGanomalyLossWeights,
): { loss: tf.Scalar; adversarial: tf.Scalar; contextual: tf.Scalar; latent: tf.Scalar } {
  const adversarial = bceReal(predFake);
  const contextual = contextualLoss(x, xHat);
  const latent = adversarialLoss(featReal, featFake);
  const loss = tf.addN([tf.mul(adversarial, w.adversarial), tf.mul(contextual, w.contextual), tf.mul(latent, w.latent)]) as tf.Scalar;
  return { loss, adversarial, contextual, latent };
}

/** D's loss on real predictions, predictions on the detached x̂, and the features of both. */
export function discriminatorLosses(predReal: tf.Tensor, predFake: tf.Tensor, featReal: tf.Tensor, featFake: tf.Tensor, w: SkipGanomalyLossWeights): tf.Scalar {
  return tf.tidy(() => tf.addN([bceReal(predReal), bceFake(predFake), tf.mul(adversarialLoss(featReal, featFake), w.latent)]) as tf.Scalar);
}

/** λ·mean((x − x̂)²) + (1 − λ)·mean((f(x) − f(x̂))²), one per image, [n]. */
export function skipGanomalyScore(x: tf.Tensor4D, xHat: tf.Tensor4D, featReal: tf.Tensor, featFake: tf.Tensor, lambda: number): tf.Tensor1D {
  return tf.tidy(() => {
    const rec = tf.mean(tf.squaredDifference(x, xHat), [1, 2, 3]);
    const lat = tf.mean(tf.reshape(tf.squaredDifference(featReal, featFake), [featReal.shape[0]!, -1]), 1);
    return tf.add(tf.mul(rec, lambda), tf.mul(lat, 1 - lambda)) as tf.Tensor1D;
  });
}
