// Model selection without test data (fit's select: 'validation'): the selection set (held-out
// normal images and synthetic anomalies made from them, or what the caller gives), and the
// snapshot of the best epoch's weights that fit restores at its end. Internal.
import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, fail, failWith } from '@ganomaly/common';
import { concat, imageSet, isImageSet, shuffledIndices, subset, syntheticAnomalies, type ImageSet } from '@ganomaly/data';
import { NETWORK_KEYS, type BatchNormSnapshot, type GanomalyNetworks } from '@ganomaly/models';
import { checkLabels, disposeSource, imageSource, type ImageInput, type ImageSource } from './inputs.js';
import { inputTarget, type ModelState } from './state.js';
import { FIT_SELECT_RULES, type FitOptions, type StatisticsMode } from './types.js';

/** The selection set, and the images fit trains on (all of them, or all but the held-out ones). */
export interface Selection {
  src: ImageSource;
  labels: Uint8Array;
  /** What fit trains on instead of its `images` when some were held out. */
  train: ImageInput | null;
  /** Frees what the selection made (its source, and a gathered training tensor). */
  dispose(): void;
}

const DEFAULT_HOLDOUT = 0.1;

/** The selection set `options` ask for (null with select: 'last'), built before training starts. */
export async function prepareSelection(state: ModelState, images: ImageInput, options: FitOptions, fn: string): Promise<Selection | null> {
  const rule = checkOneOf(options.select ?? 'last', FIT_SELECT_RULES, 'options.select', fn);
  const sel = options.selection;
  if (sel !== undefined && (sel === null || typeof sel !== 'object')) fail('options.selection', fn, 'an object {images?, labels?, holdout?, synthetic?}', sel);
  if (rule === 'last') {
    if (sel !== undefined) failWith('options.selection', fn, "to come with select: 'validation'", "select 'last'");
    return null;
  }
  const s = sel ?? {};
  if (s.labels !== undefined && s.images === undefined) failWith('options.selection.labels', fn, 'to come with options.selection.images', 'labels without images');
  if (s.images !== undefined && s.holdout !== undefined) {
    failWith('options.selection.holdout', fn, 'to be left out when options.selection.images are given (nothing is held out then)', `${s.holdout}`);
  }
  const synthetic = { seed: state.config.seed, ...(s.synthetic ?? {}) };
  const target = inputTarget(state);
  if (s.images !== undefined) {
    if (s.labels !== undefined) {
      const src = await imageSource(s.images, 'options.selection.images', fn, target);
      try {
        return { src, labels: checkLabels(s.labels, src.count, 'options.selection.labels', fn), train: null, dispose: () => disposeSource(src) };
      } catch (e) {
        disposeSource(src);
        throw e;
      }
    }
    const normal = await toImageSet(s.images, 'options.selection.images', fn);
    return fromNormals(normal, synthetic, target, null, null, fn);
  }
  const holdout = s.holdout ?? DEFAULT_HOLDOUT;
  if (typeof holdout !== 'number' || !(holdout > 0 && holdout < 1)) fail('options.selection.holdout', fn, 'a fraction in (0, 1)', holdout);
  const n = images instanceof tf.Tensor ? (images.rank === 3 ? 1 : images.shape[0]) : isImageSet(images) ? images.count : 0;
  const held = Math.round(holdout * n);
  if (held < 1 || n - held < 2) {
    failWith('options.selection.holdout', fn, `a fraction that holds out at least 1 of the ${n} images and leaves at least 2 to train on`, `${holdout} (${held} held out)`);
  }
  const order = shuffledIndices(n, state.config.seed);
  const heldIdx = Int32Array.from(order.subarray(0, held)).sort();
  const trainIdx = Int32Array.from(order.subarray(held)).sort();
  let train: ImageInput;
  let owned: tf.Tensor | null = null;
  let normal: ImageSet;
  if (images instanceof tf.Tensor) {
    const x4 = (images.rank === 3 ? tf.expandDims(images, 0) : images) as tf.Tensor4D;
    owned = train = tf.tidy(() => tf.gather(x4, tf.tensor1d(trainIdx, 'int32')));
    const heldT = tf.tidy(() => tf.gather(x4, tf.tensor1d(heldIdx, 'int32')));
    try {
      normal = await toImageSet(heldT, 'images', fn);
    } catch (e) {
      owned.dispose();
      throw e;
    } finally {
      heldT.dispose();
      if (x4 !== images) x4.dispose();
    }
  } else if (isImageSet(images)) {
    train = subset(images, trainIdx);
    normal = subset(images, heldIdx);
  } else {
    return fail('images', fn, 'a tensor [n, height, width, channels] of pixel values 0..255 or an ImageSet', images);
  }
  return fromNormals(normal, synthetic, target, train, owned, fn);
}

