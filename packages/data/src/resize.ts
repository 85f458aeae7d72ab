// Resizing: Pillow's Resample.c (ImagingResample with the BILINEAR filter), in JS, so that images
// resized here match the PIL-resized images the GANomaly authors trained on. Plain JS.
import { fail, failWith } from '@ganomaly/common';
import type { DecodedImage } from './image-header.js';

/** Fixed-point precision of Pillow's 8-bit resampling: 32 − 8 − 2 bits. */
const PRECISION_BITS = 22;

interface Coefficients {
  /** Per output pixel: first input pixel, number of input pixels. */
  bounds: Int32Array;
  /** Per output pixel: `ksize` fixed-point weights (the first `bounds[2i+1]` are used). */
  weights: Int32Array;
  ksize: number;
}

/**
 * Weights of the triangle filter (support 1) for resampling `inSize` pixels to `outSize`, as
 * Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc`: pixel centres at i + 0.5; when
 * downscaling the filter widens by the scale factor (antialiasing), so every input pixel counts.
 */
function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = filterscale; // bilinear support 1.0, widened
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - center + 0.5) * ss);
      const w = t < 1 ? 1 - t : 0;
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? k[x]! / ww : k[x]!;
      weights[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { bounds, weights, ksize };
}

const clip8 = (ss: number) => (ss >= 1 << (PRECISION_BITS + 8) ? 255 : ss <= 0 ? 0 : ss >> PRECISION_BITS);

/** Pillow's 8-bit two-pass resample (horizontal first, into uint8; then vertical). HWC, any channel count. */
function resampleBilinear(src: Uint8Array, w: number, h: number, c: number, outW: number, outH: number): Uint8Array {
  const needH = outW !== w;
  const needV = outH !== h;
  if (!needH && !needV) return src.slice();
  const half = 1 << (PRECISION_BITS - 1);
  const cv = coefficients(h, outH);
  // Rows of the source that the vertical pass reads.
  const yFirst = cv.bounds[0]!;
  const yLast = cv.bounds[(outH - 1) * 2]! + cv.bounds[(outH - 1) * 2 + 1]!;
  let tmp = src;
  let tmpFirstRow = 0;
  if (needH) {
    const ch = coefficients(w, outW);
    const rows = yLast - yFirst;
    tmp = new Uint8Array(rows * outW * c);
    for (let y = 0; y < rows; y++) {
      const inRow = (y + yFirst) * w * c;
      const outRow = y * outW * c;
      for (let xx = 0; xx < outW; xx++) {
        const xmin = ch.bounds[xx * 2]!;
        const xmax = ch.bounds[xx * 2 + 1]!;
        const kb = xx * ch.ksize;
        for (let ci = 0; ci < c; ci++) {
          let ss = half;
          let p = inRow + xmin * c + ci;
          for (let x = 0; x < xmax; x++, p += c) ss += src[p]! * ch.weights[kb + x]!;
          tmp[outRow + xx * c + ci] = clip8(ss);
        }
      }
    }
    tmpFirstRow = yFirst;
  }
  if (!needV) return tmp;
  const out = new Uint8Array(outH * outW * c);
  const rowLen = outW * c;
  for (let yy = 0; yy < outH; yy++) {
    const ymin = cv.bounds[yy * 2]! - tmpFirstRow;
    const ymax = cv.bounds[yy * 2 + 1]!;
    const kb = yy * cv.ksize;
    const outRow = yy * rowLen;
    for (let i = 0; i < rowLen; i++) {
      let ss = half;
      let p = ymin * rowLen + i;
      for (let y = 0; y < ymax; y++, p += rowLen) ss += tmp[p]! * cv.weights[kb + y]!;
      out[outRow + i] = clip8(ss);
    }
  }
  return out;
}

export function checkDecodedImage(image: unknown, arg: string, fn: string): DecodedImage {
  const im = image as Partial<DecodedImage> | null;
  const isDim = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;
  if (im === null || typeof im !== 'object' || !isDim(im.width) || !isDim(im.height) || (im.channels !== 1 && im.channels !== 3 && im.channels !== 4)) {
    fail(arg, fn, 'a decoded image {width, height, channels: 1 | 3 | 4, pixels: Uint8Array}', image);
  }
  if (!(im.pixels instanceof Uint8Array) || im.pixels.length !== im.width! * im.height! * im.channels) {
    failWith(arg, fn, `pixels of length width*height*channels = ${im.width! * im.height! * im.channels}`, im.pixels instanceof Uint8Array ? `length ${im.pixels.length}` : 'no Uint8Array');
  }
  return im as DecodedImage;
}

/**
 * Resizes an image to size x size pixels with `channels` channels, as the authors' torchvision
 * pipeline does (`Image.open(f).convert('RGB' | 'L')`, then `Resize`, i.e. PIL's
 * `resize((size, size), BILINEAR)`), returning HWC uint8 pixels.
 *
 * - Channels first: RGBA drops alpha (not composited); RGB → 1 is PIL's `convert('L')`, BT.601
 *   luma 0.299 R + 0.587 G + 0.114 B in PIL's 16-bit fixed point, rounded; grey → 3 repeats the
 *   plane (after resizing, which gives the same result with a third of the work).
 * - Resampling: Pillow's bilinear (triangle filter, half-pixel centres, the filter widened by
 *   the scale factor when downscaling, so it antialiases: a 1-pixel checkerboard halved becomes
 *   flat grey), separable, horizontal pass first, with Pillow's 22-bit fixed-point weights and
 *   rounding; the result is bit-identical to Pillow's. Non-square images are stretched.
 * - size equal to the image's width and height: the pixels are copied as they are.
 */
export function resizeImage(image: DecodedImage, size: number, channels: 1 | 3): Uint8Array {
  const fn = 'resizeImage';
  const im = checkDecodedImage(image, 'image', fn);
  if (typeof size !== 'number' || !Number.isInteger(size) || size <= 0) fail('size', fn, 'a positive integer', size);
  if (channels !== 1 && channels !== 3) fail('channels', fn, '1 (grey) or 3 (RGB)', channels);
  const { width: w, height: h } = im;
  const n = w * h;
  let src = im.pixels;
  let c: number = im.channels;
  if (c === 4) {
    const rgb = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) {
      rgb[i * 3] = src[i * 4]!;
      rgb[i * 3 + 1] = src[i * 4 + 1]!;
      rgb[i * 3 + 2] = src[i * 4 + 2]!;
    }
    src = rgb;
    c = 3;
  }
  if (c === 3 && channels === 1) {
    const grey = new Uint8Array(n);
    // Pillow's L24: (19595 R + 38470 G + 7471 B + 0x8000) >> 16; the weights are 0.299, 0.587, 0.114 in 1/65536.
    for (let i = 0; i < n; i++) grey[i] = (src[i * 3]! * 19595 + src[i * 3 + 1]! * 38470 + src[i * 3 + 2]! * 7471 + 0x8000) >> 16;
    src = grey;
    c = 1;
  }
  const resized = resampleBilinear(src, w, h, c, size, size);
  if (c === channels) return resized;
  // grey → RGB
  const m = size * size;
  const out = new Uint8Array(m * 3);
  for (let i = 0; i < m; i++) out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = resized[i]!;
  return out;
}
