// `decodeImageAsync` in Node (and wherever the package's default build is used): the pure-JS
// decoders of `decodeImage` (pngjs, jpeg-js), loaded first. The browser build has its own
// (index.browser.ts: the browser's decoders).
import { checkDecodeArgs, type DecodeOptions } from './decode-browser.js';
import { decodeImage, loadImageDecoders } from './image-decode.js';
import type { DecodedImage } from './image-header.js';

/**
 * Decodes a PNG or JPEG image to 8-bit HWC pixels, in Node and in browsers: in Node with pngjs
 * and jpeg-js (exactly `decodeImage`), in browsers with `createImageBitmap` and an
 * `OffscreenCanvas`. Same channels, limits and `ImageError`s as `decodeImage`.
 */
export async function decodeImageAsync(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> {
  checkDecodeArgs(bytes, options, 'decodeImageAsync');
  await loadImageDecoders();
  return decodeImage(bytes, options);
}
