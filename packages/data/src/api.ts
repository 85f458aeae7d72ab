// The browser-safe part of @ganomaly/data's API, which both builds export (index.ts for Node,
// index.browser.ts for bundlers' browser condition): in-memory image sets, parsers, preprocessing,
// seeded randomness and the split.
export {
  type ImageSet,
  type ImageSetShape,
  imageSet,
  isImageSet,
  checkImageSet,
  subset,
  concat,
  filterByLabel,
  indicesWhere,
  labelCounts,
  fromTensor,
  toTensor,
} from './imageset.js';
export { type IdxContent, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, isGzip, parseIdx, parseMnist } from './idx.js';
export { CIFAR10_CLASSES, CIFAR10_RECORD_BYTES, parseCifar10 } from './cifar.js';
export { type PreprocessOptions, LUMA_601, preprocess } from './preprocess.js';
export { type ShuffleRng, type BatchOptions, mulberry32, mt19937, shuffledIndices, batchIndices } from './random.js';
export { type LeaveOneClassOutOptions, type AnomalySplit, type OneClassOptions, leaveOneClassOut, oneClassTrainSet } from './split.js';
export { type MnistSplit, MNIST_DIR_ENV, mnistFileNames } from './mnist-files.js';
export {
  type SyntheticAnomalyOptions,
  type SyntheticKind,
  type SyntheticRegion,
  SYNTHETIC_KINDS,
  syntheticAnomalies,
  syntheticAnomalyRegions,
} from './synthetic.js';
