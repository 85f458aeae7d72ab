import { checkFiniteNumber, checkOneOf, checkPositiveInt, fail, failWith } from '@ganomaly/common';
import { DEFAULT_LOSS_WEIGHTS, LOSS_KEYS, SCORE_VARIANTS, type LossWeights, type ScoreVariant } from '@ganomaly/math';
import { BATCH_NORM_MODES, NETWORK_DEFAULTS, getEncoder, isPowerOfTwo, type BatchNormMode, type Encoder } from '@ganomaly/models';

/** Everything that defines a GANomaly model. Defaults follow the spec (the authors' code). */
export interface GanomalyConfig {
  /** Model image size: a power of two >= 16. Inputs of any size are resized to it. Default 32. */
  imageSize?: number;
  /** 1 (grey) or 3 (RGB). Inputs are converted. Default 1. */
  channels?: number;
  /** Latent size nz. Default 100. */
  latentDim?: number;
  /** ngf = ndf, the first layer's width. Default 64. */
  baseWidth?: number;
  /** Extra stride-1 layers. Default 0. */
  extraLayers?: number;
  /** Encoder architecture: a registered name or an Encoder. Default 'dcgan'. */
  encoder?: string | Encoder;
  /** w_adv, w_con, w_enc. Default 1, 50, 1. */
  lossWeights?: Partial<LossWeights>;
  /** Adam learning rate. Default 2e-4 (the code; the paper's text says 2e-3). */
  learningRate?: number;
  /** Adam beta1. Default 0.5. */
  beta1?: number;
  /** Adam beta2. Default 0.999. */
  beta2?: number;
  /** Adam epsilon. Default 1e-8 (PyTorch's; tfjs's own default is 1e-7). */
  adamEpsilon?: number;
  /** BatchNorm momentum in tfjs terms. Default 0.9 (PyTorch's 0.1). */
  batchNormMomentum?: number;
  /** BatchNorm epsilon. Default 1e-5. */
  batchNormEpsilon?: number;
  /**
   * What the anomaly score measures (see ScoreVariant): 'latent' (= 'mse', the code: mean of
   * (z − ẑ)²; the default), 'l1' (the paper: ‖z − ẑ‖₁), 'reconstruction' (mean |x − x̂|),
   * 'features' (mean (f(x) − f(x̂))² on D's feature map), 'skip' and 'combined' (scaled on the
   * calibration images: they need `calibrate` before scoring). Default 'mse'.
   */
  scoreVariant?: ScoreVariant;
  /** How BatchNorm normalises when scoring. Default 'population'. */
  batchNormMode?: BatchNormMode;
  /** Re-initialise D when its loss falls below this. Default 1e-5; 0 disables. */
  discriminatorResetThreshold?: number;
  /** Seed for weights and batch order. Default 0. */
  seed?: number;
}

export interface ResolvedConfig {
  imageSize: number;
  channels: number;
  latentDim: number;
  baseWidth: number;
  extraLayers: number;
  encoder: string;
  lossWeights: LossWeights;
  learningRate: number;
  beta1: number;
  beta2: number;
  adamEpsilon: number;
  batchNormMomentum: number;
  batchNormEpsilon: number;
  scoreVariant: ScoreVariant;
  batchNormMode: BatchNormMode;
  discriminatorResetThreshold: number;
  seed: number;
}

export const CONFIG_DEFAULTS: ResolvedConfig = {
  imageSize: 32,
  channels: 1,
  latentDim: NETWORK_DEFAULTS.latentDim,
  baseWidth: NETWORK_DEFAULTS.baseWidth,
  extraLayers: 0,
  encoder: 'dcgan',
  lossWeights: { ...DEFAULT_LOSS_WEIGHTS },
  learningRate: 2e-4,
  beta1: 0.5,
  beta2: 0.999,
  adamEpsilon: 1e-8,
  batchNormMomentum: NETWORK_DEFAULTS.batchNormMomentum,
  batchNormEpsilon: NETWORK_DEFAULTS.batchNormEpsilon,
  scoreVariant: 'mse',
  batchNormMode: 'population',
  discriminatorResetThreshold: 1e-5,
  seed: 0,
};

