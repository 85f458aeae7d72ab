/**
 * Evaluation metrics for anomaly scores (the paper's protocol: AUROC first, then average
 * precision, F1 at a threshold and the equal error rate).
 *
 * Conventions shared by every function here:
 * - `labels`: 1 = anomaly (the positive class), 0 = normal; any other value is an error.
 * - higher score = more anomalous; an image is predicted anomalous when score >= threshold.
 * - both classes must be present, scores finite, lengths equal and non-zero; otherwise a
 *   ValueError names the argument and says what came.
 * Curves and AP follow scikit-learn's definitions so results can be compared with Python work.
 */
import { checkFiniteNumber } from '@ganomaly/common';
import { binaryCounts, checkBinary, f1FromCounts, type BinaryCounts, type BinaryData } from './binary.js';

/**
 * Area under the ROC curve, exact: the Mann–Whitney U statistic over all (anomaly, normal) pairs,
 * a pair with tied scores counting one half (average ranks). Equals sklearn's roc_auc_score.
 * 1 = every anomaly scores above every normal image, 0.5 = chance, 0 = inverted. O(n log n).
 */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  return aurocFromCounts(binaryCounts(checkBinary(scores, labels, 'auroc')));
}

function aurocFromCounts(c: BinaryCounts): number {
  // 2U = Σ over tie groups of pos_g · (2·(negatives strictly below) + neg_g): integers, exact.
  let twiceU = 0;
  let prevTp = 0;
  let prevFp = 0;
  for (let k = 0; k < c.thresholds.length; k++) {
    const posG = c.tps[k] - prevTp;
    const negG = c.fps[k] - prevFp;
    twiceU += posG * (2 * (c.negatives - c.fps[k]) + negG);
    prevTp = c.tps[k];
    prevFp = c.fps[k];
  }
  return twiceU / (2 * c.positives * c.negatives);
}

/** A ROC curve: parallel arrays, one point per threshold. */
export interface RocCurve {
  /** False-positive rate FP/N at each threshold, non-decreasing from 0 to 1. */
  fpr: Float64Array;
  /** True-positive rate (recall) TP/P at each threshold, non-decreasing from 0 to 1. */
  tpr: Float64Array;
  /** Thresholds, decreasing; the first is +Infinity (nothing predicted anomalous). */
  thresholds: Float64Array;
}

/**
 * ROC curve as sklearn.metrics.roc_curve(y, s, drop_intermediate=False) (sklearn ≥ 1.3, whose
 * first threshold is +Infinity; older versions put max score + 1 there): one point per distinct
 * score, thresholds descending, starting at (0, 0).
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): RocCurve {
  return rocFromCounts(binaryCounts(checkBinary(scores, labels, 'rocCurve')));
}

function rocFromCounts(c: BinaryCounts): RocCurve {
  const m = c.thresholds.length;
  const fpr = new Float64Array(m + 1);
  const tpr = new Float64Array(m + 1);
  const thresholds = new Float64Array(m + 1);
  thresholds[0] = Infinity;
  for (let k = 0; k < m; k++) {
    fpr[k + 1] = c.fps[k] / c.negatives;
    tpr[k + 1] = c.tps[k] / c.positives;
    thresholds[k + 1] = c.thresholds[k];
  }
  return { fpr, tpr, thresholds };
}

/** A precision-recall curve, in sklearn's order (see precisionRecallCurve). */
export interface PrecisionRecallCurve {
  /** Precision TP/(TP+FP) at each threshold, then a final 1. */
  precision: Float64Array;
  /** Recall TP/P at each threshold (non-increasing), then a final 0. */
  recall: Float64Array;
  /** The distinct scores, increasing; one shorter than precision and recall. */
  thresholds: Float64Array;
}

/**
 * Precision-recall curve as sklearn.metrics.precision_recall_curve. Ordering, as sklearn's:
 * thresholds INCREASING (every distinct score, lowest first, so recall starts at 1), and
 * precision/recall have one extra final point (precision 1, recall 0) that has no threshold.
 */
export function precisionRecallCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): PrecisionRecallCurve {
  const c = binaryCounts(checkBinary(scores, labels, 'precisionRecallCurve'));
  const m = c.thresholds.length;
  const precision = new Float64Array(m + 1);
  const recall = new Float64Array(m + 1);
  const thresholds = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    const j = m - 1 - k; // reverse: counts are highest threshold first
    precision[k] = c.tps[j] / (c.tps[j] + c.fps[j]);
    recall[k] = c.tps[j] / c.positives;
    thresholds[k] = c.thresholds[j];
  }
  precision[m] = 1;
  recall[m] = 0;
  return { precision, recall, thresholds };
}

