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
 *   code computes it; `'mse'` is the same (its older name);
 * - `'l1'`: sum over latent dims of |z − ẑ|, the paper's ‖z − ẑ‖₁;
 * - `'reconstruction'`: per-image mean |x − x̂| (x, x̂ in [−1, 1]);
 * - `'features'`: per-image mean (f(x) − f(x̂))² on the discriminator's feature map;
 * - `'skip'`: Skip-GANomaly's 0.9·reconstruction + 0.1·features, each min-max scaled on the
 *   calibration images (see combineComponents);
 * - `'combined'`: latent, reconstruction and features each standardised (mean, std) on the
 *   calibration images, then summed;
 * - `'knn'`: the Euclidean distance from z = G_E(x) to the nearest codes of the training images
 *   (the model's memory, kept by `fit`; see nearestDistance). A normal image's code lies close to
 *   the code of some training image; an anomaly's lies between or away from them.
 * The variants rank images differently, so pick one and keep it for calibration and scoring.
 */
export type ScoreVariant = 'mse' | 'l1' | 'latent' | 'reconstruction' | 'features' | 'skip' | 'combined' | 'knn';

/** The score variants, for validation and for listing in a UI. */
export const SCORE_VARIANTS: readonly ScoreVariant[] = Object.freeze(['mse', 'l1', 'latent', 'reconstruction', 'features', 'skip', 'combined', 'knn'] as const);

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

/**
 * For each row of `codes`, the mean Euclidean distance to its `k` nearest rows of `memory` (the
 * 'knn' score; k = 1: the distance to the nearest). The k nearest are found with one matrix
 * product (‖a − b‖² = ‖a‖² − 2a·b + ‖b‖²), then their distances are computed directly from the
 * differences, so that a score does not carry the expansion's cancellation (which would make it
 * depend on the batch it is computed in) and a NaN code gives a NaN score.
 *
 * @param codes [n, d] (or [n, 1, 1, d], as the convolutional encoder emits).
 * @param memory [m, d], m >= k.
 * @param k neighbours averaged, an integer >= 1 (default 1).
 * @returns a Tensor1D of n distances, higher = more anomalous. The caller owns (and disposes) it.
 */
export function nearestDistance(codes: tf.Tensor, memory: tf.Tensor, k = 1): tf.Tensor1D {
  const fn = 'nearestDistance';
  const a = checkFloatTensor(codes, 'codes', fn);
  if (a.rank !== 2 && !(a.rank === 4 && a.shape[1] === 1 && a.shape[2] === 1)) fail('codes', fn, 'a Tensor [n, d] or [n, 1, 1, d]', a);
  const m = checkFloatTensor(memory, 'memory', fn);
  const d = a.shape[a.rank - 1]!;
  if (m.rank !== 2 || m.shape[1] !== d) failWith('memory', fn, `a Tensor [m, ${d}] (the codes' width)`, `shape [${m.shape}]`);
  if (!Number.isInteger(k) || k < 1) fail('k', fn, 'an integer >= 1', k);
  if (m.shape[0]! < k) failWith('memory', fn, `at least k = ${k} rows`, `${m.shape[0]} row(s)`);
  return tf.tidy(() => {
    const q = a.rank === 2 ? (a as tf.Tensor2D) : (tf.reshape(a, [a.shape[0]!, d]) as tf.Tensor2D);
    const mm = m as tf.Tensor2D;
    // ‖b‖² − 2a·b ranks the rows of memory as ‖a − b‖² does (‖a‖² is the same for all of them).
    const rank = tf.sub(tf.reshape(tf.sum(tf.square(mm), 1), [1, -1]), tf.mul(2, tf.matMul(q, mm, false, true)));
    const nearest = tf.topk(tf.neg(rank), k).indices; // [n, k]
    const rows = tf.reshape(tf.gather(mm, tf.reshape(nearest, [-1])), [q.shape[0], k, d]);
    const dist = tf.sqrt(tf.sum(tf.squaredDifference(rows, tf.expandDims(q, 1)), 2)); // [n, k]
    return (k === 1 ? tf.reshape(dist, [-1]) : tf.mean(dist, 1)) as tf.Tensor1D;
  });
}
