// Calibration: the score normalisation and the decision threshold fitted on held-out scores,
// and how `predict` and `evaluate` apply them. Pure functions of scores and labels.
import { checkBinaryLabels, fail, failWith } from '@ganomaly/common';
import { DEFAULT_PHI, f1BestThreshold, fitMinMax, minMaxNormalize, quantileThreshold } from '@ganomaly/math';
import { checkLabels } from './inputs.js';
import { CALIBRATION_METHODS, type CalibrateOptions, type Calibration, type CalibrationMethod, type EvaluationResult, type Prediction } from './types.js';

/** A fraction in [0, 1] (quantiles, phi), checked when given. */
export function checkUnitInterval(value: number | undefined, arg: string, fn: string): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= 0 && value <= 1)) fail(arg, fn, 'a number in [0, 1]', value);
}

/** Checks `calibrate`'s options before any image is scored; returns the method to use. */
export function checkCalibrateOptions(options: CalibrateOptions, fn: string): CalibrationMethod {
  const method = options.method ?? (options.labels ? 'f1' : 'quantile');
  if (!(CALIBRATION_METHODS as readonly string[]).includes(method)) fail('options.method', fn, "'quantile', 'fixed' or 'f1'", method);
  checkUnitInterval(options.quantile, 'options.quantile', fn);
  checkUnitInterval(options.phi, 'options.phi', fn);
  if (method === 'f1' && !options.labels) failWith('options.labels', fn, "labels (1 = anomaly) for method 'f1'", 'none');
  return method;
}

/** The calibration `method` fits on these scores (of the calibration images). */
export function fitCalibration(scores: Float32Array, method: CalibrationMethod, options: CalibrateOptions, fn: string): Calibration {
  let threshold: number;
  const normalization = fitMinMax(scores);
  const extra: Partial<Calibration> = {};
  if (method === 'quantile') {
    const q = options.quantile ?? 0.99;
    let normal: ArrayLike<number> = scores;
    if (options.labels) {
      // Unlike evaluation labels, one class alone is fine here.
      const labels = checkBinaryLabels(options.labels, scores.length, 'options.labels', fn);
      normal = scores.filter((_, i) => labels[i] === 0);
      if (normal.length === 0) failWith('options.labels', fn, 'at least one normal (0) image for a quantile threshold', 'only anomalies');
    }
    threshold = quantileThreshold(normal, q);
    extra.quantile = q;
  } else if (method === 'fixed') {
    const phi = options.phi ?? DEFAULT_PHI;
    threshold = normalization.min + phi * (normalization.max - normalization.min);
    extra.phi = phi;
  } else {
    threshold = f1BestThreshold(scores, checkLabels(options.labels!, scores.length, 'options.labels', fn)).threshold;
  }
  return { method, threshold, normalization, count: scores.length, ...extra };
}

/** Scores flagged with a calibration's threshold and normalised with its range. */
export function applyCalibration(scores: Float32Array, c: Calibration): Prediction {
  const isAnomaly = new Uint8Array(scores.length);
  scores.forEach((s, i) => (isAnomaly[i] = s >= c.threshold ? 1 : 0));
  return { scores, normalizedScores: minMaxNormalize(scores, c.normalization), isAnomaly, threshold: c.threshold };
}

/**
 * The threshold `evaluate` reports F1 at: the one given, else the calibrated one, else the paper's
 * phi on these scores' own min-max scale.
 */
export function evaluationThreshold(
  scores: Float32Array,
  calibration: Calibration | null,
  options: { threshold?: number; phi?: number },
  fn: string,
): { threshold: number; thresholdSource: EvaluationResult['thresholdSource'] } {
  if (options.threshold !== undefined) {
    if (!Number.isFinite(options.threshold)) fail('options.threshold', fn, 'a finite number', options.threshold);
    return { threshold: options.threshold, thresholdSource: 'given' };
  }
  if (calibration) return { threshold: calibration.threshold, thresholdSource: 'calibration' };
  const phi = options.phi ?? DEFAULT_PHI;
  const r = fitMinMax(scores);
  return { threshold: r.min + phi * (r.max - r.min), thresholdSource: 'phi' };
}
