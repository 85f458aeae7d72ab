import { fail, failWith } from '@ganomaly/common';
import { checkImageSet, imageSet, type ImageSet } from './imageset.js';
import { checkRng, makeShuffler, type ShuffleRng } from './random.js';

/** Options of `leaveOneClassOut`. */
export interface LeaveOneClassOutOptions {
  /** The label treated as the anomaly; every other label is normal. */
  anomalyClass: number;
  /** Seed of the shuffle of the normal pool (the authors' `manualseed`). */
  seed: number;
  /** Share of the normal pool used for training, in (0, 1). Default 0.8 as in the paper. */
  trainFraction?: number;
  /** Keep only the first N training images of the seeded order (a reduced, still seeded protocol). */
  maxTrain?: number;
  /** Keep only the first N normal test images of the seeded order. */
  maxTestNormal?: number;
  /** Keep N anomalous test images drawn with the seed (kept in their original order). */
  maxTestAnomalous?: number;
  /**
   * Generator of the shuffle. Default `'numpy'`: the same permutation as the authors'
   * `np.random.seed(seed); np.random.shuffle(idx)`, so for the same data order (MNIST IDX order,
   * as torchvision loads it) the split is the authors' split image for image.
   */
  rng?: ShuffleRng;
}

/** Result of `leaveOneClassOut`. */
export interface AnomalySplit {
  /** Normal images only; labels all 0. */
  readonly train: ImageSet;
  /** Normal images (label 0) first, then anomalies (label 1): those of `train`, then those of `test`. */
  readonly test: ImageSet;
  /** The class labels the test images had in the input sets. */
  readonly originalLabels: Uint8Array;
  /** The class labels the training images had in the input sets. */
  readonly trainOriginalLabels: Uint8Array;
  /**
   * Where each training / test image came from, as an index into the concatenation
   * [input train; input test]: i < train.count is input-train image i, otherwise input-test
   * image i − train.count.
   */
  readonly trainSourceIndices: Int32Array;
  readonly testSourceIndices: Int32Array;
  readonly counts: {
    /** Normal images in train + test before the split. */
    readonly normalPool: number;
    /** Anomalous images in train + test. */
    readonly anomalyPool: number;
    readonly train: number;
    readonly testNormal: number;
    readonly testAnomalous: number;
  };
}

function checkOptionalCap(value: unknown, min: number, arg: string, fn: string): number {
  if (value === undefined) return Infinity;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) fail(arg, fn, `undefined or an integer >= ${min}`, value);
  return value;
}

function checkSeed(value: unknown, arg: string, fn: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) fail(arg, fn, 'an integer seed', value);
  return value;
}

function checkLabelledSet(set: unknown, arg: string, fn: string): ImageSet & { labels: Uint8Array } {
  const s = checkImageSet(set, arg, fn);
  if (!s.labels) fail(arg, fn, 'an ImageSet with labels (the split needs class labels)', 'an ImageSet without labels');
  return s as ImageSet & { labels: Uint8Array };
}

/** Copies images addressed by source index into [a; b] into a new pixel array. */
function gatherFrom(a: ImageSet, b: ImageSet, source: Int32Array): Uint8Array {
  const size = a.height * a.width * a.channels;
  const out = new Uint8Array(source.length * size);
  for (let k = 0; k < source.length; k++) {
    const s = source[k]!;
    const from = s < a.count ? a.pixels : b.pixels;
    const start = (s < a.count ? s : s - a.count) * size;
    out.set(from.subarray(start, start + size), k * size);
  }
  return out;
}

/**
 * The authors' seeded leave-one-class-out protocol (GANomaly, MNIST / CIFAR-10): the normal images
 * (label ≠ anomalyClass) of `train` and `test` are pooled in that order and shuffled with `seed`;
 * the first ⌊trainFraction · pool⌋ form the training set (normal only), the rest are the normal part
 * of the test set, which also gets every anomalous image of `train` and of `test` (in that order).
 * Test labels: 1 = anomaly, 0 = normal.
 *
 * ⌊·⌋ is the authors' `int(len(idx) * 0.80)`: Python's int() truncates, which for a positive
 * product is the floor of the same IEEE double product computed here.
 */
