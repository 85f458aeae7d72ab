import { checkFiniteNumber, checkOneOf, fail, failWith } from '@ganomaly/common';
import { DEFAULT_LOSS_WEIGHTS, LOSS_KEYS, SCORE_VARIANTS, type LossWeights, type ScoreVariant } from '@ganomaly/math';
import { BATCH_NORM_MODES, getEncoder, type Encoder } from '@ganomaly/models';
import {
  ADAM_BATCH_NORM_DEFAULTS,
  NETWORK_SHAPE_DEFAULTS,
  checkAdamAndBatchNorm,
  checkNetworkShape,
  type ResolvedDetectorConfig,
  type SharedConfig,
} from './detectors/config.js';

/**
 * Everything that defines a GANomaly model: the keys every detector shares (detectors/config.ts)
 * and GANomaly's own. Defaults follow the spec (the authors' code).
 */
export interface GanomalyConfig extends SharedConfig {
  /** Encoder architecture: a registered name or an Encoder. Default 'dcgan'. */
  encoder?: string | Encoder;
  /** w_adv, w_con, w_enc. Default 1, 50, 1. */
  lossWeights?: Partial<LossWeights>;
  /**
   * What the anomaly score measures (see ScoreVariant): 'knn' (the default: the distance from
   * z = G_E(x) to the nearest code of a training image, kept by `fit`), 'latent' (= 'mse', the
   * authors' code: mean of (z − ẑ)²), 'l1' (the paper: ‖z − ẑ‖₁), 'reconstruction' (mean
   * |x − x̂|), 'features' (mean (f(x) − f(x̂))² on D's feature map), 'skip' and 'combined' (scaled
   * on the calibration images: they need `calibrate` before scoring). Default 'knn' (docs/choices.md
   * says why: 0.089 higher mean AUROC than 'latent' on MNIST at the medium protocol, 0.007 on CIFAR-10).
   */
  scoreVariant?: ScoreVariant;
  /** Re-initialise D when its loss falls below this. Default 1e-5; 0 disables. */
  discriminatorResetThreshold?: number;
  /** 'knn' score: how many nearest training codes are averaged. Default 1 (the nearest). */
  neighbours?: number;
  /**
   * The most training codes the model keeps for the 'knn' score (a seeded sample when there are
   * more training images; memorySize × latentDim floats are saved with the model). Default 16384.
   */
  memorySize?: number;
}

export interface ResolvedConfig extends ResolvedDetectorConfig {
  encoder: string;
  lossWeights: LossWeights;
  scoreVariant: ScoreVariant;
  discriminatorResetThreshold: number;
  neighbours: number;
  memorySize: number;
}

/** GANomaly's defaults; their key order (GANomaly's keys among the shared groups) is that of the known-keys message and of saved configs. */
export const CONFIG_DEFAULTS: ResolvedConfig = {
  ...NETWORK_SHAPE_DEFAULTS,
  encoder: 'dcgan',
  lossWeights: { ...DEFAULT_LOSS_WEIGHTS },
  ...ADAM_BATCH_NORM_DEFAULTS,
  scoreVariant: 'knn',
  batchNormMode: 'population',
  discriminatorResetThreshold: 1e-5,
  neighbours: 1,
  memorySize: 16384,
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
  checkNetworkShape(c, fn);
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
  checkAdamAndBatchNorm(c, fn);
  checkOneOf(c.scoreVariant, SCORE_VARIANTS, 'config.scoreVariant', fn);
  checkOneOf(c.batchNormMode, BATCH_NORM_MODES, 'config.batchNormMode', fn);
  checkFiniteNumber(c.discriminatorResetThreshold, 'config.discriminatorResetThreshold', fn);
  if (!Number.isInteger(c.neighbours) || c.neighbours < 1) fail('config.neighbours', fn, 'an integer >= 1', c.neighbours);
  if (!Number.isInteger(c.memorySize) || c.memorySize < c.neighbours) fail('config.memorySize', fn, `an integer >= config.neighbours (${c.neighbours})`, c.memorySize);
  if (!Number.isInteger(c.seed)) fail('config.seed', fn, 'an integer', c.seed);
  const { backend: _backend, ...rest } = c as ResolvedConfig & { backend?: unknown };
  return { config: { ...rest, encoder: encoder.name, lossWeights: weights }, encoder };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
