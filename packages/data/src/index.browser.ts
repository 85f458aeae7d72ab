/**
 * The browser build of @ganomaly/data (the `browser` condition of its `exports`): the same names
 * as index.ts. Images decode with the browser's own decoders (`decodeImageAsync`); what reads
 * files with node:fs (the MNIST and CIFAR-10 loaders, image files and folders) and the pure-JS
 * decoders that need Node (pngjs) are left out and replaced by functions that throw an error
 * saying what to use instead (browser-stubs.ts), so that a bundle holds no Node code.
 */
export * from './api.js';
export { type ImageFormat, type ImageHeader, type DecodedImage, DEFAULT_MAX_PIXELS, IMAGE_EXTENSIONS, imageHeader } from './image-header.js';
export { resizeImage } from './resize.js';
export { type DecodeOptions, decodeImageAsync } from './decode-browser.js';
export type { Pngjs } from './pngjs.js';
// Types only (erased): the Node modules themselves are not imported.
export type { FindMnistOptions, FoundMnist } from './node-datasets.js';
export type { LoadImagesOptions, LoadedImages } from './node-image-files.js';
export type { FolderDataset } from './node-folder-dataset.js';
export { type FilePath, showPath } from './path-text.js';
export {
  decodeImage,
  loadImageDecoders,
  loadMnist,
  loadCifar10,
  findMnist,
  listImageFiles,
  loadImageFiles,
  loadImageFolder,
  detectChannels,
  loadFolderDataset,
  isFolderDataset,
  loadPngjs,
} from './browser-stubs.js';
