import { describe, expect, it } from 'vitest';
import { fitMinMax, minMaxNormalize } from '@ganomaly/math';
import { expectAllClose, expectValueError } from './helpers.js';

describe('fitMinMax', () => {
  it('finds the smallest and largest score', () => {
    expect(fitMinMax([3, -1, 7, 2])).toEqual({ min: -1, max: 7 });
    expect(fitMinMax(new Float64Array([0.5]))).toEqual({ min: 0.5, max: 0.5 });
  });

  it('rejects empty and non-finite scores', () => {
    expectValueError(() => fitMinMax([]), /Argument 'scores'/, /'fitMinMax'/, /non-empty/);
    expectValueError(() => fitMinMax([1, NaN]), /Argument 'scores'/, /NaN at index 1/);
  });
});

describe('minMaxNormalize', () => {
  it('scales by the scores themselves when no range is given (the paper)', () => {
    // min 2, max 10, span 8: (2−2)/8 = 0, (4−2)/8 = 0.25, (10−2)/8 = 1, (6−2)/8 = 0.5
    const out = minMaxNormalize([2, 4, 10, 6]);
    expect(out).toBeInstanceOf(Float32Array);
    expectAllClose(out, [0, 0.25, 1, 0.5], 7);
  });

  it('uses a given range and does not clip outside it', () => {
    // range [2, 6], span 4: (0−2)/4 = −0.5, (4−2)/4 = 0.5, (10−2)/4 = 2
    expectAllClose(minMaxNormalize([0, 4, 10], { min: 2, max: 6 }), [-0.5, 0.5, 2], 7);
  });

  it('returns zeros when max == min', () => {
    expect(Array.from(minMaxNormalize([3, 3, 3]))).toEqual([0, 0, 0]);
    expect(Array.from(minMaxNormalize([1, 5], { min: 2, max: 2 }))).toEqual([0, 0]);
  });

  it('returns an empty array for empty scores with a range', () => {
    expect(minMaxNormalize([], { min: 0, max: 1 }).length).toBe(0);
  });

  it('rejects bad scores and ranges, naming them', () => {
    expectValueError(() => minMaxNormalize([]), /Argument 'scores'/, /'minMaxNormalize'/, /non-empty/);
    expectValueError(() => minMaxNormalize([1, NaN]), /Argument 'scores'/, /NaN at index 1/);
    expectValueError(() => minMaxNormalize([1, NaN], { min: 0, max: 1 }), /Argument 'scores'/, /NaN/);
    expectValueError(() => minMaxNormalize([1], { min: 2, max: 1 }), /Argument 'range'/, /min <= max/, /min 2 > max 1/);
    expectValueError(() => minMaxNormalize([1], { min: NaN, max: 1 }), /Argument 'range\.min'/, /finite/);
    expectValueError(() => minMaxNormalize([1], [0, 1] as never), /Argument 'range'/, /\{min, max\}/);
  });
});
