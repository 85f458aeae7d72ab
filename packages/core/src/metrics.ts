// What `metrics` in @ganomaly/core holds: the anomaly score, score normalisation, thresholds and
// the evaluation metrics of @ganomaly/math. Not the losses: those are for custom training loops,
// imported from @ganomaly/math itself.
export { type ScoreVariant, type LatentScoreVariant, SCORE_VARIANTS, LATENT_SCORE_VARIANTS, CALIBRATED_SCORE_VARIANTS, anomalyScore } from '@ganomaly/math';
export {
  type ComponentScaling,
  type ComponentStatistics,
  type ComponentValues,
  type Combination,
  COMBINATIONS,
  COMBINED_COMPONENTS,
  SKIP_WEIGHTS,
  componentScaling,
  combineComponents,
} from '@ganomaly/math';
export { type MinMax, fitMinMax, minMaxNormalize } from '@ganomaly/math';
export { type BestThreshold, DEFAULT_PHI, quantile, quantileThreshold, f1BestThreshold } from '@ganomaly/math';
export {
  type RocCurve,
  type PrecisionRecallCurve,
  type F1Result,
  type EqualErrorRate,
  type Evaluation,
  auroc,
  rocCurve,
  precisionRecallCurve,
  averagePrecision,
  f1AtThreshold,
  equalErrorRate,
  evaluateScores,
} from '@ganomaly/math';
