import * as tf from '@tensorflow/tfjs-core';
import { checkBinaryLabels, fail, failWith } from '@ganomaly/common';
import { isImageSet, preprocess, type ImageSet } from '@ganomaly/data';

/**
 * What the model accepts as images: a tensor [n, h, w, c] of raw pixel values 0..255 (what image
 * decoders and tf.browser.fromPixels give; a single [h, w, c] image is taken as a batch of one),
 * or an ImageSet from @ganomaly/data. Any size, 1, 3 or 4 (RGBA) channels: the model resizes,
 * converts and scales them itself.
 */
export type ImageInput = tf.Tensor4D | tf.Tensor3D | ImageSet;

/** A validated view on the input that hands out preprocessed batches. */
export interface ImageSource {
  readonly count: number;
  /** Float32 [b, imageSize, imageSize, channels] in [-1, 1] for the given image indices. */
  batch(indices: Int32Array): tf.Tensor4D;
}

export async function imageSource(
  input: unknown,
  arg: string,
  fn: string,
  target: { imageSize: number; channels: 1 | 3 },
): Promise<ImageSource> {
  if (input instanceof tf.Tensor) {
    if (input.rank !== 4 && input.rank !== 3) {
      fail(arg, fn, 'a tensor [n, height, width, channels] (or one image [height, width, channels]) of pixel values 0..255', input);
    }
    const x4 = (input.rank === 3 ? tf.expandDims(input, 0) : input) as tf.Tensor4D;
    const [n, h, w, c] = x4.shape;
    const cleanup = () => {
      if (x4 !== input) x4.dispose();
    };
    if (c !== 1 && c !== 3 && c !== 4) {
      cleanup();
      failWith(arg, fn, 'images with 1 (grey), 3 (RGB) or 4 (RGBA) channels in the last dimension', `shape [${input.shape}] (${c} channels)`);
    }
    if (n === 0 || h === 0 || w === 0) {
      cleanup();
      failWith(arg, fn, 'at least one image of at least 1x1 pixels', `shape [${input.shape}]`);
    }
    // Validate values once here; batches are then cheap.
    const stats = tf.tidy(() => {
      const f = tf.cast(x4, 'float32');
      return tf.stack([tf.min(f), tf.max(f), tf.cast(tf.any(tf.isNaN(f)), 'float32')]);
    });
    // Read back asynchronously: GPU backends cannot (webgpu in Node) or should not read synchronously.
    const [lo, hi, nan] = await stats.data();
    stats.dispose();
    if (nan !== 0 || !(lo >= 0) || !(hi <= 255)) {
      cleanup();
      failWith(arg, fn, 'finite pixel values within 0..255', nan !== 0 ? 'NaN values' : `values in [${lo}, ${hi}]`);
    }
    return {
      count: n,
      batch: (indices) =>
        tf.tidy(() => {
          const b = indices.length === n && isIdentity(indices) ? x4 : tf.gather(x4, tf.tensor1d(indices, 'int32'));
          return preprocess(b as tf.Tensor4D, { ...target, trusted: true });
        }),
      ...(x4 !== input ? { dispose: cleanup } : {}),
    };
  }
  if (isImageSet(input)) {
    if (input.count === 0) failWith(arg, fn, 'at least one image', 'an empty ImageSet');
    if (input.channels !== 1 && input.channels !== 3 && input.channels !== 4) {
      failWith(arg, fn, 'images with 1, 3 or 4 channels', `an ImageSet with ${input.channels} channels`);
    }
    return { count: input.count, batch: (indices) => preprocess(input, target, indices) };
  }
  return fail(arg, fn, 'a tensor [n, height, width, channels] of pixel values 0..255 or an ImageSet', input);
}

export function disposeSource(s: ImageSource): void {
  (s as ImageSource & { dispose?: () => void }).dispose?.();
}

function isIdentity(a: Int32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== i) return false;
  return true;
}

/** Labels for evaluation: one 0/1 per image (1 = anomaly), both classes present. */
export function checkLabels(labels: unknown, count: number, arg: string, fn: string): Uint8Array {
  return checkBinaryLabels(labels, count, arg, fn, { bothClasses: 'AUROC and the other metrics compare the two' });
}

/** Whether `x` is an ImageSource already (what `fit` hands `recomputeStatistics`), not images. */
export function isSource(x: unknown): x is ImageSource {
  return typeof x === 'object' && x !== null && typeof (x as ImageSource).batch === 'function' && !(x instanceof tf.Tensor);
}
