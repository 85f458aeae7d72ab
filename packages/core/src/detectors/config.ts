// The config keys GANomaly (config.ts) and every detector built on BaseDetector share (image size,
// widths, Adam, BatchNorm, seed), their defaults and checks; and the checks of a detector's own
// keys (loss weights and the like), so that each detector declares only what is its own.
import { checkOneOf, checkPositiveInt, fail, failWith } from '@ganomaly/common';
import { BATCH_NORM_MODES, NETWORK_DEFAULTS, isPowerOfTwo, type BatchNormMode } from '@ganomaly/models';

/** The keys GANomaly's config and every detector's share (defaults as GANomaly's: the DCGAN of the authors' code). */
export interface SharedConfig {
  /** Model image size: a power of two >= 16. Inputs of any size are resized to it. Default 32. */
  imageSize?: number;
  /** 1 (grey) or 3 (RGB). Inputs are converted. Default 1. */
  channels?: number;
  /** Latent size nz. Default 100. */
  latentDim?: number;
  /** ngf = ndf, the first layer's width. Default 64. */
  baseWidth?: number;
  /** Extra stride-1 layers of the DCGAN networks. Default 0. */
  extraLayers?: number;
  /** Adam learning rate. Default 2e-4 (GANomaly's code; its paper's text says 2e-3). */
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
  /** How BatchNorm normalises when scoring. Default 'population'. */
  batchNormMode?: BatchNormMode;
  /** Seed for weights, batch order and any sampling. Default 0. */
  seed?: number;
}

/** The keys every detector's config has. */
export interface DetectorConfig extends SharedConfig {
  /** 'auto' (default) or a backend name; not part of the saved config. */
  backend?: string;
}

export interface ResolvedDetectorConfig {
  imageSize: number;
  channels: number;
  latentDim: number;
  baseWidth: number;
  extraLayers: number;
  learningRate: number;
  beta1: number;
  beta2: number;
  adamEpsilon: number;
  batchNormMomentum: number;
  batchNormEpsilon: number;
  batchNormMode: BatchNormMode;
  seed: number;
}

// The shared defaults in two groups, so that GANomaly's config (config.ts) can keep its own keys
// between them, in the order its messages and saved configs have always listed them.
/** The networks' shape. */
export const NETWORK_SHAPE_DEFAULTS = Object.freeze({
  imageSize: 32,
  channels: 1,
  latentDim: NETWORK_DEFAULTS.latentDim,
  baseWidth: NETWORK_DEFAULTS.baseWidth,
  extraLayers: 0,
});

/** Adam's and BatchNorm's numbers. */
export const ADAM_BATCH_NORM_DEFAULTS = Object.freeze({
  learningRate: 2e-4,
  beta1: 0.5,
  beta2: 0.999,
  adamEpsilon: 1e-8,
  batchNormMomentum: NETWORK_DEFAULTS.batchNormMomentum,
  batchNormEpsilon: NETWORK_DEFAULTS.batchNormEpsilon,
});

export const DETECTOR_CONFIG_DEFAULTS: Readonly<ResolvedDetectorConfig> = Object.freeze({
  ...NETWORK_SHAPE_DEFAULTS,
  ...ADAM_BATCH_NORM_DEFAULTS,
  batchNormMode: 'population',
  seed: 0,
});

/** Checks the keys of NETWORK_SHAPE_DEFAULTS (the values as given, defaults filled in). */
export function checkNetworkShape(c: ResolvedDetectorConfig, fn: string): void {
  checkPositiveInt(c.imageSize, 'config.imageSize', fn);
  if (c.imageSize < 16 || !isPowerOfTwo(c.imageSize)) fail('config.imageSize', fn, 'a power of two >= 16 (16, 32, 64, ...)', c.imageSize);
  if (c.channels !== 1 && c.channels !== 3) fail('config.channels', fn, '1 (grey) or 3 (RGB)', c.channels);
  checkPositiveInt(c.latentDim, 'config.latentDim', fn);
  checkPositiveInt(c.baseWidth, 'config.baseWidth', fn);
  if (!Number.isInteger(c.extraLayers) || c.extraLayers < 0) fail('config.extraLayers', fn, 'an integer >= 0', c.extraLayers);
}

/** Checks the keys of ADAM_BATCH_NORM_DEFAULTS (the values as given, defaults filled in). */
export function checkAdamAndBatchNorm(c: ResolvedDetectorConfig, fn: string): void {
  for (const k of ['learningRate', 'adamEpsilon', 'batchNormEpsilon'] as const) {
    if (!(typeof c[k] === 'number' && Number.isFinite(c[k]) && c[k] > 0)) fail(`config.${k}`, fn, 'a finite number > 0', c[k]);
  }
  for (const k of ['beta1', 'beta2', 'batchNormMomentum'] as const) {
    if (!(typeof c[k] === 'number' && Number.isFinite(c[k]) && c[k] >= 0 && c[k] < 1)) fail(`config.${k}`, fn, 'a number in [0, 1)', c[k]);
  }
}

