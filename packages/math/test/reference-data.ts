/**
 * Reference values from an independent implementation (scikit-learn 1.2.1, numpy 1.24.2,
 * scipy 1.10.1, Debian bookworm's python3-sklearn), pasted as literals: the suite never runs Python.
 *
 * R50 was drawn once with:
 *   rng = np.random.default_rng(7); s = np.round(rng.random(50), 2)
 *   l = (s + rng.normal(0, 0.3, 50) > 0.6).astype(int)
 * (39 distinct scores among 50, with ties inside and across classes; 21 anomalies.)
 *
 * The numbers below were printed by this script (run with /usr/bin/python3):
 *
 *   import numpy as np
 *   from fractions import Fraction
 *   from scipy.optimize import brentq
 *   from scipy.interpolate import interp1d
 *   from sklearn.metrics import (roc_curve, roc_auc_score, precision_recall_curve,
 *       average_precision_score, f1_score, precision_score, recall_score, confusion_matrix)
 *   D = {'T4': ([0.1, 0.4, 0.4, 0.8], [0, 0, 1, 1]),   # every list here is pasted verbatim
 *        'T10': (<T10.scores>, <T10.labels>), 'R50': (<R50.scores>, <R50.labels>)}   # from below
 *   L = lambda a: '[' + ', '.join(repr(float(x)) for x in a) + ']'
 *   for name, (s, y) in D.items():
 *       s = np.array(s); y = np.array(y)
 *       print('auroc', repr(roc_auc_score(y, s)))
 *       print('ap', repr(average_precision_score(y, s)))
 *       fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)
 *       print('fpr', L(fpr)); print('tpr', L(tpr)); print('rocthr[1:]', L(thr[1:]))
 *       p, r, t = precision_recall_curve(y, s)
 *       print('prec', L(p)); print('rec', L(r)); print('prthr', L(t))
 *       # the authors' EER recipe (GANomaly lib/evaluate.py)
 *       eer = brentq(lambda x: 1. - x - interp1d(fpr, tpr)(x), 0., 1.)
 *       print('eer', repr(eer), 'eerThr', repr(float(interp1d(fpr[1:], thr[1:])(eer))))
 *       best = None   # F1 over distinct thresholds, exact fractions, ties -> higher threshold
 *       for th in sorted(set(s.tolist()), reverse=True):
 *           pred = (s >= th).astype(int)
 *           tp = int(((pred == 1) & (y == 1)).sum()); fp = int(((pred == 1) & (y == 0)).sum())
 *           f = Fraction(2 * tp, tp + fp + int(y.sum()))
 *           if best is None or f > best[0]:
 *               best = (f, th, f1_score(y, pred), precision_score(y, pred), recall_score(y, pred))
 *       print('f1best', repr(best[1]), repr(best[2]), repr(best[3]), repr(best[4]))
 *       print('quantiles', L(np.quantile(s, [0, 0.25, 0.5, 0.9, 0.99, 1, 0.333])))
 *   for name in ['T10', 'R50']:
 *       s, y = np.array(D[name][0]), np.array(D[name][1])
 *       pred = (s >= 0.5).astype(int)
 *       tn, fp, fn, tp = confusion_matrix(y, pred).ravel()
 *       print(repr(f1_score(y, pred)), repr(precision_score(y, pred)), repr(recall_score(y, pred)), tp, fp, fn, tn)
 *
 * sklearn 1.2 puts max(score) + 1 as roc_curve's first threshold; sklearn >= 1.3 (and this
 * library) put +Infinity there, so only thresholds[1:] are compared.
 * The EER from brentq is accurate to its xtol (~1e-12 relative; T10 printed 0.4000000000000833),
 * so EER figures are compared to 9 digits.
 */
export interface Reference {
  scores: number[];
  labels: number[];
  auroc: number;
  ap: number;
  fpr: number[];
  tpr: number[];
  /** roc_curve thresholds without the first (+Infinity here, max + 1 in sklearn 1.2). */
  rocThresholds: number[];
  precision: number[];
  recall: number[];
  prThresholds: number[];
  eer: number;
  eerThreshold: number;
  f1Best: { threshold: number; f1: number; precision: number; recall: number };
  /** np.quantile(s, QUANTILE_QS) */
  quantiles: number[];
  /** F1 figures at threshold 0.5, where printed. */
  at05?: { f1: number; precision: number; recall: number; tp: number; fp: number; fn: number; tn: number };
}

