import { describe, expect, it } from 'vitest';
import {
  auroc,
  averagePrecision,
  equalErrorRate,
  evaluateScores,
  f1AtThreshold,
  f1BestThreshold,
  precisionRecallCurve,
  rocCurve,
} from '@ganomaly/math';
import { expectAllClose, expectValueError } from './helpers.js';
import { REFERENCES, R50, T10 } from './reference-data.js';

/** Independent O(n²) AUROC: fraction of (anomaly, normal) pairs ranked right, ties ½. */
function pairwiseAuroc(s: number[], l: number[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < s.length; i++) {
    if (l[i] !== 1) continue;
    for (let j = 0; j < s.length; j++) {
      if (l[j] !== 0) continue;
      pairs++;
      wins += s[i]! > s[j]! ? 1 : s[i] === s[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

describe('auroc', () => {
  it('counts ties as half: [0.1, 0.4, 0.4, 0.8] / [0, 0, 1, 1] → 0.875', () => {
    // Pairs (anomaly, normal): 0.8>0.1 ✓, 0.8>0.4 ✓, 0.4>0.1 ✓, 0.4=0.4 tie ½ → 3.5 / 4 = 0.875.
    // (Average ranks: 0.1→1, 0.4→2.5, 0.4→2.5, 0.8→4; anomaly rank sum 6.5; U = 6.5 − 2·3/2 = 3.5.)
    expect(auroc([0.1, 0.4, 0.4, 0.8], [0, 0, 1, 1])).toBe(0.875);
  });

  it('is 1 for a perfect ranking, 0 for an inverted one, 0.5 when all tied', () => {
    expect(auroc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auroc([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0])).toBe(0);
    expect(auroc([0.3, 0.3, 0.3, 0.3, 0.3], [0, 1, 0, 1, 1])).toBe(0.5);
  });

  it('accepts typed arrays', () => {
    expect(auroc(new Float32Array([0.1, 0.4, 0.4, 0.8]), new Uint8Array([0, 0, 1, 1]))).toBe(0.875);
  });

  it('does not depend on input order', () => {
    const idx = R50.scores.map((_, i) => i).reverse();
    expect(auroc(idx.map((i) => R50.scores[i]!), idx.map((i) => R50.labels[i]!))).toBe(auroc(R50.scores, R50.labels));
  });

  for (const [name, ref] of Object.entries(REFERENCES)) {
    it(`matches sklearn roc_auc_score and a pairwise count on ${name}`, () => {
      expect(auroc(ref.scores, ref.labels)).toBeCloseTo(ref.auroc, 14);
      expect(auroc(ref.scores, ref.labels)).toBeCloseTo(pairwiseAuroc(ref.scores, ref.labels), 14);
    });
  }
});

describe('rocCurve', () => {
  for (const [name, ref] of Object.entries(REFERENCES)) {
    it(`matches sklearn roc_curve(drop_intermediate=False) on ${name}`, () => {
      const roc = rocCurve(ref.scores, ref.labels);
      expect(roc.fpr).toBeInstanceOf(Float64Array);
      expectAllClose(roc.fpr, ref.fpr);
      expectAllClose(roc.tpr, ref.tpr);
      expect(roc.thresholds[0]).toBe(Infinity);
      expectAllClose(roc.thresholds.slice(1), ref.rocThresholds);
    });
  }

  it('has trapezoidal area equal to auroc (ties make diagonal steps)', () => {
    const { fpr, tpr } = rocCurve(R50.scores, R50.labels);
    let area = 0;
    for (let k = 1; k < fpr.length; k++) area += ((fpr[k]! - fpr[k - 1]!) * (tpr[k]! + tpr[k - 1]!)) / 2;
    expect(area).toBeCloseTo(R50.auroc, 12);
  });
});

describe('precisionRecallCurve', () => {
  for (const [name, ref] of Object.entries(REFERENCES)) {
    it(`matches sklearn precision_recall_curve on ${name} (increasing thresholds, final (P=1, R=0))`, () => {
      const pr = precisionRecallCurve(ref.scores, ref.labels);
      expectAllClose(pr.precision, ref.precision);
      expectAllClose(pr.recall, ref.recall);
      expectAllClose(pr.thresholds, ref.prThresholds);
      expect(pr.precision.length).toBe(pr.thresholds.length + 1);
      expect(pr.precision[pr.precision.length - 1]).toBe(1);
      expect(pr.recall[pr.recall.length - 1]).toBe(0);
    });
  }
});

describe('averagePrecision', () => {
  it('groups tied scores into one step: [0.1, 0.4, 0.4, 0.8] / [0, 0, 1, 1]', () => {
    // Thresholds high→low: 0.8: R 1/2, P 1; 0.4: R 1, P 2/3; 0.1: R 1 (no step).
    // AP = (1/2 − 0)·1 + (1 − 1/2)·2/3 = 1/2 + 1/3 = 5/6.
    expect(averagePrecision([0.1, 0.4, 0.4, 0.8], [0, 0, 1, 1])).toBeCloseTo(5 / 6, 14);
  });

  for (const [name, ref] of Object.entries(REFERENCES)) {
    it(`matches sklearn average_precision_score on ${name}`, () => {
      expect(averagePrecision(ref.scores, ref.labels)).toBeCloseTo(ref.ap, 13);
    });
  }
});

describe('f1AtThreshold', () => {
  for (const ref of [T10, R50]) {
    it(`matches sklearn f1/precision/recall/confusion_matrix at 0.5 (n=${ref.scores.length})`, () => {
      const r = f1AtThreshold(ref.scores, ref.labels, 0.5);
      const want = ref.at05!;
      expect({ tp: r.tp, fp: r.fp, fn: r.fn, tn: r.tn }).toEqual({ tp: want.tp, fp: want.fp, fn: want.fn, tn: want.tn });
      expect(r.f1).toBeCloseTo(want.f1, 14);
      expect(r.precision).toBeCloseTo(want.precision, 14);
      expect(r.recall).toBeCloseTo(want.recall, 14);
    });
  }

  it('counts score == threshold as anomalous', () => {
    // Scores >= 0.4: 0.4 (normal), 0.4 (anomaly), 0.8 (anomaly) → tp 2, fp 1, fn 0, tn 1;
    // P = 2/3, R = 1, F1 = 2·2/(2·2 + 1 + 0) = 0.8.
    const r = f1AtThreshold([0.1, 0.4, 0.4, 0.8], [0, 0, 1, 1], 0.4);
    expect(r).toEqual({ f1: 0.8, precision: 2 / 3, recall: 1, tp: 2, fp: 1, fn: 0, tn: 1 });
  });

  it('reports precision 0 (not NaN) when nothing is predicted anomalous', () => {
    const r = f1AtThreshold([0.1, 0.4, 0.4, 0.8], [0, 0, 1, 1], 2);
    expect(r).toEqual({ f1: 0, precision: 0, recall: 0, tp: 0, fp: 0, fn: 2, tn: 2 });
  });

  it('rejects a non-finite threshold naming it', () => {
    expectValueError(() => f1AtThreshold([0, 1], [0, 1], NaN), /'threshold'/, /'f1AtThreshold'/, /NaN/);
  });
});

describe('equalErrorRate', () => {
  for (const [name, ref] of Object.entries(REFERENCES)) {
    it(`matches the authors' brentq(1 − x − interp1d(fpr, tpr)(x)) on ${name}`, () => {
      const e = equalErrorRate(ref.scores, ref.labels);
      expect(e.eer).toBeCloseTo(ref.eer, 9);
      // Crossings of T4 and R50 lie on diagonal segments and T10's on a ROC point, so
      // interp1d(fpr, thresholds) is unambiguous there.
      expect(e.threshold).toBeCloseTo(ref.eerThreshold, 9);
    });
  }

  it('interpolates on a vertical ROC segment', () => {
    // Scores 5..1 with labels 1,0,1,0,0: P = 2, N = 3. ROC points (fpr, tpr, threshold):
    // (0,0,∞) (0,½,5) (⅓,½,4) (⅓,1,3) (⅔,1,2) (1,1,1). d = fpr − (1 − tpr): −1, −½, −⅙, ⅓, ...
    // Crossing between (⅓,½,4) and (⅓,1,3) at t = ⅙/(⅙ + ⅓) = ⅓: EER = ⅓, threshold 4 − ⅓ = 3⅔.
    const e = equalErrorRate([5, 4, 3, 2, 1], [1, 0, 1, 0, 0]);
    expect(e.eer).toBeCloseTo(1 / 3, 14);
    expect(e.threshold).toBeCloseTo(11 / 3, 14);
  });

  it('is exact on a horizontal segment and 0 for a perfect ranking', () => {
    // Scores 5..1 labels 1,1,0,1,0: P = 3, N = 2. Points (0,⅓,5) (0,⅔,4) (½,⅔,3) (½,1,2) (1,1,1);
    // d: −1, −⅔, −⅓, ⅙, ½, 1; between (0,⅔,4) and (½,⅔,3): t = ⅓/(⅙ + ⅓) = ⅔ → EER ⅓, thr 4 − ⅔.
    const e = equalErrorRate([5, 4, 3, 2, 1], [1, 1, 0, 1, 0]);
    expect(e.eer).toBeCloseTo(1 / 3, 14);
    expect(e.threshold).toBeCloseTo(10 / 3, 14);
    // Perfect: the point (0, 1) at threshold 0.8 has FPR = FNR = 0.
    expect(equalErrorRate([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toEqual({ eer: 0, threshold: 0.8 });
  });

  it('uses the highest score as threshold when the crossing is on the first segment', () => {
    // All tied: ROC (0,0,∞) → (1,1,0.3); crossing halfway, EER ½; ∞ cannot be interpolated.
    expect(equalErrorRate([0.3, 0.3, 0.3], [0, 1, 1])).toEqual({ eer: 0.5, threshold: 0.3 });
  });
});

describe('evaluateScores', () => {
  it('agrees with the single metrics', () => {
    const r = evaluateScores(R50.scores, R50.labels, 0.5);
    const f = f1AtThreshold(R50.scores, R50.labels, 0.5);
    const e = equalErrorRate(R50.scores, R50.labels);
    expect(r).toEqual({
      auroc: auroc(R50.scores, R50.labels),
      averagePrecision: averagePrecision(R50.scores, R50.labels),
      f1: f.f1,
      precision: f.precision,
      recall: f.recall,
      eer: e.eer,
      eerThreshold: e.threshold,
      threshold: 0.5,
    });
    expect(r.auroc).toBeCloseTo(R50.auroc, 14);
    expect(r.f1).toBeCloseTo(R50.at05!.f1, 14);
  });
});

describe('validation of scores and labels', () => {
  const fns: Record<string, (s: ArrayLike<number>, l: ArrayLike<number>) => unknown> = {
    auroc,
    rocCurve,
    precisionRecallCurve,
    averagePrecision,
    equalErrorRate,
    f1BestThreshold,
    f1AtThreshold: (s, l) => f1AtThreshold(s, l, 0.5),
    evaluateScores: (s, l) => evaluateScores(s, l, 0.5),
  };
  for (const [name, f] of Object.entries(fns)) {
    describe(name, () => {
      const inFn = new RegExp(`passed to '${name}'`);
      it('rejects mismatched lengths naming labels', () => {
        expectValueError(() => f([0.1, 0.2, 0.3], [0, 1]), /Argument 'labels'/, inFn, /same length as 'scores' \(3\)/, /length 2/);
      });
      it('rejects empty input naming scores', () => {
        expectValueError(() => f([], []), /Argument 'scores'/, inFn, /non-empty/);
      });
      it('rejects a single class, saying it needs both and how many of each came', () => {
        expectValueError(() => f([0.1, 0.2, 0.3], [0, 0, 0]), /Argument 'labels'/, inFn, /both normal \(0\) and anomalous \(1\)/, /AUROC/, /3 normal and 0 anomalous/);
        expectValueError(() => f([0.1, 0.2], [1, 1]), /Argument 'labels'/, /0 normal and 2 anomalous/);
      });
      it('rejects a label other than 0/1 naming labels and the index', () => {
        expectValueError(() => f([0.1, 0.2, 0.3], [0, 1, 2]), /Argument 'labels'/, inFn, /only 0 \(normal\) or 1 \(anomaly\)/, /2 at index 2/);
      });
      it('rejects a NaN or infinite score naming scores and the index', () => {
        expectValueError(() => f([0.1, NaN, 0.3], [0, 1, 1]), /Argument 'scores'/, inFn, /finite/, /NaN at index 1/);
        expectValueError(() => f([0.1, Infinity], [0, 1]), /Argument 'scores'/, /Infinity at index 1/);
      });
      it('rejects non-arrays', () => {
        expectValueError(() => f('0.1' as unknown as number[], [0]), /Argument 'scores'/, inFn);
        expectValueError(() => f([0.1, 0.2], ['0', '1'] as unknown as number[]), /Argument 'labels'/, inFn);
      });
    });
  }
});