/** A detector's own config key: its default and its check (which throws, naming `arg` and `fn`). */
export interface ConfigKey<T> {
  default: T;
  check(value: unknown, arg: string, fn: string): T;
}

/** What a detector adds to the shared config: its loss weights (each a finite number >= 0) and other keys. */
export interface DetectorConfigSpec<E extends object> {
  /** The weights of the detector's loss terms and their defaults (from its paper and authors' code). */
  lossWeights: Readonly<Record<string, number>>;
  /** Other keys of its own. */
  keys: { [K in keyof E]: ConfigKey<E[K]> };
}

/**
 * Validates a detector's config: the shared keys, `lossWeights` (keys of the spec only, each a
 * finite number >= 0), and the detector's own keys; unknown keys fail (a typo would otherwise
 * silently use a default). `backend` is dropped (it is not part of a model).
 */
export function resolveDetectorConfig<W extends Record<string, number>, E extends object>(
  config: unknown,
  spec: DetectorConfigSpec<E>,
  fn: string,
): ResolvedDetectorConfig & { lossWeights: W } & E {
  if (config == null || typeof config !== 'object' || Array.isArray(config)) fail('config', fn, 'an object', config);
  const given = Object.fromEntries(Object.entries(config as Record<string, unknown>).filter(([, v]) => v !== undefined));
  const own = Object.keys(spec.keys);
  const known = new Set([...Object.keys(DETECTOR_CONFIG_DEFAULTS), 'lossWeights', 'backend', ...own]);
  for (const key of Object.keys(given)) {
    if (!known.has(key)) failWith('config', fn, `an object with known keys only (${[...known].join(', ')})`, `the unknown key '${key}'`);
  }
  const c = { ...DETECTOR_CONFIG_DEFAULTS, ...given } as ResolvedDetectorConfig & Record<string, unknown>;
  checkNetworkShape(c, fn);
  checkAdamAndBatchNorm(c, fn);
  checkOneOf(c.batchNormMode, BATCH_NORM_MODES, 'config.batchNormMode', fn);
  if (!Number.isInteger(c.seed)) fail('config.seed', fn, 'an integer', c.seed);
  const names = Object.keys(spec.lossWeights);
  const lw = given['lossWeights'];
  if (lw !== undefined && (typeof lw !== 'object' || lw === null || Array.isArray(lw))) {
    fail('config.lossWeights', fn, `an object { ${names.map((k) => `${k}?`).join(', ')} }`, lw);
  }
  for (const key of Object.keys(lw ?? {})) {
    if (!names.includes(key)) failWith('config.lossWeights', fn, `an object with the keys ${names.map((k) => `'${k}'`).join(', ')} only`, `the unknown key '${key}'`);
  }
  const weights: Record<string, number> = { ...spec.lossWeights };
  for (const [k, v] of Object.entries((lw ?? {}) as Record<string, unknown>)) if (v !== undefined) weights[k] = v as number;
  for (const k of names) {
    if (!(typeof weights[k] === 'number' && Number.isFinite(weights[k]) && weights[k] >= 0)) fail(`config.lossWeights.${k}`, fn, 'a finite number >= 0', weights[k]);
  }
  const extras: Record<string, unknown> = {};
  for (const k of own) {
    const key = (spec.keys as Record<string, ConfigKey<unknown>>)[k]!;
    extras[k] = k in given ? key.check(given[k], `config.${k}`, fn) : key.default;
  }
  const shared = Object.fromEntries(Object.keys(DETECTOR_CONFIG_DEFAULTS).map((k) => [k, c[k as keyof ResolvedDetectorConfig]]));
  return { ...shared, lossWeights: weights, ...extras } as ResolvedDetectorConfig & { lossWeights: W } & E;
}

/** A config key holding a number in [lo, hi] (bounds included). */
export function numberIn(defaultValue: number, lo: number, hi: number): ConfigKey<number> {
  return {
    default: defaultValue,
    check(value, arg, fn) {
      if (!(typeof value === 'number' && Number.isFinite(value) && value >= lo && value <= hi)) fail(arg, fn, `a number in [${lo}, ${hi}]`, value);
      return value as number;
    },
  };
}

/** A config key holding one of a closed set of names. */
export function oneOf<T extends string>(defaultValue: T, names: readonly T[]): ConfigKey<T> {
  return {
    default: defaultValue,
    check(value, arg, fn) {
      checkOneOf(value as T, names, arg, fn);
      return value as T;
    },
  };
}