export function leaveOneClassOut(train: ImageSet, test: ImageSet, options: LeaveOneClassOutOptions): AnomalySplit {
  const fn = 'leaveOneClassOut';
  const a = checkLabelledSet(train, 'train', fn);
  const b = checkLabelledSet(test, 'test', fn);
  if (a.height !== b.height || a.width !== b.width || a.channels !== b.channels) {
    failWith('test', fn, `images of the same size as 'train' (${a.height}x${a.width}x${a.channels})`, `${b.height}x${b.width}x${b.channels}`);
  }
  if (options === null || typeof options !== 'object') fail('options', fn, 'an object {anomalyClass, seed, trainFraction?, maxTrain?, maxTestNormal?, maxTestAnomalous?, rng?}', options);
  const { anomalyClass, seed, trainFraction = 0.8, rng = 'numpy' } = options;
  if (typeof anomalyClass !== 'number' || !Number.isInteger(anomalyClass) || anomalyClass < 0 || anomalyClass > 255) {
    fail('options.anomalyClass', fn, 'an integer label 0..255', anomalyClass);
  }
  checkSeed(seed, 'options.seed', fn);
  if (typeof trainFraction !== 'number' || !(trainFraction > 0 && trainFraction < 1)) fail('options.trainFraction', fn, 'a number in (0, 1)', trainFraction);
  const maxTrain = checkOptionalCap(options.maxTrain, 1, 'options.maxTrain', fn);
  const maxTestNormal = checkOptionalCap(options.maxTestNormal, 0, 'options.maxTestNormal', fn);
  const maxTestAnomalous = checkOptionalCap(options.maxTestAnomalous, 0, 'options.maxTestAnomalous', fn);
  checkRng(rng, 'options.rng', fn);

  const labelOf = (s: number) => (s < a.count ? a.labels[s]! : b.labels[s - a.count]!);
  const normal: number[] = [];
  const anomalous: number[] = [];
  for (let s = 0; s < a.count + b.count; s++) (labelOf(s) === anomalyClass ? anomalous : normal).push(s);
  if (anomalous.length === 0) {
    failWith('options.anomalyClass', fn, 'a label that occurs in train or test', `${anomalyClass}, which labels no image`);
  }
  if (normal.length === 0) failWith('train', fn, 'normal images (labels other than anomalyClass) in train or test', 'none');

  const shuffle = makeShuffler(seed, rng, fn);
  const order = new Int32Array(normal.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  shuffle(order);
  const trainLen = Math.floor(normal.length * trainFraction);
  if (trainLen === 0) failWith('options.trainFraction', fn, 'large enough to leave at least one training image', `${trainFraction} of ${normal.length} normal images`);
  const trainPos = order.subarray(0, Math.min(trainLen, maxTrain));
  const testPos = order.subarray(trainLen, trainLen + Math.min(order.length - trainLen, maxTestNormal));

  let anomalyPick = Int32Array.from(anomalous);
  if (maxTestAnomalous < anomalyPick.length) {
    // Continues the same seeded stream, then restores the original order of the chosen ones.
    const pos = new Int32Array(anomalous.length);
    for (let i = 0; i < pos.length; i++) pos[i] = i;
    shuffle(pos);
    const chosen = pos.slice(0, maxTestAnomalous).sort();
    anomalyPick = Int32Array.from(chosen, (p) => anomalous[p]!);
  }

  const trainSourceIndices = Int32Array.from(trainPos, (p) => normal[p]!);
  const testSourceIndices = new Int32Array(testPos.length + anomalyPick.length);
  for (let k = 0; k < testPos.length; k++) testSourceIndices[k] = normal[testPos[k]!]!;
  testSourceIndices.set(anomalyPick, testPos.length);

  const trainOriginalLabels = Uint8Array.from(trainSourceIndices, labelOf);
  const originalLabels = Uint8Array.from(testSourceIndices, labelOf);
  const testLabels = new Uint8Array(testSourceIndices.length);
  testLabels.fill(1, testPos.length);
  const dims = { height: a.height, width: a.width, channels: a.channels };
  return {
    train: imageSet(gatherFrom(a, b, trainSourceIndices), { count: trainSourceIndices.length, ...dims, labels: new Uint8Array(trainSourceIndices.length) }),
    test: imageSet(gatherFrom(a, b, testSourceIndices), { count: testSourceIndices.length, ...dims, labels: testLabels }),
    originalLabels,
    trainOriginalLabels,
    trainSourceIndices,
    testSourceIndices,
    counts: {
      normalPool: normal.length,
      anomalyPool: anomalous.length,
      train: trainSourceIndices.length,
      testNormal: testPos.length,
      testAnomalous: anomalyPick.length,
    },
  };
}

/** Options of `oneClassTrainSet`. */
export interface OneClassOptions {
  /** Seed of the shuffle that orders (and, with `max`, samples) the images. */
  seed: number;
  /** Keep only the first N images of the seeded order. */
  max?: number;
  /** Generator of the shuffle; default `'numpy'` (as in `leaveOneClassOut`). */
  rng?: ShuffleRng;
}

/**
 * The images of one class as a training set of normal images ("train on one digit"): those with
 * label `normalClass`, in a seeded order, at most `max` of them; labels set to 0 (normal).
 */
export function oneClassTrainSet(set: ImageSet, normalClass: number, options: OneClassOptions): ImageSet {
  const fn = 'oneClassTrainSet';
  const s = checkLabelledSet(set, 'set', fn);
  if (typeof normalClass !== 'number' || !Number.isInteger(normalClass) || normalClass < 0 || normalClass > 255) {
    fail('normalClass', fn, 'an integer label 0..255', normalClass);
  }
  if (options === null || typeof options !== 'object') fail('options', fn, 'an object {seed, max?, rng?}', options);
  const seed = checkSeed(options.seed, 'options.seed', fn);
  const max = checkOptionalCap(options.max, 1, 'options.max', fn);
  const rng = checkRng(options.rng ?? 'numpy', 'options.rng', fn);
  const members: number[] = [];
  for (let i = 0; i < s.count; i++) if (s.labels[i] === normalClass) members.push(i);
  if (members.length === 0) failWith('normalClass', fn, 'a label that occurs in the set', `${normalClass}, which labels no image`);
  const order = makeShuffler(seed, rng, fn)(Int32Array.from(members));
  const pick = order.subarray(0, Math.min(order.length, max));
  return imageSet(gatherFrom(s, s, pick), { count: pick.length, height: s.height, width: s.width, channels: s.channels, labels: new Uint8Array(pick.length) });
}