/**
 * Average precision as sklearn.metrics.average_precision_score: Σₙ (Rₙ − Rₙ₋₁)·Pₙ over the
 * distinct thresholds (tied scores form one step), with R₀ = 0. A step sum, not the trapezoidal
 * area, which would be optimistic.
 */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  return apFromCounts(binaryCounts(checkBinary(scores, labels, 'averagePrecision')));
}

function apFromCounts(c: BinaryCounts): number {
  let ap = 0;
  let prevTp = 0;
  for (let k = 0; k < c.thresholds.length; k++) {
    const dTp = c.tps[k] - prevTp;
    if (dTp > 0) ap += (dTp / c.positives) * (c.tps[k] / (c.tps[k] + c.fps[k]));
    prevTp = c.tps[k];
  }
  return ap;
}

/** Confusion counts and scores at one threshold. */
export interface F1Result {
  f1: number;
  precision: number;
  recall: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/**
 * F1, precision and recall when every score >= threshold is predicted anomalous.
 * When nothing is predicted anomalous, precision is reported as 0 (not NaN, following sklearn's
 * zero_division default), and F1 is then 0 too.
 */
export function f1AtThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): F1Result {
  const fn = 'f1AtThreshold';
  const d = checkBinary(scores, labels, fn);
  const t = checkFiniteNumber(threshold, 'threshold', fn);
  return f1FromData(d, t);
}

function f1FromData(d: BinaryData, threshold: number): F1Result {
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < d.scores.length; i++) {
    if (d.scores[i] >= threshold) {
      if (d.labels[i] === 1) tp++;
      else fp++;
    }
  }
  const fn = d.positives - tp;
  const tn = d.negatives - fp;
  return { ...f1FromCounts(tp, fp, d.positives), tp, fp, fn, tn };
}

/** The equal error rate and the threshold where it occurs. */
export interface EqualErrorRate {
  /** The rate at which FPR = FNR (= 1 − TPR). */
  eer: number;
  /** The score threshold at that point, interpolated like the rate. */
  threshold: number;
}

/**
 * Equal error rate: the point of the ROC curve (rocCurve, all distinct thresholds) where the
 * false-positive rate equals the false-negative rate 1 − TPR, linearly interpolated between the
 * two neighbouring ROC points that bracket it. This is where the piecewise-linear ROC crosses the
 * line TPR = 1 − FPR, the value the authors' code finds with brentq on interp1d(fpr, tpr).
 *
 * The threshold is interpolated between the two points' thresholds with the same fraction. When
 * the crossing lies on the first segment, whose upper threshold is +Infinity, the threshold of the
 * second point (the highest score) is returned instead.
 */
export function equalErrorRate(scores: ArrayLike<number>, labels: ArrayLike<number>): EqualErrorRate {
  return eerFromCounts(binaryCounts(checkBinary(scores, labels, 'equalErrorRate')));
}

function eerFromCounts(c: BinaryCounts): EqualErrorRate {
  const roc = rocFromCounts(c);
  // d = FPR − FNR rises from −1 at (0, 0) to +1 at (1, 1) (the last point has TPR = FPR = 1),
  // so a first index with d >= 0 exists and is >= 1.
  const d = (k: number): number => roc.fpr[k] - (1 - roc.tpr[k]);
  let k = 1;
  while (d(k) < 0) k++;
  const dk = d(k);
  if (dk === 0) return { eer: roc.fpr[k], threshold: roc.thresholds[k] };
  const dPrev = d(k - 1);
  const t = -dPrev / (dk - dPrev); // in (0, 1]
  const eer = roc.fpr[k - 1] + t * (roc.fpr[k] - roc.fpr[k - 1]);
  const hi = roc.thresholds[k - 1];
  const lo = roc.thresholds[k];
  const threshold = Number.isFinite(hi) ? hi + t * (lo - hi) : lo;
  return { eer, threshold };
}

/** Everything `evaluateScores` reports. */
export interface Evaluation {
  auroc: number;
  averagePrecision: number;
  /** F1, precision and recall at `threshold`. */
  f1: number;
  precision: number;
  recall: number;
  eer: number;
  eerThreshold: number;
  /** The threshold the F1 figures were computed at. */
  threshold: number;
}

/**
 * All the paper's metrics in one pass over one sort: AUROC, average precision, F1/precision/
 * recall at `threshold` (e.g. DEFAULT_PHI on min-max normalised scores) and the equal error rate.
 */
export function evaluateScores(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): Evaluation {
  const fn = 'evaluateScores';
  const d = checkBinary(scores, labels, fn);
  const t = checkFiniteNumber(threshold, 'threshold', fn);
  const c = binaryCounts(d);
  const f = f1FromData(d, t);
  const e = eerFromCounts(c);
  return {
    auroc: aurocFromCounts(c),
    averagePrecision: apFromCounts(c),
    f1: f.f1,
    precision: f.precision,
    recall: f.recall,
    eer: e.eer,
    eerThreshold: e.threshold,
    threshold: t,
  };
}
