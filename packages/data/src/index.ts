/**
 * @ganomaly/data: images as raw uint8 sets (`ImageSet`), readers for MNIST IDX and CIFAR-10
 * binary files, preprocessing to network input in [-1, 1], seeded shuffles and batches, and the
 * authors' leave-one-class-out anomaly split, PNG/JPEG files and image folders (the authors'
 * train/normal, test/normal, test/abnormal layout). Works in browsers; the file loaders (loadMnist,
 * loadCifar10, findMnist, listImageFiles, loadImage*, loadFolderDataset) import node: modules,
 * and the decoders (pngjs, jpeg-js) only when called.
 */
export * from './api.js';
export {
  type FindMnistOptions,
  type FoundMnist,
  loadMnist,
  loadCifar10,
  findMnist,
} from './node-datasets.js';
export { type ImageFormat, type ImageHeader, type DecodedImage, DEFAULT_MAX_PIXELS, IMAGE_EXTENSIONS, imageHeader } from './image-header.js';
export { decodeImage, loadImageDecoders } from './image-decode.js';
export { type Pngjs, loadPngjs } from './pngjs.js';
export { type DecodeOptions } from './decode-browser.js';
export { decodeImageAsync } from './decode-async.js';
export { resizeImage } from './resize.js';
// Node only (node: modules imported when called).
export { type LoadImagesOptions, type LoadedImages, listImageFiles, loadImageFiles, loadImageFolder, detectChannels } from './node-image-files.js';
export { type FilePath, showPath } from './path-text.js';
export { type FolderDataset, loadFolderDataset, isFolderDataset } from './node-folder-dataset.js';
