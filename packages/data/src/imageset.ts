import * as tf from '@tensorflow/tfjs-core';
import { describe, fail, failWith } from '@ganomaly/common';

/**
 * A set of images as raw bytes: NHWC uint8 pixels 0..255, row-major, one image after another
 * (`pixels[((i * height + y) * width + x) * channels + c]`), with optional per-image labels.
 *
 * Raw bytes rather than a tensor: a whole data set (MNIST train is 47 MB as bytes, 188 MB as
 * float32) stays cheap to hold, split and shuffle on the CPU, and only the batches in use become
 * tensors (see `preprocess` and `toTensor`).
 */
export interface ImageSet {
  readonly pixels: Uint8Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly labels?: Uint8Array;
}

/** Shape of an ImageSet, as given to `imageSet`. */
export interface ImageSetShape {
  count: number;
  height: number;
  width: number;
  channels: number;
  labels?: Uint8Array;
}

function checkCount(value: unknown, arg: string, fn: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) fail(arg, fn, 'an integer >= 0', value);
  return value;
}

function checkDim(value: unknown, arg: string, fn: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) fail(arg, fn, 'a positive integer', value);
  return value;
}

/**
 * Makes an ImageSet from raw NHWC uint8 pixels, checking that `pixels.length` is
 * count·height·width·channels and that `labels` (if given) holds one label per image.
 * The arrays are used as they are (not copied).
 */
export function imageSet(pixels: Uint8Array, shape: ImageSetShape): ImageSet {
  const fn = 'imageSet';
  if (!(pixels instanceof Uint8Array)) fail('pixels', fn, 'a Uint8Array of raw pixels 0..255', pixels);
  if (shape === null || typeof shape !== 'object') fail('shape', fn, 'an object {count, height, width, channels, labels?}', shape);
  const count = checkCount(shape.count, 'shape.count', fn);
  const height = checkDim(shape.height, 'shape.height', fn);
  const width = checkDim(shape.width, 'shape.width', fn);
  const channels = checkDim(shape.channels, 'shape.channels', fn);
  const expected = count * height * width * channels;
  if (pixels.length !== expected) {
    failWith('pixels', fn, `of length count*height*width*channels = ${count}*${height}*${width}*${channels} = ${expected}`, `length ${pixels.length}`);
  }
  const labels = shape.labels;
  if (labels !== undefined) {
    if (!(labels instanceof Uint8Array)) fail('shape.labels', fn, 'a Uint8Array or undefined', labels);
    if (labels.length !== count) failWith('shape.labels', fn, `of length ${count} (one label per image)`, `length ${labels.length}`);
  }
  const set: ImageSet = labels === undefined ? { pixels, count, height, width, channels } : { pixels, count, height, width, channels, labels };
  return Object.freeze(set);
}

/** True when `x` is a well-formed ImageSet (typed arrays and dimensions consistent). */
export function isImageSet(x: unknown): x is ImageSet {
  if (x === null || typeof x !== 'object') return false;
  const s = x as Partial<ImageSet>;
  const isDim = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;
  if (!(s.pixels instanceof Uint8Array)) return false;
  if (typeof s.count !== 'number' || !Number.isInteger(s.count) || s.count < 0) return false;
  if (!isDim(s.height) || !isDim(s.width) || !isDim(s.channels)) return false;
  if (s.pixels.length !== s.count * s.height! * s.width! * s.channels!) return false;
  if (s.labels !== undefined && (!(s.labels instanceof Uint8Array) || s.labels.length !== s.count)) return false;
  return true;
}

/** Throws a ValueError unless `set` is a well-formed ImageSet. */
export function checkImageSet(set: unknown, arg: string, fn: string): ImageSet {
  if (!isImageSet(set)) {
    fail(arg, fn, 'an ImageSet {pixels: Uint8Array, count, height, width, channels, labels?} with pixels.length = count*height*width*channels', set);
  }
  return set;
}

