// Internal: validation and the sorted cumulative counts shared by metrics.ts and thresholds.ts.
import { checkAllFinite, checkNumericArray, fail, failWith } from '@ganomaly/common';

/** Validated scores and labels with their class counts. */
export interface BinaryData {
  scores: ArrayLike<number>;
  labels: ArrayLike<number>;
  /** Number of anomalies (label 1). */
  positives: number;
  /** Number of normal examples (label 0). */
  negatives: number;
}

/**
 * Checks scores/labels for a binary metric: arrays of numbers, same non-zero length, labels 0/1
 * only, finite scores, and both classes present (a ranking metric is undefined otherwise).
 */
export function checkBinary(scores: unknown, labels: unknown, fn: string): BinaryData {
  const s = checkNumericArray(scores, 'scores', fn);
  const l = checkNumericArray(labels, 'labels', fn);
  if (s.length === 0) fail('scores', fn, 'a non-empty array of scores', s);
  if (l.length !== s.length) {
    failWith('labels', fn, `an array of the same length as 'scores' (${s.length})`, `length ${l.length}`);
  }
  let positives = 0;
  for (let i = 0; i < l.length; i++) {
    const v = l[i];
    if (v === 1) positives++;
    else if (v !== 0) failWith('labels', fn, 'only 0 (normal) or 1 (anomaly)', `${v} at index ${i}`);
  }
  checkAllFinite(s, 'scores', fn);
  const negatives = l.length - positives;
  if (positives === 0 || negatives === 0) {
    failWith(
      'labels',
      fn,
      'both normal (0) and anomalous (1) examples, since AUROC, average precision, F1 and the ROC/PR curves are undefined with one class',
      `${negatives} normal and ${positives} anomalous`,
    );
  }
  return { scores: s, labels: l, positives, negatives };
}

/**
 * Cumulative counts at each distinct score, highest first (sklearn's `_binary_clf_curve`):
 * predicting "anomaly" for score >= thresholds[k] gives tps[k] true and fps[k] false positives.
 */
export interface BinaryCounts {
  thresholds: Float64Array;
  tps: Float64Array;
  fps: Float64Array;
  positives: number;
  negatives: number;
}

/** Sorts once (O(n log n)) and groups tied scores. */
export function binaryCounts(d: BinaryData): BinaryCounts {
  const n = d.scores.length;
  const s = Float64Array.from(d.scores);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => s[b] - s[a]);
  const thresholds = new Float64Array(n);
  const tps = new Float64Array(n);
  const fps = new Float64Array(n);
  let m = 0;
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k];
    if (d.labels[i] === 1) tp++;
    else fp++;
    // Emit a point only at the end of a run of tied scores.
    if (k === n - 1 || s[order[k + 1]] !== s[i]) {
      thresholds[m] = s[i];
      tps[m] = tp;
      fps[m] = fp;
      m++;
    }
  }
  return {
    thresholds: thresholds.slice(0, m),
    tps: tps.slice(0, m),
    fps: fps.slice(0, m),
    positives: d.positives,
    negatives: d.negatives,
  };
}

/** F1 = 2TP/(2TP + FP + FN), the same as 2PR/(P + R) but defined (0) when TP = 0. */
export function f1FromCounts(tp: number, fp: number, positives: number): { f1: number; precision: number; recall: number } {
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp / positives;
  const f1 = (2 * tp) / (tp + fp + positives);
  return { f1, precision, recall };
}
