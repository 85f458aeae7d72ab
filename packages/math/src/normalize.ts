/**
 * Min-max score normalisation s' = (s − min)/(max − min).
 *
 * The paper fits min and max on the test set itself, which needs the whole test set at once and so
 * cannot score a single new image. For a deployable detector, fit the range once on held-out
 * normal images (`fitMinMax`), store it with the model, and pass it to `minMaxNormalize`.
 */
import { checkAllFinite, checkFiniteNumber, checkNumericArray, fail, failWith } from '@ganomaly/common';

/** A score range for min-max normalisation. */
export interface MinMax {
  min: number;
  max: number;
}

/** The smallest and largest of `scores` (non-empty, finite). */
export function fitMinMax(scores: ArrayLike<number>): MinMax {
  const fn = 'fitMinMax';
  const s = checkNumericArray(scores, 'scores', fn);
  if (s.length === 0) fail('scores', fn, 'a non-empty array of scores', s);
  checkAllFinite(s, 'scores', fn);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < s.length; i++) {
    const v = s[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

function checkRange(range: unknown, fn: string): MinMax {
  if (typeof range !== 'object' || range === null || Array.isArray(range)) {
    fail('range', fn, 'an object {min, max}', range);
  }
  const r = range as Record<string, unknown>;
  const min = checkFiniteNumber(r['min'], 'range.min', fn);
  const max = checkFiniteNumber(r['max'], 'range.max', fn);
  if (min > max) failWith('range', fn, 'a range with min <= max', `min ${min} > max ${max}`);
  return { min, max };
}

/**
 * Scales scores by (s − min)/(max − min).
 *
 * - `range` omitted: min and max are taken from `scores` themselves (the paper's test-set
 *   scaling), so the result lies in [0, 1]; `scores` must then be non-empty.
 * - `range` given (e.g. fitted on calibration images): values outside it are NOT clipped, so the
 *   result can be < 0 or > 1. A new image can be more anomalous than every calibration image, and
 *   clipping would hide by how much.
 * - max == min: there is no spread to scale by, so every result is 0 (rather than NaN).
 */
export function minMaxNormalize(scores: ArrayLike<number>, range?: MinMax): Float32Array {
  const fn = 'minMaxNormalize';
  const s = checkNumericArray(scores, 'scores', fn);
  let r: MinMax;
  if (range === undefined) {
    if (s.length === 0) fail('scores', fn, 'a non-empty array of scores when no range is given', s);
    checkAllFinite(s, 'scores', fn);
    r = fitMinMax(s);
  } else {
    r = checkRange(range, fn);
    checkAllFinite(s, 'scores', fn);
  }
  const out = new Float32Array(s.length);
  const span = r.max - r.min;
  if (span === 0) return out;
  for (let i = 0; i < s.length; i++) out[i] = (s[i] - r.min) / span;
  return out;
}
