import { checkPositiveInt, fail, ValueError } from '@ganomaly/common';

/** What every network builder needs to know. Defaults are the spec's (DCGAN, as in the authors' code). */
export interface NetworkOptions {
  /** Image side in pixels: a power of two >= 16. */
  imageSize: number;
  /** 1 (grey) or 3 (RGB). */
  channels: number;
  /** Size of the latent vector z (nz). Default 100. */
  latentDim?: number;
  /** Width of the first encoder layer (ndf); widths double at each pyramid step. Default 64. */
  baseWidth?: number;
  /** Extra stride-1 3x3 Conv+BN+LeakyReLU layers at the first width. Default 0. */
  extraLayers?: number;
  /** Seed of the weight initialisers; the same seed builds the same weights. */
  seed?: number;
  /** BatchNorm momentum in tfjs terms (PyTorch's momentum 0.1 is 0.9 here). Default 0.9. */
  batchNormMomentum?: number;
  /** BatchNorm epsilon. Default 1e-5 (PyTorch's). */
  batchNormEpsilon?: number;
  /** Prefix of layer names, so that several networks can live side by side. */
  name?: string;
}

export type ResolvedNetworkOptions = Required<NetworkOptions>;

export const NETWORK_DEFAULTS = {
  latentDim: 100,
  baseWidth: 64,
  extraLayers: 0,
  seed: 0,
  batchNormMomentum: 0.9,
  batchNormEpsilon: 1e-5,
} as const;

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** Validates builder options and fills in defaults. `fn` names the calling builder in errors. */
export function resolveNetworkOptions(options: NetworkOptions, fn: string, defaultName: string): ResolvedNetworkOptions {
  if (options == null || typeof options !== 'object') fail('options', fn, 'an object with imageSize and channels', options);
  const imageSize = checkPositiveInt(options.imageSize, 'imageSize', fn);
  if (imageSize < 16 || !isPowerOfTwo(imageSize)) fail('imageSize', fn, 'a power of two >= 16 (16, 32, 64, ...)', imageSize);
  const channels = checkPositiveInt(options.channels, 'channels', fn);
  const latentDim = checkPositiveInt(options.latentDim ?? NETWORK_DEFAULTS.latentDim, 'latentDim', fn);
  const baseWidth = checkPositiveInt(options.baseWidth ?? NETWORK_DEFAULTS.baseWidth, 'baseWidth', fn);
  const extraLayers = options.extraLayers ?? NETWORK_DEFAULTS.extraLayers;
  if (!Number.isInteger(extraLayers) || extraLayers < 0) fail('extraLayers', fn, 'an integer >= 0', extraLayers);
  const seed = options.seed ?? NETWORK_DEFAULTS.seed;
  if (!Number.isInteger(seed)) fail('seed', fn, 'an integer', seed);
  const batchNormMomentum = options.batchNormMomentum ?? NETWORK_DEFAULTS.batchNormMomentum;
  if (!(batchNormMomentum >= 0 && batchNormMomentum < 1)) fail('batchNormMomentum', fn, 'a number in [0, 1)', batchNormMomentum);
  const batchNormEpsilon = options.batchNormEpsilon ?? NETWORK_DEFAULTS.batchNormEpsilon;
  if (!(batchNormEpsilon > 0)) fail('batchNormEpsilon', fn, 'a number > 0', batchNormEpsilon);
  const name = options.name ?? defaultName;
  if (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) {
    throw new ValueError(`Argument 'name' passed to '${fn}' must be a letter followed by letters, digits or '_', but got '${String(name)}'.`);
  }
  return { imageSize, channels, latentDim, baseWidth, extraLayers, seed, batchNormMomentum, batchNormEpsilon, name };
}

/** Number of stride-2 pyramid steps between the image and the 4x4 map: 3 at size 32. */
export function pyramidSteps(imageSize: number): number {
  return Math.log2(imageSize) - 2;
}
