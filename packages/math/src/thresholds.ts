/**
 * Choosing the score threshold above which an image is called anomalous.
 *
 * The paper thresholds min-max normalised test scores at φ = 0.2. A deployable detector should
 * instead fit its threshold without the test set: e.g. a high quantile of the scores of held-out
 * normal images (`quantileThreshold`), or, when some labelled anomalies are available for
 * validation, the F1-best threshold (`f1BestThreshold`).
 */
import { checkAllFinite, checkNumericArray, fail } from '@ganomaly/common';
import { binaryCounts, checkBinary, f1FromCounts } from './binary.js';

/** The paper's default threshold φ on min-max normalised scores. */
export const DEFAULT_PHI = 0.2;

function checkQ(q: unknown, fn: string): number {
  if (typeof q !== 'number' || !(q >= 0 && q <= 1)) fail('q', fn, 'a number in [0, 1]', q);
  return q;
}

/**
 * The q-quantile of `values` with linear interpolation between the two nearest order statistics,
 * exactly numpy.quantile's default (method 'linear'): index h = (n − 1)·q into the sorted values,
 * result a[⌊h⌋] + (h − ⌊h⌋)·(a[⌊h⌋+1] − a[⌊h⌋]), evaluated the way numpy's _lerp does it.
 *
 * @param values non-empty, finite.
 * @param q in [0, 1] (0 = minimum, 0.5 = median, 1 = maximum).
 */
export function quantile(values: ArrayLike<number>, q: number): number {
  return quantileChecked(values, 'values', q, 'quantile');
}

function quantileChecked(values: ArrayLike<number>, argName: string, q: number, fn: string): number {
  const v = checkNumericArray(values, argName, fn);
  if (v.length === 0) fail(argName, fn, 'a non-empty array of numbers', v);
  checkAllFinite(v, argName, fn);
  const qq = checkQ(q, fn);
  const a = Float64Array.from(v).sort();
  const n = a.length;
  const h = (n - 1) * qq;
  const lo = Math.floor(h);
  const hiIdx = Math.min(lo + 1, n - 1);
  const g = h - lo;
  const x = a[lo];
  const y = a[hiIdx];
  const diff = y - x;
  // numpy's _lerp: from the upper end when g >= 0.5, for monotonicity and exact endpoints.
  return g >= 0.5 ? y - diff * (1 - g) : x + diff * g;
}

/**
 * A threshold fitted on normal images only: the q-quantile (numpy 'linear') of their scores, so
 * that about (1 − q) of normal images would be flagged. Fit it on held-out normal images, never
 * on the test set, and store it with the model.
 *
 * @param normalScores scores of normal (non-anomalous) images; non-empty, finite.
 * @param q quantile in [0, 1], default 0.99.
 */
export function quantileThreshold(normalScores: ArrayLike<number>, q = 0.99): number {
  return quantileChecked(normalScores, 'normalScores', q, 'quantileThreshold');
}

/** The threshold with the best F1 and its precision and recall. */
export interface BestThreshold {
  threshold: number;
  f1: number;
  precision: number;
  recall: number;
}

/**
 * The threshold with the highest F1 over all distinct scores as candidates (predict anomaly when
 * score >= threshold). Ties in F1 go to the higher threshold, which flags fewer images.
 * This looks at the labels, so use validation data, not the test set you report on.
 *
 * @param scores finite anomaly scores.
 * @param labels 1 = anomaly, 0 = normal; both classes present, same length as scores.
 */
export function f1BestThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>): BestThreshold {
  const c = binaryCounts(checkBinary(scores, labels, 'f1BestThreshold'));
  let best: BestThreshold | undefined;
  // Counts run from the highest threshold down; only a strictly better F1 replaces the best, so
  // ties keep the higher threshold. F1 values are ratios of integers, so equal ratios compare equal.
  for (let k = 0; k < c.thresholds.length; k++) {
    const r = f1FromCounts(c.tps[k], c.fps[k], c.positives);
    if (best === undefined || r.f1 > best.f1) best = { threshold: c.thresholds[k], ...r };
  }
  return best!;
}
