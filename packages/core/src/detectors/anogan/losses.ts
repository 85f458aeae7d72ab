// AnoGAN's losses (Schlegl et al., IPMI 2017). Training is a standard DCGAN; scoring maps an
// image back to the latent space by minimising, over z, the paper's anomaly loss
// L(z) = (1 − λ)·L_R(z) + λ·L_D(z), with the residual loss L_R = Σ|x − G(z)| over the pixels and
// the discrimination loss L_D = Σ|f(x) − f(G(z))| over D's feature map (the paper's feature
// matching variant), λ = 0.1. The anomaly score is L at the last step. Sums per image, as the
// paper writes them (not means): with means the two terms would be weighted by the sizes of the
// image and the feature map instead of by λ alone.
import * as tf from '@tensorflow/tfjs-core';
import { fail } from '@ganomaly/common';
import { sigmoidCrossEntropy } from '@ganomaly/math';

/** The paper's weight of the discrimination loss in the anomaly loss. */
export const ANOGAN_LAMBDA = 0.1;

/** D's loss BCE(D(x), 1) + BCE(D(G(z)), 0), from logits (the DCGAN objective, both terms summed). */
export function ganDiscriminatorLoss(logitsReal: tf.Tensor, logitsFake: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.add(sigmoidCrossEntropy(logitsReal, 1), sigmoidCrossEntropy(logitsFake, 0)) as tf.Scalar);
}

/** G's non-saturating loss BCE(D(G(z)), 1), from logits. */
export function ganGeneratorLoss(logitsFake: tf.Tensor): tf.Scalar {
  return sigmoidCrossEntropy(logitsFake, 1);
}

function checkPair(a: tf.Tensor, aArg: string, b: tf.Tensor, bArg: string, fn: string): void {
  if (!(a instanceof tf.Tensor) || a.rank < 2) fail(aArg, fn, 'a tensor of rank >= 2 with the images on the first axis', a);
  if (!(b instanceof tf.Tensor) || b.shape.join() !== a.shape.join()) fail(bArg, fn, `a tensor of the shape of '${aArg}' [${a.shape}]`, b);
}

/** Per-image Σ|a − b| over every axis but the first: [n]. */
function perImageL1(a: tf.Tensor, b: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => tf.sum(tf.abs(tf.sub(a, b)), a.shape.slice(1).map((_, i) => i + 1)) as tf.Tensor1D);
}

/** The residual loss L_R = Σ|x − G(z)| of each image: [n]. */
export function residualLoss(x: tf.Tensor, gz: tf.Tensor): tf.Tensor1D {
  checkPair(x, 'x', gz, 'gz', 'residualLoss');
  return perImageL1(x, gz);
}

/** The discrimination (feature-matching) loss L_D = Σ|f(x) − f(G(z))| of each image: [n]. */
export function discriminationLoss(fx: tf.Tensor, fgz: tf.Tensor): tf.Tensor1D {
  checkPair(fx, 'fx', fgz, 'fgz', 'discriminationLoss');
  return perImageL1(fx, fgz);
}

/**
 * The anomaly loss (1 − λ)·L_R + λ·L_D of each image: [n]. What the latent search minimises and,
 * at its last step, the anomaly score.
 */
export function anomalyLoss(x: tf.Tensor, gz: tf.Tensor, fx: tf.Tensor, fgz: tf.Tensor, lambda = ANOGAN_LAMBDA): tf.Tensor1D {
  const fn = 'anomalyLoss';
  checkPair(x, 'x', gz, 'gz', fn);
  checkPair(fx, 'fx', fgz, 'fgz', fn);
  if (fx.shape[0] !== x.shape[0]) fail('fx', fn, `features of the ${x.shape[0]} images of 'x'`, fx);
  if (typeof lambda !== 'number' || !(lambda >= 0 && lambda <= 1)) fail('lambda', fn, 'a number in [0, 1]', lambda);
  return tf.tidy(() => tf.add(tf.mul(perImageL1(x, gz), 1 - lambda), tf.mul(perImageL1(fx, fgz), lambda)) as tf.Tensor1D);
}
