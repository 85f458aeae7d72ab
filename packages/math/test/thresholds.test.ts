import { describe, expect, it } from 'vitest';
import { DEFAULT_PHI, f1BestThreshold, quantile, quantileThreshold } from '@ganomaly/math';
import { expectValueError } from './helpers.js';
import { QUANTILE_QS, REFERENCES } from './reference-data.js';

describe('DEFAULT_PHI', () => {
  it("is the paper's 0.2", () => {
    expect(DEFAULT_PHI).toBe(0.2);
  });
});

describe('quantile', () => {
  it('interpolates linearly between order statistics (by hand)', () => {
    // sorted [1, 2, 4, 8]; q = 0.5 → h = 3·0.5 = 1.5 → 2 + 0.5·(4 − 2) = 3
    expect(quantile([8, 1, 4, 2], 0.5)).toBe(3);
    // q = 0.25 → h = 0.75 → 1 + 0.75·(2 − 1) = 1.75
    expect(quantile([8, 1, 4, 2], 0.25)).toBe(1.75);
    expect(quantile([8, 1, 4, 2], 0)).toBe(1);
    expect(quantile([8, 1, 4, 2], 1)).toBe(8);
    expect(quantile([5], 0.3)).toBe(5);
  });

  for (const [name, ref] of Object.entries(REFERENCES)) {
    it(`equals numpy.quantile (default 'linear') bit for bit on ${name}`, () => {
      QUANTILE_QS.forEach((q, i) => expect(quantile(ref.scores, q), `q=${q}`).toBe(ref.quantiles[i]));
    });
  }

  it('does not modify its input', () => {
    const v = [3, 1, 2];
    quantile(v, 0.5);
    expect(v).toEqual([3, 1, 2]);
  });

  it('rejects empty, non-finite values and q outside [0, 1]', () => {
    expectValueError(() => quantile([], 0.5), /Argument 'values'/, /'quantile'/, /non-empty/);
    expectValueError(() => quantile([1, NaN], 0.5), /Argument 'values'/, /NaN at index 1/);
    expectValueError(() => quantile([1, 2], 1.5), /Argument 'q'/, /\[0, 1\]/, /1\.5/);
    expectValueError(() => quantile([1, 2], NaN), /Argument 'q'/, /NaN/);
  });
});

describe('quantileThreshold', () => {
  it('defaults to the 0.99 quantile of the normal scores', () => {
    const s = REFERENCES.R50.scores;
    expect(quantileThreshold(s)).toBe(REFERENCES.R50.quantiles[QUANTILE_QS.indexOf(0.99)]);
    expect(quantileThreshold(s, 0.9)).toBe(REFERENCES.R50.quantiles[QUANTILE_QS.indexOf(0.9)]);
  });

  it('names its own arguments in errors', () => {
    expectValueError(() => quantileThreshold([]), /Argument 'normalScores'/, /'quantileThreshold'/);
    expectValueError(() => quantileThreshold([1], -0.1), /Argument 'q'/, /'quantileThreshold'/);
  });
});

describe('f1BestThreshold', () => {
  for (const [name, ref] of Object.entries(REFERENCES)) {
    it(`matches the exhaustive sklearn f1_score search on ${name}`, () => {
      const b = f1BestThreshold(ref.scores, ref.labels);
      expect(b.threshold).toBe(ref.f1Best.threshold);
      expect(b.f1).toBeCloseTo(ref.f1Best.f1, 14);
      expect(b.precision).toBeCloseTo(ref.f1Best.precision, 14);
      expect(b.recall).toBeCloseTo(ref.f1Best.recall, 14);
    });
  }

  it('breaks F1 ties towards the higher threshold', () => {
    // scores 0.9, 0.8, 0.7, 0.6 with labels 1, 0, 0, 1 (P = 2):
    // t 0.9: tp 1 fp 0 → F1 2/(1+0+2) = 2/3;  t 0.8: tp 1 fp 1 → 2/4;  t 0.7: tp 1 fp 2 → 2/5;
    // t 0.6: tp 2 fp 2 → 4/6 = 2/3. Tie between 0.9 and 0.6 → 0.9.
    expect(f1BestThreshold([0.9, 0.8, 0.7, 0.6], [1, 0, 0, 1])).toEqual({
      threshold: 0.9,
      f1: 2 / 3,
      precision: 1,
      recall: 0.5,
    });
  });
});
