// PNG encoding. Nothing is imported at load time, so the package loads in browsers: Node (or any
// runtime without OffscreenCanvas) gets `pngjs`, imported when first needed; browsers and workers
// with OffscreenCanvas use the platform's own encoder.
import { ValueError } from '@ganomaly/common';
import type { RgbaImage } from './canvas.js';

type PngjsModule = typeof import('pngjs');

let pngjs: Promise<PngjsModule['PNG']> | null = null;

function loadPngjs(): Promise<PngjsModule['PNG']> {
  // A variable specifier keeps browser bundlers from pulling in pngjs (and the Node modules it needs).
  const specifier = 'pngjs';
  pngjs ??= (import(/* @vite-ignore */ /* webpackIgnore: true */ specifier) as Promise<PngjsModule>).then((m) => {
    // pngjs is CommonJS: its exports are named exports, or properties of the default export.
    const mod = m as PngjsModule & { default?: PngjsModule };
    const PNG = mod.PNG ?? mod.default?.PNG;
    if (!PNG) throw new Error("encodePng: the 'pngjs' package did not export PNG.");
    return PNG;
  });
  pngjs.catch(() => (pngjs = null)); // a failed import is tried again next time
  return pngjs;
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

/** Encodes an RGBA image as a PNG file (8-bit RGBA). Node: through `pngjs` (imported on first use); browsers: OffscreenCanvas. */
export async function encodePng(image: RgbaImage): Promise<Uint8Array> {
  const im = checkRgbaImage(image, 'image', 'encodePng');
  const g = globalThis as { OffscreenCanvas?: typeof OffscreenCanvas; ImageData?: typeof ImageData; process?: { versions?: { node?: string } } };
  if (!g.process?.versions?.node && g.OffscreenCanvas && g.ImageData) {
    const canvas = new g.OffscreenCanvas(im.width, im.height);
    const ctx = canvas.getContext('2d');
    if (ctx) {
      ctx.putImageData(new g.ImageData(new Uint8ClampedArray(im.data), im.width, im.height), 0, 0);
      const blob = await canvas.convertToBlob({ type: 'image/png' });
      return new Uint8Array(await blob.arrayBuffer());
    }
  }
  const PNG = await loadPngjs();
  const png = new PNG({ width: im.width, height: im.height });
  png.data.set(im.data);
  const buf = PNG.sync.write(png);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
