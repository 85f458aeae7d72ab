// EGBAD's losses and score (Zenati et al., 2018; bigan/run_mnist.py of the authors' code).
// Training is a BiGAN: D tells real pairs (x, E(x)) from generated pairs (G(z), z), z ~ N(0, I);
// G and E are trained to fool it, each with its own loss. Scoring: for x, x̂ = G(E(x)) and
//   A(x) = α·‖x − x̂‖₁ + (1 − α)·L_D(x),
// with L_D the feature-matching distance ‖f(x, E(x)) − f(x̂, E(x))‖₁ on D's intermediate layer
// ('fm', the code's default) or the cross-entropy of D's logit for (x̂, E(x)) against "real"
// ('cross-entropy'). The code writes the score as (1 − w)·gen_score + w·dis_score with w = 0.1
// and the L1 norm (degree 1) for its paper's results: α = 1 − w = 0.9.
import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, fail } from '@ganomaly/common';
import { sigmoidCrossEntropy } from '@ganomaly/math';

/** α of the authors' code (its w = 0.1 on the discriminator term). */
export const EGBAD_ALPHA = 0.9;

export const EGBAD_SCORE_METHODS = ['fm', 'cross-entropy'] as const;
export type EgbadScoreMethod = (typeof EGBAD_SCORE_METHODS)[number];

/** D's loss BCE(D(x, E(x)), 1) + BCE(D(G(z), z), 0), from logits. */
export function biganDiscriminatorLoss(logitsEncoded: tf.Tensor, logitsGenerated: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.add(sigmoidCrossEntropy(logitsEncoded, 1), sigmoidCrossEntropy(logitsGenerated, 0)) as tf.Scalar);
}

/** G's loss BCE(D(G(z), z), 1): G wants its pairs taken for real. */
export function biganGeneratorLoss(logitsGenerated: tf.Tensor): tf.Scalar {
  return sigmoidCrossEntropy(logitsGenerated, 1);
}

/** E's loss BCE(D(x, E(x)), 0): E wants its pairs taken for generated. */
export function biganEncoderLoss(logitsEncoded: tf.Tensor): tf.Scalar {
  return sigmoidCrossEntropy(logitsEncoded, 0);
}

function sumPerImage(t: tf.Tensor): tf.Tensor1D {
  return tf.sum(t, t.shape.slice(1).map((_, i) => i + 1)) as tf.Tensor1D;
}

export interface EgbadScoreInputs {
  /** Images [n, ...]. */
  x: tf.Tensor;
  /** Reconstructions G(E(x)), same shape. */
  xHat: tf.Tensor;
  /** f(x, E(x)), D's features of the real pair, [n, k] ('fm'). */
  featuresReal?: tf.Tensor;
  /** f(x̂, E(x)), D's features of the reconstructed pair, [n, k] ('fm'). */
  featuresReconstructed?: tf.Tensor;
  /** D's logit for (x̂, E(x)), [n, 1] ('cross-entropy'). */
  logitsReconstructed?: tf.Tensor;
}

/**
 * The anomaly score of each image, [n]: α·Σ|x − x̂| + (1 − α)·L_D, L_D = Σ|f(x, E(x)) − f(x̂, E(x))|
 * ('fm') or the per-image cross-entropy of D(x̂, E(x)) against 1 ('cross-entropy').
 */
export function egbadScore(inputs: EgbadScoreInputs, alpha = EGBAD_ALPHA, method: EgbadScoreMethod = 'fm'): tf.Tensor1D {
  const fn = 'egbadScore';
  const m = checkOneOf(method, EGBAD_SCORE_METHODS, 'method', fn);
  if (typeof alpha !== 'number' || !(alpha >= 0 && alpha <= 1)) fail('alpha', fn, 'a number in [0, 1]', alpha);
  const { x, xHat } = inputs;
  if (!(x instanceof tf.Tensor) || x.rank < 2) fail('inputs.x', fn, 'a tensor of rank >= 2 with the images on the first axis', x);
  if (!(xHat instanceof tf.Tensor) || xHat.shape.join() !== x.shape.join()) fail('inputs.xHat', fn, `a tensor of the shape of x [${x.shape}]`, xHat);
  const n = x.shape[0];
  let d: () => tf.Tensor1D;
  if (m === 'fm') {
    const a = inputs.featuresReal;
    const b = inputs.featuresReconstructed;
    if (!(a instanceof tf.Tensor) || a.shape[0] !== n) fail('inputs.featuresReal', fn, `D's features of the ${n} real pairs`, a);
    if (!(b instanceof tf.Tensor) || b.shape.join() !== a.shape.join()) fail('inputs.featuresReconstructed', fn, `a tensor of the shape of featuresReal [${a.shape}]`, b);
    d = () => sumPerImage(tf.abs(tf.sub(a, b)));
  } else {
    const l = inputs.logitsReconstructed;
    if (!(l instanceof tf.Tensor) || l.shape[0] !== n) fail('inputs.logitsReconstructed', fn, `D's logits of the ${n} reconstructed pairs`, l);
    // Per element: max(l, 0) − l + log(1 + e^−|l|), the cross-entropy against 1; one logit per image.
    d = () => sumPerImage(tf.add(tf.sub(tf.relu(l), l), tf.log1p(tf.exp(tf.neg(tf.abs(l))))));
  }
  return tf.tidy(() => tf.add(tf.mul(sumPerImage(tf.abs(tf.sub(x, xHat))), alpha), tf.mul(d(), 1 - alpha)) as tf.Tensor1D);
}