/** Validates image indices (integers in [0, count)) and returns them as an Int32Array. */
export function checkIndices(indices: unknown, count: number, arg: string, fn: string): Int32Array {
  const ok = Array.isArray(indices) || (ArrayBuffer.isView(indices) && !(indices instanceof DataView));
  if (!ok) fail(arg, fn, 'an array or typed array of image indices', indices);
  const src = indices as ArrayLike<unknown>;
  const out = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= count) {
      failWith(arg, fn, `integer image indices in [0, ${count})`, `${typeof v === 'number' ? v : describe(v)} at position ${i}`);
    }
    out[i] = v;
  }
  return out;
}

/** Copies the pixels of the images at `indices` (already validated) into a new array. */
export function gatherPixels(set: ImageSet, indices: Int32Array): Uint8Array {
  const size = set.height * set.width * set.channels;
  const out = new Uint8Array(indices.length * size);
  for (let k = 0; k < indices.length; k++) {
    const start = indices[k]! * size;
    out.set(set.pixels.subarray(start, start + size), k * size);
  }
  return out;
}

/** A new ImageSet holding copies of the images (and labels) at `indices`, in that order; repeats allowed. */
export function subset(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const fn = 'subset';
  checkImageSet(set, 'set', fn);
  const idx = checkIndices(indices, set.count, 'indices', fn);
  const pixels = gatherPixels(set, idx);
  let labels: Uint8Array | undefined;
  if (set.labels) {
    labels = new Uint8Array(idx.length);
    for (let k = 0; k < idx.length; k++) labels[k] = set.labels[idx[k]!]!;
  }
  return imageSet(pixels, { count: idx.length, height: set.height, width: set.width, channels: set.channels, labels });
}

/** A new ImageSet with the images of `a` followed by those of `b` (same height, width, channels; labels on both or neither). */
export function concat(a: ImageSet, b: ImageSet): ImageSet {
  const fn = 'concat';
  checkImageSet(a, 'a', fn);
  checkImageSet(b, 'b', fn);
  if (a.height !== b.height || a.width !== b.width || a.channels !== b.channels) {
    failWith('b', fn, `images of the same size as 'a' (${a.height}x${a.width}x${a.channels})`, `${b.height}x${b.width}x${b.channels}`);
  }
  if ((a.labels === undefined) !== (b.labels === undefined)) {
    failWith('b', fn, `${a.labels ? 'labelled, like' : 'unlabelled, like'} 'a' (labels on both sets or on neither)`, b.labels ? 'a labelled set' : 'an unlabelled set');
  }
  const pixels = new Uint8Array(a.pixels.length + b.pixels.length);
  pixels.set(a.pixels, 0);
  pixels.set(b.pixels, a.pixels.length);
  let labels: Uint8Array | undefined;
  if (a.labels && b.labels) {
    labels = new Uint8Array(a.count + b.count);
    labels.set(a.labels, 0);
    labels.set(b.labels, a.count);
  }
  return imageSet(pixels, { count: a.count + b.count, height: a.height, width: a.width, channels: a.channels, labels });
}

/** Indices of the images whose label satisfies `predicate(label, index)`, in order. The set needs labels. */
export function indicesWhere(set: ImageSet, predicate: (label: number, index: number) => boolean, fn = 'indicesWhere'): Int32Array {
  checkImageSet(set, 'set', fn);
  if (!set.labels) fail('set', fn, 'an ImageSet with labels', 'an ImageSet without labels');
  if (typeof predicate !== 'function') fail('predicate', fn, 'a function (label, index) => boolean', predicate);
  const keep: number[] = [];
  for (let i = 0; i < set.count; i++) if (predicate(set.labels[i]!, i)) keep.push(i);
  return Int32Array.from(keep);
}

/** A new ImageSet with the images whose label satisfies `predicate(label, index)`, in order. The set needs labels. */
export function filterByLabel(set: ImageSet, predicate: (label: number, index: number) => boolean): ImageSet {
  return subset(set, indicesWhere(set, predicate, 'filterByLabel'));
}

