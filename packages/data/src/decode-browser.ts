/**
 * Image decoding with what browsers have: `createImageBitmap` and an `OffscreenCanvas` (in a page
 * and in a Web Worker). pngjs needs Node's util, stream and zlib, so the browser build of this
 * package (index.browser.ts) decodes with the browser instead; Node keeps the pure-JS decoders
 * (decode-async.ts), so that Node's results stay those of PIL.
 */
import { ValueError, fail } from '@ganomaly/common';
import { imageError, tooLarge } from './image-errors.js';
import { DEFAULT_MAX_PIXELS, parseHeader, type DecodedImage } from './image-header.js';

export interface DecodeOptions {
  /** Images with more pixels are refused from the header, before decoding (default 40,000,000). */
  maxPixels?: number;
  /** The file's name, for messages and `ImageError.file`. */
  file?: string;
}

/** Checks `decodeImageAsync`'s arguments as `decodeImage` checks its own; returns the pixel limit. */
export function checkDecodeArgs(bytes: unknown, options: unknown, fn: string): { maxPixels: number; file?: string } {
  if (!(bytes instanceof Uint8Array)) fail('bytes', fn, 'a Uint8Array (or Buffer) with the bytes of a PNG or JPEG file', bytes);
  if (options === null || typeof options !== 'object') fail('options', fn, 'an object {maxPixels?, file?}', options);
  const o = options as DecodeOptions;
  let maxPixels = DEFAULT_MAX_PIXELS;
  if (o.maxPixels !== undefined) {
    if (typeof o.maxPixels !== 'number' || !(o.maxPixels >= 1)) fail('options.maxPixels', fn, 'a number of pixels >= 1 (or undefined for the default 40,000,000)', o.maxPixels);
    maxPixels = o.maxPixels;
  }
  if (o.file !== undefined && typeof o.file !== 'string') fail('options.file', fn, 'a file name (string) or undefined', o.file);
  return { maxPixels, file: o.file };
}

interface Canvas2D {
  drawImage(image: unknown, x: number, y: number): void;
  getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
}
interface BrowserImageApis {
  createImageBitmap(blob: Blob, options?: Record<string, string>): Promise<{ width: number; height: number; close(): void }>;
  OffscreenCanvas: new (w: number, h: number) => { getContext(kind: '2d', options?: Record<string, unknown>): Canvas2D | null };
}

/** The browser's image APIs, or null where they are missing (Node, old runtimes). */
export function browserImageApis(): BrowserImageApis | null {
  const g = globalThis as unknown as Partial<BrowserImageApis> & { Blob?: unknown };
  return typeof g.createImageBitmap === 'function' && typeof g.OffscreenCanvas === 'function' && typeof g.Blob === 'function' ? (g as BrowserImageApis) : null;
}

/**
 * Decodes PNG or JPEG bytes with the browser's decoders to 8-bit HWC pixels, with the channels
 * `imageHeader` gives (1 grey, 3 RGB, 4 RGBA), as `decodeImage` does in Node. The header is read
 * and `maxPixels` checked before anything is decoded. No colour management
 * (`colorSpaceConversion: 'none'`), no EXIF rotation, alpha not premultiplied. Measured in
 * Chromium 156 against Node's decodeImage (test/browser-decode.test.ts): 8-bit grey, RGB, RGBA and
 * palette PNGs give exactly the file's pixels; 16-bit PNGs are within 1 level (the browser
 * truncates to 8 bits, Node rounds); JPEGs within 3 levels, mean 0.5 (libjpeg-turbo's and jpeg-js's
 * inverse DCTs round differently). Where alpha is below 255 the canvas's premultiplied storage
 * can change the colour (fully transparent pixels come back black).
 */
export async function decodeWithBrowser(bytes: Uint8Array, options: DecodeOptions, fn: string): Promise<DecodedImage> {
  const { maxPixels, file } = checkDecodeArgs(bytes, options, fn);
  const apis = browserImageApis();
  if (!apis) throw new ValueError(`'${fn}' needs createImageBitmap and OffscreenCanvas (a browser page or Web Worker); in Node, @ganomaly/data decodes with pngjs and jpeg-js.`);
  // The header checks of decodeImage, with its messages.
  const r = parseHeader(bytes);
  if (!r.ok) throw imageError(r.reason, file);
  const h = r.header;
  const n = h.width * h.height;
  if (n > maxPixels) throw tooLarge(h, maxPixels, file);
  let rgba: Uint8ClampedArray;
  try {
    const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: h.format === 'png' ? 'image/png' : 'image/jpeg' });
    let bitmap;
    try {
      bitmap = await apis.createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none', imageOrientation: 'none' });
    } catch (e) {
      // Browsers from before imageOrientation 'none' reject the option itself.
      if ((e as Error)?.name !== 'TypeError') throw e;
      bitmap = await apis.createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    }
    try {
      if (bitmap.width !== h.width || bitmap.height !== h.height) throw new Error(`decoded ${bitmap.width}x${bitmap.height}, its header says ${h.width}x${h.height}`);
      const ctx = new apis.OffscreenCanvas(h.width, h.height).getContext('2d', { willReadFrequently: true });
      if (!ctx) throw new Error('no 2d context on an OffscreenCanvas');
      ctx.drawImage(bitmap, 0, 0);
      rgba = ctx.getImageData(0, 0, h.width, h.height).data;
    } finally {
      bitmap.close();
    }
  } catch (e) {
    throw imageError(`corrupt or truncated ${h.format.toUpperCase()} (the browser could not decode it: ${(e as Error)?.message ?? String(e)})`, file);
  }
  const c = h.channels;
  const pixels = new Uint8Array(n * c);
  if (c === 4) pixels.set(rgba);
  else for (let i = 0, o = 0; i < n; i++) for (let k = 0; k < c; k++) pixels[o++] = rgba[i * 4 + k]!;
  return { width: h.width, height: h.height, channels: c, pixels };
}

/** `decodeImageAsync` of the browser build: the browser's decoders. */
export function decodeImageAsync(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> {
  return decodeWithBrowser(bytes, options, 'decodeImageAsync');
}
