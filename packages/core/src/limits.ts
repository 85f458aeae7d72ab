// An up-front bound on what `Ganomaly.create` builds: the parameter count and the activation memory
// of the DCGAN networks are estimated from the config before any tensor is allocated, so that an
// absurd size (imageSize 1024 at the default width: about 2.9 billion parameters) fails at once with
// the limit named, instead of allocating for minutes.
import { ValueError } from '@ganomaly/common';

/** At most this many parameters in the four networks together (800 MB of float32 weights; training holds about 4x that). */
export const MAX_PARAMETERS = 200_000_000;
/** At most this many bytes of activations per training image (forward and backward, all four networks, estimated). */
export const MAX_ACTIVATION_BYTES_PER_IMAGE = 512 * 1024 * 1024;

export interface ModelSizeEstimate {
  parameters: number;
  activationBytesPerImage: number;
}

/** Estimate for the DCGAN networks of the spec (G_E, G_D, E, D), from the config alone. */
export function estimateModelSize(c: { imageSize: number; channels: number; latentDim: number; baseWidth: number; extraLayers: number }): ModelSizeEstimate {
  const steps = Math.log2(c.imageSize) - 2;
  const w = c.baseWidth;
  // One encoder: the first conv, the pyramid (width doubling, size halving), extra layers, the projection.
  const encoder = (latent: number) => {
    let params = 16 * c.channels * w + c.extraLayers * (9 * w * w + 4 * w);
    let width = w;
    for (let i = 1; i < steps; i++) {
      params += 16 * width * width * 2 + 4 * width * 2;
      width *= 2;
    }
    return params + 16 * width * latent;
  };
  // The decoder mirrors the encoder's convolutions.
  const parameters = 3 * encoder(c.latentDim) + encoder(1) + 16;
  // Feature maps of one encoder: (s/2)^2 * w floats at the first level, half as many at each next one;
  // conv, BatchNorm and activation outputs (3x), four networks, kept for the backward pass and its gradients (2x).
  const featureFloats = (c.imageSize / 2) ** 2 * w * (1 + c.extraLayers) * 2;
  const activationBytesPerImage = featureFloats * 3 * 4 * 2 * 4;
  return { parameters, activationBytesPerImage };
}

/**
 * Throws a ValueError naming the limit when the config's model is larger than this library builds.
 * `estimate` is the size of the detector's own networks (default: the DCGAN networks of GANomaly).
 */
export function checkModelSize(
  c: Parameters<typeof estimateModelSize>[0],
  fn: string,
  estimate: (c: Parameters<typeof estimateModelSize>[0]) => ModelSizeEstimate = estimateModelSize,
  networks = '',
): ModelSizeEstimate {
  const e = estimate(c);
  const what = `${networks}imageSize ${c.imageSize}, baseWidth ${c.baseWidth}${estimate === estimateModelSize ? `, latentDim ${c.latentDim}` : ''}${c.extraLayers ? `, extraLayers ${c.extraLayers}` : ''}`;
  if (e.parameters > MAX_PARAMETERS) {
    throw new ValueError(
      `Argument 'config.imageSize' passed to '${fn}' must give a model of at most ${MAX_PARAMETERS / 1e6} million parameters (the limit of this library), but ${what} gives about ${fmt(e.parameters)} parameters (${fmt(e.parameters * 4)}B of weights). Use a smaller imageSize or baseWidth.`,
    );
  }
  if (e.activationBytesPerImage > MAX_ACTIVATION_BYTES_PER_IMAGE) {
    throw new ValueError(
      `Argument 'config.imageSize' passed to '${fn}' must give a model of at most ${MAX_ACTIVATION_BYTES_PER_IMAGE / 2 ** 20} MiB of training activations per image (the limit of this library), but ${what} needs about ${fmt(e.activationBytesPerImage)}B per image. Use a smaller imageSize or baseWidth.`,
    );
  }
  return e;
}

function fmt(n: number): string {
  for (const [d, s] of [[1e9, ' G'], [1e6, ' M'], [1e3, ' k']] as const) if (n >= d) return `${(n / d).toPrecision(3)}${s}`;
  return String(n);
}