/** Number of images per label value: `counts[l]` is how many images carry label l (length = max label + 1). */
export function labelCounts(set: ImageSet): number[] {
  const fn = 'labelCounts';
  checkImageSet(set, 'set', fn);
  if (!set.labels) fail('set', fn, 'an ImageSet with labels', 'an ImageSet without labels');
  const counts: number[] = [];
  for (const l of set.labels) {
    while (counts.length <= l) counts.push(0);
    counts[l]!++;
  }
  return counts;
}

function checkLabelsArg(labels: unknown, count: number, fn: string): Uint8Array | undefined {
  if (labels === undefined) return undefined;
  const ok = Array.isArray(labels) || (ArrayBuffer.isView(labels) && !(labels instanceof DataView));
  if (!ok) fail('labels', fn, 'an array or typed array of integer labels 0..255, or undefined', labels);
  const src = labels as ArrayLike<unknown>;
  if (src.length !== count) failWith('labels', fn, `of length ${count} (one label per image)`, `length ${src.length}`);
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const v = src[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) {
      failWith('labels', fn, 'integer labels 0..255', `${typeof v === 'number' ? v : describe(v)} at index ${i}`);
    }
    out[i] = v;
  }
  return out;
}

/**
 * An ImageSet from a tensor of raw pixel values: [n, h, w, c], or [h, w, c] for one image (the
 * tfjs image convention, as `tf.browser.fromPixels` returns). Values must be integers 0..255;
 * anything else (NaN, ±Infinity, out of range, fractions such as [0, 1]-scaled images) is a
 * ValueError rather than silently rounded or clamped. Reads the tensor synchronously; the tensor
 * is not disposed.
 */
export function fromTensor(t: tf.Tensor4D | tf.Tensor3D, labels?: ArrayLike<number>): ImageSet {
  const fn = 'fromTensor';
  if (!(t instanceof tf.Tensor)) fail('t', fn, 'a tf.Tensor of rank 3 [h,w,c] or 4 [n,h,w,c]', t);
  if (t.rank !== 3 && t.rank !== 4) fail('t', fn, 'a tf.Tensor of rank 3 [h,w,c] or 4 [n,h,w,c]', t);
  if (t.dtype !== 'float32' && t.dtype !== 'int32') fail('t', fn, 'a float32 or int32 tensor', t);
  const [count, height, width, channels] = t.rank === 4 ? t.shape : [1, ...t.shape];
  if (!height || !width || !channels) fail('t', fn, 'a tensor with non-zero height, width and channels', t);
  const values = t.dataSync();
  const pixels = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= 0 && v <= 255 && Number.isInteger(v))) {
      failWith('t', fn, 'raw pixel values: integers 0..255 (round or rescale first)', `${v} at flat index ${i}`);
    }
    pixels[i] = v;
  }
  return imageSet(pixels, { count: count!, height, width, channels, labels: checkLabelsArg(labels, count!, fn) });
}

/**
 * The raw pixels (0..255, not rescaled) of all images, or of those at `indices`, as a tensor
 * [n, h, w, c]. dtype float32 by default (what image ops need), or int32.
 */
export function toTensor(set: ImageSet, indices?: ArrayLike<number>, dtype: 'float32' | 'int32' = 'float32'): tf.Tensor4D {
  const fn = 'toTensor';
  checkImageSet(set, 'set', fn);
  if (dtype !== 'float32' && dtype !== 'int32') fail('dtype', fn, "'float32' or 'int32'", dtype);
  const bytes = indices === undefined ? set.pixels : gatherPixels(set, checkIndices(indices, set.count, 'indices', fn));
  const n = bytes.length / (set.height * set.width * set.channels);
  const values = dtype === 'float32' ? Float32Array.from(bytes) : Int32Array.from(bytes);
  return tf.tensor4d(values, [n, set.height, set.width, set.channels], dtype);
}
