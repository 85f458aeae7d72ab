/**
 * The GANomaly anomaly score A(x) = ‖G_E(x) − E(G(x))‖: how far the re-encoding of the
 * reconstruction drifts from the first encoding. Normal images (the only ones seen in training)
 * keep z ≈ ẑ; anomalies do not.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, fail, failWith } from '@ganomaly/common';
import { checkFloatTensor, checkSameShape } from './tensors.js';

/**
 * What the anomaly score of a model measures (`scoreVariant` of its config):
 * - `'latent'`: mean over latent dims of (z − ẑ)², the paper's latent distance as the authors'
 *   code computes it; `'mse'` is the same (its older name, the default);
 * - `'l1'`: sum over latent dims of |z − ẑ|, the paper's ‖z − ẑ‖₁;
 * - `'reconstruction'`: per-image mean |x − x̂| (x, x̂ in [−1, 1]);
 * - `'features'`: per-image mean (f(x) − f(x̂))² on the discriminator's feature map;
 * - `'skip'`: Skip-GANomaly's 0.9·reconstruction + 0.1·features, each min-max scaled on the
 *   calibration images (see combineComponents);
 * - `'combined'`: latent, reconstruction and features each standardised (mean, std) on the
 *   calibration images, then summed.
 * The variants rank images differently, so pick one and keep it for calibration and scoring.
 */
export type ScoreVariant = 'mse' | 'l1' | 'latent' | 'reconstruction' | 'features' | 'skip' | 'combined';

/** The score variants, for validation and for listing in a UI. */
export const SCORE_VARIANTS: readonly ScoreVariant[] = Object.freeze(['mse', 'l1', 'latent', 'reconstruction', 'features', 'skip', 'combined'] as const);

/** The variants computed from z and ẑ alone (what `anomalyScore` computes). */
export type LatentScoreVariant = 'mse' | 'l1' | 'latent';
export const LATENT_SCORE_VARIANTS: readonly LatentScoreVariant[] = Object.freeze(['mse', 'l1', 'latent'] as const);

/** The variants that combine scaled components and so need statistics of calibration images. */
export const CALIBRATED_SCORE_VARIANTS: readonly ScoreVariant[] = Object.freeze(['skip', 'combined'] as const);

/**
 * Per-sample anomaly score from the two latent codes.
 *
 * @param z first encodings G_E(x): [n, nz], or [n, 1, 1, nz] as the convolutional encoder emits.
 * @param zHat re-encodings E(x̂), same shape as z.
 * @param variant `'mse'` (default, the authors' code; `'latent'` is the same) or `'l1'` (the paper); see ScoreVariant.
 * @returns a Tensor1D of n scores, higher = more anomalous. The caller owns (and disposes) it.
 */
export function anomalyScore(z: tf.Tensor, zHat: tf.Tensor, variant: LatentScoreVariant = 'mse'): tf.Tensor1D {
  const fn = 'anomalyScore';
  const a = checkFloatTensor(z, 'z', fn);
  if (a.rank !== 2 && a.rank !== 4) fail('z', fn, 'a Tensor of rank 2 [n, nz] or rank 4 [n, 1, 1, nz]', a);
  // Rank 4 must be a 1×1 code: a larger spatial map means a feature map was passed, not the latent.
  if (a.rank === 4 && (a.shape[1] !== 1 || a.shape[2] !== 1)) {
    fail('z', fn, 'a rank-4 Tensor of shape [n, 1, 1, nz]', a);
  }
  const b = checkFloatTensor(zHat, 'zHat', fn);
  checkSameShape(a, 'z', b, 'zHat', fn);
  if ((SCORE_VARIANTS as readonly unknown[]).includes(variant) && !(LATENT_SCORE_VARIANTS as readonly unknown[]).includes(variant)) {
    failWith('variant', fn, "a latent score variant ('mse', 'latent' or 'l1'): anomalyScore sees z and ẑ only", `'${String(variant)}', which needs x, x̂ and D's features (Ganomaly.scoreComponents computes it)`);
  }
  const v = checkOneOf(variant, LATENT_SCORE_VARIANTS, 'variant', fn);
  const axes = a.rank === 2 ? [1] : [1, 2, 3];
  return tf.tidy(() =>
    v !== 'l1'
      ? (tf.mean(tf.squaredDifference(a, b), axes) as tf.Tensor1D)
      : (tf.sum(tf.abs(tf.sub(a, b)), axes) as tf.Tensor1D),
  );
}
