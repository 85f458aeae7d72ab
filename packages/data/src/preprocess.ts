import * as tf from '@tensorflow/tfjs-core';
import { fail, failWith } from '@ganomaly/common';
import { checkIndices, gatherPixels, isImageSet, type ImageSet } from './imageset.js';

/** Target of `preprocess`: square side in pixels and number of channels (1 grey or 3 RGB). */
export interface PreprocessOptions {
  imageSize: number;
  channels: 1 | 3;
  /**
   * Skip the check that tensor values are finite and within 0..255, for a caller that checked the
   * tensor already. The check reads a value back synchronously, which GPU backends (webgpu,
   * webgl) do slowly or not at all. Default false.
   */
  trusted?: boolean;
}

/** ITU-R BT.601 luma weights (as PIL's `convert('L')` and tf.image.rgbToGrayscale use). */
export const LUMA_601 = Object.freeze([0.299, 0.587, 0.114] as const);

function convertChannels(x: tf.Tensor4D, to: 1 | 3): tf.Tensor4D {
  let from = x.shape[3];
  let y: tf.Tensor4D = x;
  if (from === 4) {
    // RGBA: alpha is dropped, not composited; the colour channels are used as they are.
    y = tf.slice(y, [0, 0, 0, 0], [-1, -1, -1, 3]);
    from = 3;
  }
  if (from === to) return y;
  if (from === 1) return tf.tile(y, [1, 1, 1, 3]);
  return tf.sum(tf.mul(y, tf.tensor1d(LUMA_601 as unknown as number[])), 3, true);
}

/**
 * Turns raw images into network input: float32 [n, imageSize, imageSize, channels] in [-1, 1]
 * (x / 127.5 − 1, so 0 → −1 and 255 → 1 exactly).
 *
 * - `input`: an ImageSet, or a tensor [n, h, w, c] of raw values 0..255 (not disposed);
 *   `indices` picks images (a batch) out of it.
 * - Channels: 1 → 3 repeats the grey plane; 3 → 1 is BT.601 luma (0.299 R + 0.587 G + 0.114 B);
 *   4 (RGBA) drops alpha first. Other channel counts are a ValueError.
 * - Size: bilinear with half-pixel centres (the PIL / torchvision convention the authors' `Scale`
 *   used; tfjs's default `alignCorners` grid would shift the image), skipped when h = w = imageSize.
 *   Non-square inputs are stretched to a square.
 *
 * Intermediate tensors are freed; only the returned tensor stays.
 */
export function preprocess(input: ImageSet | tf.Tensor4D, options: PreprocessOptions, indices?: ArrayLike<number>): tf.Tensor4D {
  const fn = 'preprocess';
  if (options === null || typeof options !== 'object') fail('options', fn, 'an object {imageSize, channels}', options);
  const { imageSize, channels } = options;
  if (typeof imageSize !== 'number' || !Number.isInteger(imageSize) || imageSize <= 0) fail('options.imageSize', fn, 'a positive integer', imageSize);
  if (channels !== 1 && channels !== 3) fail('options.channels', fn, '1 (grey) or 3 (RGB)', channels);

  let inChannels: number;
  let raw: () => tf.Tensor4D;
  if (input instanceof tf.Tensor) {
    if (input.rank !== 4) fail('input', fn, 'an ImageSet or a tensor of rank 4 [n, h, w, c] with raw pixel values 0..255', input);
    if (input.dtype !== 'float32' && input.dtype !== 'int32') fail('input', fn, 'a float32 or int32 tensor', input);
    const x = input as tf.Tensor4D;
    inChannels = x.shape[3];
    const idx = indices === undefined ? undefined : checkIndices(indices, x.shape[0], 'indices', fn);
    // One cheap reduction pass instead of reading the whole tensor back.
    if (x.size > 0 && !options.trusted) {
      const stats = tf.tidy(() => {
        const f = tf.cast(x, 'float32');
        // isNaN as well as min/max: not every backend's min/max propagates NaN.
        return tf.stack([tf.min(f), tf.max(f), tf.cast(tf.any(tf.isNaN(f)), 'float32')]);
      });
      const [lo, hi, nan] = stats.dataSync();
      stats.dispose();
      if (nan !== 0 || !(lo! >= 0) || !(hi! <= 255)) {
        failWith('input', fn, 'a tensor of raw pixel values: finite, within 0..255', nan !== 0 ? 'NaN values' : `values in [${lo}, ${hi}]`);
      }
    }
    raw = () => tf.cast(idx === undefined ? x : tf.gather(x, tf.tensor1d(idx, 'int32')), 'float32');
  } else if (isImageSet(input)) {
    const set = input;
    inChannels = set.channels;
    const bytes = indices === undefined ? set.pixels : gatherPixels(set, checkIndices(indices, set.count, 'indices', fn));
    const n = bytes.length / (set.height * set.width * set.channels);
    raw = () => tf.tensor4d(Float32Array.from(bytes), [n, set.height, set.width, set.channels], 'float32');
  } else {
    return fail('input', fn, 'an ImageSet or a tensor [n, h, w, c] of raw pixel values 0..255', input);
  }
  if (inChannels !== 1 && inChannels !== 3 && inChannels !== 4) {
    failWith('input', fn, 'images with 1 (grey), 3 (RGB) or 4 (RGBA) channels', `${inChannels} channels`);
  }

  return tf.tidy((): tf.Tensor4D => {
    let x = raw();
    // Fewer channels first, so that the resize has less to do.
    const reduce = channels < inChannels;
    if (reduce) x = convertChannels(x, channels);
    const [, h, w] = x.shape;
    if (h !== imageSize || w !== imageSize) x = tf.image.resizeBilinear(x, [imageSize, imageSize], false, true);
    if (!reduce) x = convertChannels(x, channels);
    const scaled: tf.Tensor4D = tf.sub(tf.div(x, 127.5), 1);
    // Luma weights sum to 1 only up to float rounding; clip keeps the documented range exact.
    return tf.clipByValue(scaled, -1, 1);
  });
}
