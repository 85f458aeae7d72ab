// PNG encoding. Nothing is imported at load time, so the package loads in browsers: Node (or any
// runtime without OffscreenCanvas) gets `pngjs`, imported when first needed; browsers and workers
// with OffscreenCanvas use the platform's own encoder.
import { checkRgbaImage, type RgbaImage } from './rgba.js';

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