const KNOWN_KEYS = new Set<string>([...Object.keys(CONFIG_DEFAULTS), 'backend']);

/** Validates a config, fills in defaults, and resolves the encoder (name or instance). */
export function resolveConfig(config: GanomalyConfig, fn: string): { config: ResolvedConfig; encoder: Encoder } {
  if (config == null || typeof config !== 'object') fail('config', fn, 'an object', config);
  for (const key of Object.keys(config)) {
    if (!KNOWN_KEYS.has(key)) {
      failWith('config', fn, `an object with known keys only (${[...KNOWN_KEYS].join(', ')})`, `the unknown key '${key}'`);
    }
  }
  const c = { ...CONFIG_DEFAULTS, ...stripUndefined(config) } as ResolvedConfig & { encoder: string | Encoder };
  checkPositiveInt(c.imageSize, 'config.imageSize', fn);
  if (c.imageSize < 16 || !isPowerOfTwo(c.imageSize)) fail('config.imageSize', fn, 'a power of two >= 16 (16, 32, 64, ...)', c.imageSize);
  if (c.channels !== 1 && c.channels !== 3) fail('config.channels', fn, '1 (grey) or 3 (RGB)', c.channels);
  checkPositiveInt(c.latentDim, 'config.latentDim', fn);
  checkPositiveInt(c.baseWidth, 'config.baseWidth', fn);
  if (!Number.isInteger(c.extraLayers) || c.extraLayers < 0) fail('config.extraLayers', fn, 'an integer >= 0', c.extraLayers);
  const encoder = getEncoder(c.encoder, fn);
  if (config.lossWeights !== undefined && (typeof config.lossWeights !== 'object' || config.lossWeights === null)) {
    fail('config.lossWeights', fn, 'an object { adversarial?, contextual?, encoder? }', config.lossWeights);
  }
  for (const key of Object.keys(config.lossWeights ?? {})) {
    if (!(LOSS_KEYS as readonly string[]).includes(key)) {
      failWith('config.lossWeights', fn, "an object with keys 'adversarial', 'contextual', 'encoder' only", `the unknown key '${key}'`);
    }
  }
  const weights = { ...DEFAULT_LOSS_WEIGHTS, ...stripUndefined(config.lossWeights ?? {}) };
  for (const k of LOSS_KEYS) {
    if (!(Number.isFinite(weights[k]) && weights[k] >= 0)) fail(`config.lossWeights.${k}`, fn, 'a finite number >= 0', weights[k]);
  }
  for (const k of ['learningRate', 'adamEpsilon', 'batchNormEpsilon'] as const) {
    if (!(Number.isFinite(c[k]) && c[k] > 0)) fail(`config.${k}`, fn, 'a finite number > 0', c[k]);
  }
  for (const k of ['beta1', 'beta2', 'batchNormMomentum'] as const) {
    if (!(Number.isFinite(c[k]) && c[k] >= 0 && c[k] < 1)) fail(`config.${k}`, fn, 'a number in [0, 1)', c[k]);
  }
  checkOneOf(c.scoreVariant, SCORE_VARIANTS, 'config.scoreVariant', fn);
  checkOneOf(c.batchNormMode, BATCH_NORM_MODES, 'config.batchNormMode', fn);
  checkFiniteNumber(c.discriminatorResetThreshold, 'config.discriminatorResetThreshold', fn);
  if (!Number.isInteger(c.seed)) fail('config.seed', fn, 'an integer', c.seed);
  const { backend: _backend, ...rest } = c as ResolvedConfig & { backend?: unknown };
  return { config: { ...rest, encoder: encoder.name, lossWeights: weights }, encoder };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
