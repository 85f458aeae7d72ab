// The public API of @ganomaly/core shared by every entry, without side effects: the Node build of
// `./base` (base.ts, which adds the Node-only parts and exports: fileHandler, isModelFolder,
// readModelMetadata, recoverInterruptedSave, ScoringPool) and its browser build (base.browser.ts,
// where those throw). `@ganomaly/core` (index.ts, index.browser.ts) is `./base` plus the backends.
export { Ganomaly } from './ganomaly.js';
// The family of detectors behind one interface (detectors/): the registry, the shared base, each detector.
export { createDetector, detectorKinds, loadDetector, type DetectorClass } from './detectors/registry.js';
export type {
  Detector,
  DetectorBatchLogs,
  DetectorEpochLogs,
  DetectorEvaluateOptions,
  DetectorFitOptions,
  DetectorFitResult,
  DetectorKind,
  LossBatchLogs,
  LossEpochLogs,
} from './detectors/detector.js';
export { BaseDetector, createAs, loadAs, type BaseFitOptions, type DetectorSpec, type SavedState, type StatisticsPass, type StepInfo } from './detectors/base.js';
export {
  DETECTOR_CONFIG_DEFAULTS,
  numberIn,
  oneOf,
  resolveDetectorConfig,
  type ConfigKey,
  type DetectorConfig,
  type DetectorConfigSpec,
  type ResolvedDetectorConfig,
} from './detectors/config.js';
export { Autoencoder, type AutoencoderConfig, type ResolvedAutoencoderConfig } from './detectors/autoencoder/detector.js';
export { VAE_LOSS_WEIGHTS, VAE_SCORE_VARIANTS, Vae, type ResolvedVaeConfig, type VaeConfig, type VaeLossWeights, type VaeScoreVariant } from './detectors/vae/detector.js';
export { SkipGanomaly, type ResolvedSkipGanomalyConfig, type SkipGanomalyConfig } from './detectors/skip-ganomaly/detector.js';
export { SKIP_GANOMALY_LOSS_WEIGHTS, type SkipGanomalyLossWeights } from './detectors/skip-ganomaly/losses.js';
export type {
  BatchLogs,
  Calibration,
  CalibrateOptions,
  CalibrationMethod,
  CreateOptions,
  EpochLogs,
  GanomalyLosses,
  EvaluationResult,
  FitOptions,
  FitResult,
  PartialEpoch,
  Prediction,
  SaveOptions,
  TrainingStateInfo,
  ScoreOptions,
  ScoreComponents,
  FitSelect,
  FitSelection,
  ModelSelection,
  SelectionOptions,
  ModelLocation,
  SavedMetadata,
  DetectorMetadata,
} from './types.js';
export { CONFIG_DEFAULTS, resolveConfig, type GanomalyConfig, type ResolvedConfig } from './config.js';
export { CALIBRATION_METHODS, FIT_SELECT_RULES, STATISTICS_MODES, type StatisticsMode } from './types.js';
export { MODEL_FILES, TRAINING_PREFIX, parseMetadata } from './format.js';
export type { ImageInput } from './inputs.js';
export type { OnnxExportOptions } from './onnx-export.js';
export { FORMAT_VERSION, VERSION } from './version.js';
export { MAX_ACTIVATION_BYTES_PER_IMAGE, MAX_PARAMETERS, checkModelSize, estimateModelSize, type ModelSizeEstimate } from './limits.js';
export {
  AbortError,
  BackendError,
  BusyError,
  DisposedError,
  GanomalyError,
  ImageError,
  ModelFormatError,
  NotCalibratedError,
  TrainingError,
  UnknownNameError,
  ValueError,
  listBackendCandidates,
  registerBackendCandidate,
  useBackend,
} from '@ganomaly/common';
export { listEncoders, registerEncoder, type Encoder, type BatchNormMode } from '@ganomaly/models';
export * as data from '@ganomaly/data';
// The evaluation functions of @ganomaly/math (not its losses).
export * as metrics from './metrics.js';
export type { StepTimings } from './data-parallel.js';
// The GAN detectors of the paper's comparison: AnoGAN (latent search) and EGBAD (BiGAN).
export {
  ANOGAN_SEARCH_LEARNING_RATE,
  ANOGAN_SEARCH_STEPS,
  Anogan,
  type AnoganConfig,
  type AnoganProgress,
  type AnoganScoreOptions,
  type ResolvedAnoganConfig,
} from './detectors/anogan/detector.js';
export { EGBAD_LEARNING_RATE, Egbad, type EgbadConfig, type ResolvedEgbadConfig } from './detectors/egbad/detector.js';
export { EGBAD_ALPHA, EGBAD_SCORE_METHODS, type EgbadScoreMethod } from './detectors/egbad/losses.js';