async function fromNormals(
  normal: ImageSet,
  synthetic: NonNullable<FitOptions['selection']>['synthetic'],
  target: { imageSize: number; channels: 1 | 3 },
  train: ImageInput | null,
  owned: tf.Tensor | null,
  fn: string,
): Promise<Selection> {
  try {
    const anomalies = syntheticAnomalies(normal, synthetic);
    // Labels of their own (0 normal, 1 anomaly), whatever labels the normal images carried.
    const plain = (set: ImageSet) => imageSet(set.pixels, { count: set.count, height: set.height, width: set.width, channels: set.channels });
    const all = concat(plain(normal), plain(anomalies));
    const labels = new Uint8Array(all.count).fill(1, normal.count);
    const src = await imageSource(all, 'options.selection.images', fn, target);
    return {
      src,
      labels,
      train,
      dispose: () => {
        disposeSource(src);
        owned?.dispose();
      },
    };
  } catch (e) {
    owned?.dispose();
    throw e;
  }
}

/**
 * Images as an ImageSet of bytes (what synthetic anomalies are made of): an ImageSet as it is, a
 * tensor of pixel values 0..255 read back and rounded to whole values.
 */
async function toImageSet(input: ImageInput, arg: string, fn: string): Promise<ImageSet> {
  if (isImageSet(input)) {
    if (input.count === 0) failWith(arg, fn, 'at least one image', 'an empty ImageSet');
    return input;
  }
  if (!(input instanceof tf.Tensor) || (input.rank !== 3 && input.rank !== 4)) {
    return fail(arg, fn, 'a tensor [n, height, width, channels] of pixel values 0..255 or an ImageSet', input);
  }
  const shape = input.rank === 3 ? [1, ...input.shape] : input.shape;
  const [count, height, width, channels] = shape as [number, number, number, number];
  if (count === 0 || height === 0 || width === 0) failWith(arg, fn, 'at least one image of at least 1x1 pixels', `shape [${input.shape}]`);
  const values = await input.data();
  const pixels = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= 0 && v <= 255)) failWith(arg, fn, 'finite pixel values within 0..255', `${v} at flat index ${i}`);
    pixels[i] = Math.round(v);
  }
  return imageSet(pixels, { count, height, width, channels });
}

/**
 * A copy of every weight of the four networks (BatchNorm statistics included), of the running
 * averages kept beside population statistics, and of which statistics the model holds.
 */
export class WeightsSnapshot {
  private constructor(
    private readonly weights: { variable: { write(t: tf.Tensor): unknown }; value: tf.Tensor }[],
    private running: BatchNormSnapshot | null,
    private readonly statistics: StatisticsMode,
    private readonly discriminatorRecomputed: boolean,
  ) {}

  static capture(state: ModelState, nets: GanomalyNetworks): WeightsSnapshot {
    const weights = NETWORK_KEYS.flatMap((k) => nets[k].weights.map((w) => ({ variable: w, value: tf.clone(w.read()) })));
    const running = state.runningStats ? state.runningStats.clone() : null;
    return new WeightsSnapshot(weights, running, state.statistics, state.discriminatorRecomputed);
  }

  /** Writes the copies back into the model (which takes over the running averages: restore once). */
  restore(state: ModelState): void {
    for (const w of this.weights) w.variable.write(w.value);
    state.runningStats?.dispose();
    state.runningStats = this.running;
    this.running = null;
    state.statistics = this.statistics;
    state.discriminatorRecomputed = this.discriminatorRecomputed;
    tf.dispose(this.weights.map((w) => w.value));
    this.weights.length = 0;
  }

  dispose(): void {
    tf.dispose(this.weights.map((w) => w.value));
    this.weights.length = 0;
    this.running?.dispose();
    this.running = null;
  }
}
