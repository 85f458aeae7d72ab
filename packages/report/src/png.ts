// PNG encoding. Nothing is imported at load time, so the package loads in browsers: Node (or any
// runtime without OffscreenCanvas) gets `pngjs`, imported when first needed; browsers and workers
// with OffscreenCanvas use the platform's own encoder.
import { isNode } from '@ganomaly/common';
import { loadPngjs } from '@ganomaly/data';
import { checkRgbaImage, type RgbaImage } from './rgba.js';


/** Encodes an RGBA image as a PNG file (8-bit RGBA). Node: through `pngjs` (imported on first use); browsers: OffscreenCanvas. */
export async function encodePng(image: RgbaImage): Promise<Uint8Array> {
  const im = checkRgbaImage(image, 'image', 'encodePng');
  const g = globalThis as { OffscreenCanvas?: typeof OffscreenCanvas; ImageData?: typeof ImageData };
  if (!isNode() && g.OffscreenCanvas && g.ImageData) {
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
