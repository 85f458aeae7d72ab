// The public API of @ganomaly/core, without side effects.
export { Ganomaly } from './ganomaly.js';
export type {
  BatchLogs,
  Calibration,
  CalibrateOptions,
  CalibrationMethod,
  CreateOptions,
  EpochLogs,
  EvaluationResult,
  FitOptions,
  FitResult,
  PartialEpoch,
  Prediction,
  SaveOptions,
  TrainingStateInfo,
  ScoreOptions,
  ModelLocation,
  SavedMetadata,
} from './types.js';
export { CONFIG_DEFAULTS, resolveConfig, type GanomalyConfig, type ResolvedConfig } from './config.js';
export { MODEL_FILES, TRAINING_PREFIX } from './format.js';
export { fileHandler, isModelFolder } from './node-file-handler.js';
export type { ImageInput } from './inputs.js';
export type { OnnxExportOptions } from './onnx-export.js';
export { FORMAT_VERSION, VERSION } from './version.js';
export {
  AbortError,
  BackendError,
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
export * as metrics from '@ganomaly/math';
export { ScoringPool } from './parallel.js';
export type { StepTimings } from './data-parallel.js';
