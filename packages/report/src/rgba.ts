// The image data every module of the package draws into, encodes or returns (the DOM's ImageData
// layout), and its check. Imported by canvas.ts and png.ts alike, so neither imports the other's types.
import { ValueError } from '@ganomaly/common';

/** Raw image data: `width * height * 4` bytes, RGBA, row-major, top row first (the layout of the DOM's ImageData). */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Throws a ValueError unless `image` is a well-formed RgbaImage. */
export function checkRgbaImage(image: unknown, arg: string, fn: string): RgbaImage {
  const im = image as { width?: unknown; height?: unknown; data?: unknown } | null;
  const ok =
    im !== null &&
    typeof im === 'object' &&
    typeof im.width === 'number' &&
    typeof im.height === 'number' &&
    Number.isInteger(im.width) &&
    Number.isInteger(im.height) &&
    im.width > 0 &&
    im.height > 0 &&
    (im.data instanceof Uint8Array || im.data instanceof Uint8ClampedArray) &&
    im.data.length === im.width * im.height * 4;
  if (!ok) {
    throw new ValueError(`Argument '${arg}' passed to '${fn}' must be an RgbaImage {width, height, data: Uint8Array of width*height*4 RGBA bytes}.`);
  }
  return im as unknown as RgbaImage;
}