export const QUANTILE_QS = [0, 0.25, 0.5, 0.9, 0.99, 1, 0.333];

export const T4: Reference = {
  scores: [0.1, 0.4, 0.4, 0.8],
  labels: [0, 0, 1, 1],
  auroc: 0.875,
  ap: 0.8333333333333333,
  fpr: [0.0, 0.0, 0.5, 1.0],
  tpr: [0.0, 0.5, 1.0, 1.0],
  rocThresholds: [0.8, 0.4, 0.1],
  precision: [0.5, 0.6666666666666666, 1.0, 1.0],
  recall: [1.0, 1.0, 0.5, 0.0],
  prThresholds: [0.1, 0.4, 0.8],
  eer: 0.25000000000000006,
  eerThreshold: 0.6,
  f1Best: { threshold: 0.4, f1: 0.8, precision: 0.6666666666666666, recall: 1.0 },
  quantiles: [0.1, 0.325, 0.4, 0.6800000000000002, 0.7879999999999999, 0.8, 0.39970000000000006],
};

export const T10: Reference = {
  scores: [0.2, 0.2, 0.5, 0.5, 0.5, 0.9, 0.1, 0.9, 0.3, 0.3],
  labels: [0, 1, 0, 1, 1, 1, 0, 0, 0, 1],
  auroc: 0.6200000000000001,
  ap: 0.5653968253968253,
  fpr: [0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
  tpr: [0.0, 0.2, 0.6, 0.8, 1.0, 1.0],
  rocThresholds: [0.9, 0.5, 0.3, 0.2, 0.1],
  precision: [0.5, 0.5555555555555556, 0.5714285714285714, 0.6, 0.5, 1.0],
  recall: [1.0, 1.0, 0.8, 0.6, 0.2, 0.0],
  prThresholds: [0.1, 0.2, 0.3, 0.5, 0.9],
  eer: 0.4000000000000833,
  eerThreshold: 0.49999999999991673,
  f1Best: { threshold: 0.2, f1: 0.7142857142857143, precision: 0.5555555555555556, recall: 1.0 },
  quantiles: [0.1, 0.225, 0.4, 0.9, 0.9, 0.9, 0.2997],
  at05: { f1: 0.6, precision: 0.6, recall: 0.6, tp: 3, fp: 2, fn: 2, tn: 3 },
};

export const R50: Reference = {
  scores: [
    0.63, 0.9, 0.78, 0.23, 0.3, 0.87, 0.01, 0.82, 0.8, 0.47, 0.3, 0.28, 0.25, 0.45, 0.5, 0.55, 1.0, 0.79, 0.62,
    0.99, 0.22, 0.16, 0.61, 0.04, 0.04, 0.51, 0.47, 0.92, 0.63, 0.51, 0.5, 0.25, 0.01, 0.19, 0.69, 0.2, 0.37, 0.0,
    0.83, 0.15, 0.27, 0.88, 0.51, 0.85, 0.64, 0.74, 0.09, 0.54, 0.51, 0.87,
  ],
  labels: [
    1, 1, 0, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0,
    1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 1, 0,
  ],
  auroc: 0.8686371100164204,
  ap: 0.763390741116305,
  fpr: [
    0.0, 0.0, 0.034482758620689655, 0.034482758620689655, 0.034482758620689655, 0.034482758620689655,
    0.06896551724137931, 0.06896551724137931, 0.06896551724137931, 0.06896551724137931, 0.06896551724137931,
    0.06896551724137931, 0.10344827586206896, 0.10344827586206896, 0.10344827586206896, 0.10344827586206896,
    0.13793103448275862, 0.13793103448275862, 0.1724137931034483, 0.20689655172413793, 0.2413793103448276,
    0.27586206896551724, 0.3103448275862069, 0.3103448275862069, 0.3448275862068966, 0.3793103448275862,
    0.4482758620689655, 0.4827586206896552, 0.5172413793103449, 0.5862068965517241, 0.6206896551724138,
    0.6551724137931034, 0.6896551724137931, 0.7241379310344828, 0.7586206896551724, 0.7931034482758621,
    0.8275862068965517, 0.896551724137931, 0.9655172413793104, 1.0,
  ],
  tpr: [
    0.0, 0.047619047619047616, 0.047619047619047616, 0.09523809523809523, 0.14285714285714285,
    0.19047619047619047, 0.23809523809523808, 0.2857142857142857, 0.3333333333333333, 0.38095238095238093,
    0.42857142857142855, 0.47619047619047616, 0.47619047619047616, 0.5238095238095238, 0.5714285714285714,
    0.6190476190476191, 0.6666666666666666, 0.7142857142857143, 0.7142857142857143, 0.7142857142857143,
    0.7142857142857143, 0.8571428571428571, 0.9047619047619048, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0,
    1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0,
  ],
  rocThresholds: [
    1.0, 0.99, 0.92, 0.9, 0.88, 0.87, 0.85, 0.83, 0.82, 0.8, 0.79, 0.78, 0.74, 0.69, 0.64, 0.63, 0.62, 0.61, 0.55,
    0.54, 0.51, 0.5, 0.47, 0.45, 0.37, 0.3, 0.28, 0.27, 0.25, 0.23, 0.22, 0.2, 0.19, 0.16, 0.15, 0.09, 0.04, 0.01,
    0.0,
  ],
  precision: [
    0.42, 0.42857142857142855, 0.44680851063829785, 0.4666666666666667, 0.4772727272727273, 0.4883720930232558,
    0.5, 0.5121951219512195, 0.525, 0.5384615384615384, 0.5526315789473685, 0.5833333333333334, 0.6,
    0.6176470588235294, 0.65625, 0.6774193548387096, 0.7, 0.6785714285714286, 0.6923076923076923,
    0.6818181818181818, 0.7142857142857143, 0.75, 0.7894736842105263, 0.7777777777777778, 0.8125, 0.8,
    0.7857142857142857, 0.7692307692307693, 0.8333333333333334, 0.8181818181818182, 0.8, 0.7777777777777778, 0.75,
    0.7142857142857143, 0.8, 0.75, 0.6666666666666666, 0.5, 1.0, 1.0,
  ],
  recall: [
    1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.9047619047619048,
    0.8571428571428571, 0.7142857142857143, 0.7142857142857143, 0.7142857142857143, 0.7142857142857143,
    0.6666666666666666, 0.6190476190476191, 0.5714285714285714, 0.5238095238095238, 0.47619047619047616,
    0.47619047619047616, 0.42857142857142855, 0.38095238095238093, 0.3333333333333333, 0.2857142857142857,
    0.23809523809523808, 0.19047619047619047, 0.14285714285714285, 0.09523809523809523, 0.047619047619047616,
    0.047619047619047616, 0.0,
  ],
  prThresholds: [
    0.0, 0.01, 0.04, 0.09, 0.15, 0.16, 0.19, 0.2, 0.22, 0.23, 0.25, 0.27, 0.28, 0.3, 0.37, 0.45, 0.47, 0.5, 0.51,
    0.54, 0.55, 0.61, 0.62, 0.63, 0.64, 0.69, 0.74, 0.78, 0.79, 0.8, 0.82, 0.83, 0.85, 0.87, 0.88, 0.9, 0.92, 0.99,
    1.0,
  ],
  eer: 0.25,
  eerThreshold: 0.5325000000000001,
  f1Best: { threshold: 0.47, f1: 0.8235294117647058, precision: 0.7, recall: 1.0 },
  quantiles: [0.0, 0.25, 0.51, 0.871, 0.9951, 1.0, 0.3],
  at05: {
    f1: 0.7755102040816326,
    precision: 0.6785714285714286,
    recall: 0.9047619047619048,
    tp: 19,
    fp: 9,
    fn: 2,
    tn: 20,
  },
};

export const REFERENCES = { T4, T10, R50 } as const;
