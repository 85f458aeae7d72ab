// The ImageErrors of image decoding and loading, and the bare reason of each (without the file
// name), which the loaders report in `LoadedImages.skipped`.
import { ImageError } from '@ganomaly/common';
import type { ImageHeader } from './image-header.js';

/** The reason of each ImageError made here, without the file name (for `LoadedImages.skipped`). */
const reasons = new WeakMap<ImageError, string>();

export function imageError(reason: string, file?: string): ImageError {
  const e = new ImageError(file === undefined ? `Cannot use the image data: ${reason}.` : `Cannot use image file '${file}': ${reason}.`, file);
  reasons.set(e, reason);
  return e;
}

export function reasonOf(e: ImageError): string {
  return reasons.get(e) ?? e.message;
}

export function tooLarge(h: ImageHeader, maxPixels: number, file?: string): ImageError {
  const n = h.width * h.height;
  return imageError(
    `${h.format.toUpperCase()} of ${h.width}x${h.height} = ${n.toLocaleString('en-US')} pixels, more than the limit of ${maxPixels.toLocaleString('en-US')} pixels (maxPixels); refused before decoding`,
    file,
  );
}
