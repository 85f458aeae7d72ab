/**
 * The GANomaly anomaly score A(x) = ‖G_E(x) − E(G(x))‖: how far the re-encoding of the
 * reconstruction drifts from the first encoding. Normal images (the only ones seen in training)
 * keep z ≈ ẑ; anomalies do not.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, fail } from '@ganomaly/common';
import { checkFloatTensor, checkSameShape } from './tensors.js';

/**
 * Which distance the score uses:
 * - `'mse'`: mean over latent dims of (z − ẑ)², what the authors' code computes (the default);
 * - `'l1'`: sum over latent dims of |z − ẑ|, the paper's ‖z − ẑ‖₁.
 * Both rank images alike only approximately, so pick one and keep it for calibration and scoring.
 */
export type ScoreVariant = 'mse' | 'l1';

/** The score variants, for validation and for listing in a UI. */
export const SCORE_VARIANTS: readonly ScoreVariant[] = Object.freeze(['mse', 'l1'] as const);

/**
 * Per-sample anomaly score from the two latent codes.
 *
 * @param z first encodings G_E(x): [n, nz], or [n, 1, 1, nz] as the convolutional encoder emits.
 * @param zHat re-encodings E(x̂), same shape as z.
 * @param variant `'mse'` (default, the authors' code) or `'l1'` (the paper); see ScoreVariant.
 * @returns a Tensor1D of n scores, higher = more anomalous. The caller owns (and disposes) it.
 */
export function anomalyScore(z: tf.Tensor, zHat: tf.Tensor, variant: ScoreVariant = 'mse'): tf.Tensor1D {
  const fn = 'anomalyScore';
  const a = checkFloatTensor(z, 'z', fn);
  if (a.rank !== 2 && a.rank !== 4) fail('z', fn, 'a Tensor of rank 2 [n, nz] or rank 4 [n, 1, 1, nz]', a);
  // Rank 4 must be a 1×1 code: a larger spatial map means a feature map was passed, not the latent.
  if (a.rank === 4 && (a.shape[1] !== 1 || a.shape[2] !== 1)) {
    fail('z', fn, 'a rank-4 Tensor of shape [n, 1, 1, nz]', a);
  }
  const b = checkFloatTensor(zHat, 'zHat', fn);
  checkSameShape(a, 'z', b, 'zHat', fn);
  const v = checkOneOf(variant, SCORE_VARIANTS, 'variant', fn);
  const axes = a.rank === 2 ? [1] : [1, 2, 3];
  return tf.tidy(() =>
    v === 'mse'
      ? (tf.mean(tf.squaredDifference(a, b), axes) as tf.Tensor1D)
      : (tf.sum(tf.abs(tf.sub(a, b)), axes) as tf.Tensor1D),
  );
}
