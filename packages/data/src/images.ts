// Image files (PNG, JPEG) and folders of them as data sets: header parsing, decoding, the
// PIL-style antialiased bilinear resize, folder listing and the GANomaly authors' folder layout
// (root/train/normal, root/test/normal, root/test/abnormal).
//
// Browser-safe at load time: nothing here imports node: modules, pngjs or jpeg-js at the top level.
// The file and folder functions import node: modules when called (as node.ts does); the decoders
// are imported when first needed (see `loadImageDecoders`). `imageHeader` and `resizeImage` are
// plain JS and work anywhere.
import { fail, failWith, GanomalyError, ImageError, ValueError } from '@ganomaly/common';
import { imageSet, type ImageSet } from './imageset.js';

export type ImageFormat = 'png' | 'jpeg';

/** What `imageHeader` reads from the first bytes of a file. */
export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
  /** Channels `decodeImage` returns: 1 grey (also grey+alpha), 3 RGB (also palette, CMYK JPEG), 4 RGBA (also palette with transparency). */
  channels: 1 | 3 | 4;
}

/** Images with more pixels than this are refused (from the header, before decoding). 40 MP, e.g. 8000x5000. */
export const DEFAULT_MAX_PIXELS = 40_000_000;

/** A decoded image: 8-bit pixels, row-major, channels interleaved (HWC). */
export interface DecodedImage {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  pixels: Uint8Array;
}

/** File extensions `listImageFiles` picks up (matched case-insensitively). */
export const IMAGE_EXTENSIONS: readonly string[] = Object.freeze(['.png', '.jpg', '.jpeg']);

// ---------------------------------------------------------------------------------------------
// Headers

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Bit depths allowed for each PNG colour type. */
const PNG_DEPTHS: Record<number, readonly number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

interface ParsedHeader extends ImageHeader {
  /** PNG: colour type, and where a tRNS chunk sits (offset of its length field, whole chunk length). */
  png?: { colorType: number; depth: number; interlaced: boolean; trns?: { offset: number; length: number } };
  /** JPEG: the SOF marker (0xC0..0xCF) and the number of colour components. */
  jpeg?: { sof: number; components: number };
}

/** A parsed header, or why there is none: not PNG/JPEG at all, a broken header, or bytes ending before the header does. */
type HeaderResult =
  | { ok: true; header: ParsedHeader }
  | { ok: false; format?: ImageFormat; truncated?: boolean; reason: string };

const u16 = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;
const u32 = (b: Uint8Array, o: number) => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

function parsePngHeader(b: Uint8Array): HeaderResult {
  const format = 'png' as const;
  if (b.length < 33) return { ok: false, format, truncated: true, reason: `truncated PNG: ${b.length} bytes, less than a PNG signature and IHDR chunk (33 bytes)` };
  const type = String.fromCharCode(b[12]!, b[13]!, b[14]!, b[15]!);
  if (type !== 'IHDR' || u32(b, 8) !== 13) return { ok: false, format, reason: `corrupt PNG: the first chunk is '${type.replace(/[^\x20-\x7e]/g, '?')}', not a 13-byte IHDR` };
  const width = u32(b, 16);
  const height = u32(b, 20);
  const depth = b[24]!;
  const colorType = b[25]!;
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) return { ok: false, format, reason: `corrupt PNG header: size ${width}x${height}` };
  if (!PNG_DEPTHS[colorType]?.includes(depth)) return { ok: false, format, reason: `corrupt PNG header: colour type ${colorType} with bit depth ${depth}` };
  // Chunks before the image data: a tRNS chunk makes a palette image RGBA (and has to be removed
  // from grey and RGB images before pngjs sees it, see decodePng).
  let trns: { offset: number; length: number } | undefined;
  for (let o = 33; o + 8 <= b.length; ) {
    const len = u32(b, o);
    const t = String.fromCharCode(b[o + 4]!, b[o + 5]!, b[o + 6]!, b[o + 7]!);
    if (t === 'IDAT' || t === 'IEND') break;
    if (t === 'tRNS') trns = { offset: o, length: 12 + len };
    o += 12 + len;
  }
  const channels = colorType === 0 || colorType === 4 ? 1 : colorType === 2 ? 3 : colorType === 6 ? 4 : trns ? 4 : 3;
  return { ok: true, header: { format, width, height, channels, png: { colorType, depth, interlaced: b[28] === 1, trns } } };
}

function parseJpegHeader(b: Uint8Array): HeaderResult {
  const format = 'jpeg' as const;
  const truncated = { ok: false, format, truncated: true, reason: 'truncated JPEG: the file ends before the frame header (SOF)' } as const;
  let o = 2;
  for (;;) {
    if (o >= b.length) return truncated;
    if (b[o] !== 0xff) return { ok: false, format, reason: `corrupt JPEG: no marker at byte ${o} before the frame header (SOF)` };
    while (o < b.length && b[o] === 0xff) o++; // fill bytes
    if (o >= b.length) return truncated;
    const m = b[o++]!;
    if (m === 0x01 || m === 0xd8 || (m >= 0xd0 && m <= 0xd7)) continue; // markers without a length
    if (m === 0xd9 || m === 0xda) return { ok: false, format, reason: `corrupt JPEG: ${m === 0xd9 ? 'end of image' : 'scan data'} before the frame header (SOF)` };
    if (o + 2 > b.length) return truncated;
    const len = u16(b, o);
    if (len < 2) return { ok: false, format, reason: `corrupt JPEG: marker FF${m.toString(16).toUpperCase()} with length ${len}` };
    const isSof = m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
    if (isSof) {
      if (o + 8 > b.length) return truncated;
      const height = u16(b, o + 3);
      const width = u16(b, o + 5);
      const components = b[o + 7]!;
      if (width === 0 || height === 0) return { ok: false, format, reason: `unsupported JPEG: frame size ${width}x${height} (a height given later by a DNL marker is not supported)` };
      if (components !== 1 && components !== 3 && components !== 4) return { ok: false, format, reason: `unsupported JPEG: ${components} colour components (1 grey, 3 YCbCr/RGB or 4 CMYK are supported)` };
      return { ok: true, header: { format, width, height, channels: components === 1 ? 1 : 3, jpeg: { sof: m, components } } };
    }
    o += len;
  }
}

function parseHeader(b: Uint8Array): HeaderResult {
  if (b.length === 0) return { ok: false, reason: 'empty file (0 bytes)' };
  if (b.length >= 8 && PNG_SIGNATURE.every((v, i) => b[i] === v)) return parsePngHeader(b);
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return parseJpegHeader(b);
  const first = Array.from(b.subarray(0, 8), (v) => v.toString(16).padStart(2, '0')).join(' ');
  return { ok: false, reason: `neither PNG nor JPEG (first bytes: ${first})` };
}

/**
 * The format, size and channels of a PNG or JPEG image, read from its first bytes without
 * decoding (PNG: signature, IHDR and the chunks up to the image data; JPEG: markers up to the
 * frame header). null when the bytes are neither PNG nor JPEG, or their header is broken,
 * unsupported or cut off. `channels` is what `decodeImage` returns for the file.
 */
export function imageHeader(bytes: Uint8Array): ImageHeader | null {
  if (!(bytes instanceof Uint8Array)) fail('bytes', 'imageHeader', 'a Uint8Array (or Buffer) with the first bytes of an image file', bytes);
  const r = parseHeader(bytes);
  if (!r.ok) return null;
  const { format, width, height, channels } = r.header;
  return { format, width, height, channels };
}

// ---------------------------------------------------------------------------------------------
// Errors

/** The reason of each ImageError made here, without the file name (for `LoadedImages.skipped`). */
const reasons = new WeakMap<ImageError, string>();

function imageError(reason: string, file?: string): ImageError {
  const e = new ImageError(file === undefined ? `Cannot use the image data: ${reason}.` : `Cannot use image file '${file}': ${reason}.`, file);
  reasons.set(e, reason);
  return e;
}

function reasonOf(e: ImageError): string {
  return reasons.get(e) ?? e.message;
}

function tooLarge(h: ImageHeader, maxPixels: number, file?: string): ImageError {
  const n = h.width * h.height;
  return imageError(
    `${h.format.toUpperCase()} of ${h.width}x${h.height} = ${n.toLocaleString('en-US')} pixels, more than the limit of ${maxPixels.toLocaleString('en-US')} pixels (maxPixels); refused before decoding`,
    file,
  );
}

// ---------------------------------------------------------------------------------------------
// Decoders

interface PngModule {
  sync: { read(buffer: Uint8Array, options?: { checkCRC?: boolean; skipRescale?: boolean }): { width: number; height: number; data: Uint8Array } };
}
interface JpegModule {
  decode(
    data: Uint8Array,
    opts: { useTArray: true; formatAsRGBA?: boolean; tolerantDecoding?: boolean; maxResolutionInMP?: number; maxMemoryUsageInMB?: number },
  ): { width: number; height: number; data: Uint8Array };
}

let pngModule: PngModule | undefined;
let jpegModule: JpegModule | undefined;

function pickPng(m: unknown): PngModule {
  const mod = m as { PNG?: PngModule; default?: { PNG?: PngModule } };
  const png = mod.PNG ?? mod.default?.PNG;
  if (!png?.sync?.read) throw new GanomalyError("The package 'pngjs' does not export PNG.sync.read; @ganomaly/data needs pngjs 7.");
  return png;
}

function pickJpeg(m: unknown): JpegModule {
  const mod = m as { decode?: JpegModule['decode']; default?: { decode?: JpegModule['decode'] } };
  const decode = mod.decode ?? mod.default?.decode;
  if (typeof decode !== 'function') throw new GanomalyError("The package 'jpeg-js' does not export decode; @ganomaly/data needs jpeg-js 0.4.");
  return { decode };
}

/**
 * Imports the decoders (pngjs, jpeg-js). The Node file loaders call it themselves; `decodeImage`
 * loads them synchronously on Node >= 20.16 (`process.getBuiltinModule`), so this is needed only
 * before calling `decodeImage` elsewhere (older Node, other runtimes with a module loader).
 */
export async function loadImageDecoders(): Promise<void> {
  if (!pngModule) pngModule = pickPng(await import(/* webpackIgnore: true */ 'pngjs'));
  if (!jpegModule) jpegModule = pickJpeg(await import(/* webpackIgnore: true */ 'jpeg-js'));
}

/** `require` of a decoder package, synchronously, where the runtime offers it without a static import. */
function requireSync(name: string): unknown {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const mod = typeof proc?.getBuiltinModule === 'function' ? (proc.getBuiltinModule('node:module') as { createRequire?: (url: string) => (id: string) => unknown } | undefined) : undefined;
  if (!mod?.createRequire) {
    throw new GanomalyError(`decodeImage needs the '${name}' package: call 'await loadImageDecoders()' once before decoding (it is loaded automatically only on Node >= 20.16).`);
  }
  return mod.createRequire(import.meta.url)(name);
}

function png(): PngModule {
  return (pngModule ??= pickPng(requireSync('pngjs')));
}

function jpeg(): JpegModule {
  return (jpegModule ??= pickJpeg(requireSync('jpeg-js')));
}

function decodePng(bytes: Uint8Array, h: ParsedHeader, file?: string): DecodedImage {
  const info = h.png!;
  let input = bytes;
  if (info.trns && info.colorType !== 3) {
    // pngjs turns pixels of the tRNS colour key into (0,0,0,0), losing their colour. The alpha is
    // dropped anyway, so the chunk is cut out and those pixels keep their colour (as in PIL).
    const { offset, length } = info.trns;
    input = new Uint8Array(bytes.length - length);
    input.set(bytes.subarray(0, offset), 0);
    input.set(bytes.subarray(offset + length), offset);
  }
  // Bytes after the IEND chunk (appended data, padding) make pngjs >= 6 throw; PIL ignores them.
  const idat: Uint8Array[] = [];
  for (let o = 8; o + 8 <= input.length; ) {
    const len = u32(input, o);
    if (input[o + 4] === 0x49 && input[o + 5] === 0x45 && input[o + 6] === 0x4e && input[o + 7] === 0x44) {
      if (o + 12 < input.length) input = input.subarray(0, o + 12);
      break;
    }
    if (input[o + 4] === 0x49 && input[o + 5] === 0x44 && input[o + 6] === 0x41 && input[o + 7] === 0x54) idat.push(input.subarray(o + 8, Math.min(o + 8 + len, input.length)));
    o += 12 + len;
  }
  let rgba: Uint8Array;
  try {
    // pngjs reads with Buffer methods (readUInt32BE): view the bytes as a Buffer, without copying.
    const B = (globalThis as { Buffer?: { isBuffer(x: unknown): boolean; from(a: ArrayBufferLike, o: number, n: number): Uint8Array } }).Buffer;
    const buf = B && !B.isBuffer(input) ? B.from(input.buffer, input.byteOffset, input.byteLength) : input;
    const out = png().sync.read(buf);
    if (out.width !== h.width || out.height !== h.height || out.data.length !== h.width * h.height * 4) throw new Error('unexpected output size');
    rgba = out.data;
  } catch (e) {
    if (e instanceof GanomalyError) throw e;
    const msg = (e as Error)?.message ?? String(e);
    const what = /read requests waitng|waiting on finished stream/.test(msg) ? 'truncated PNG (the file ends before the image does)' : (shortPngStream(idat, h) ?? 'corrupt or truncated PNG');
    throw imageError(`${what} (pngjs: ${msg})`, file);
  }
  const short = shortPngStream(idat, h);
  if (short) throw imageError(short, file);
  const c = h.channels;
  const n = h.width * h.height;
  const pixels = new Uint8Array(n * c);
  if (c === 4) pixels.set(rgba);
  else for (let i = 0, o = 0; i < n; i++) for (let k = 0; k < c; k++) pixels[o++] = rgba[i * 4 + k]!;
  return { width: h.width, height: h.height, channels: c, pixels };
}

/**
 * pngjs does not notice a compressed image stream that ends early (complete chunks, valid CRCs,
 * but the zlib data cut short): it fills the missing rows from an uninitialised buffer, so such a
 * file decoded as black (or failed on a random filter byte). PIL refuses it. Where Node's zlib is
 * at hand, the stream is inflated once more (native, fast) and checked for its end and length.
 * Returns why the stream is short, or null (also when it cannot tell).
 */
function shortPngStream(idat: Uint8Array[], h: ParsedHeader): string | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const zlib = typeof proc?.getBuiltinModule === 'function' ? (proc.getBuiltinModule('node:zlib') as { inflateSync(b: Uint8Array): Uint8Array } | undefined) : undefined;
  if (!zlib || idat.length === 0) return null;
  const joined = new Uint8Array(idat.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of idat) {
    joined.set(c, at);
    at += c.length;
  }
  let inflated: Uint8Array;
  try {
    inflated = zlib.inflateSync(joined);
  } catch (e) {
    return /unexpected end/.test((e as Error).message) ? 'truncated PNG (its compressed image data ends early)' : null;
  }
  // Non-interlaced: a filter byte and the packed samples per row (interlaced images: seven passes).
  const samples = [1, 0, 3, 1, 2, 0, 4][h.png!.colorType]!;
  const expected = h.height * (1 + Math.ceil((h.width * samples * h.png!.depth) / 8));
  return !h.png!.interlaced && inflated.length < expected ? `truncated PNG (its image data holds ${inflated.length} of ${expected} bytes)` : null;
}

function decodeJpeg(bytes: Uint8Array, h: ParsedHeader, maxPixels: number, file?: string): DecodedImage {
  const sof = h.jpeg!.sof;
  if (sof > 0xc2) {
    const kind = sof === 0xc3 ? 'lossless' : sof >= 0xc9 ? 'arithmetic-coded' : 'hierarchical';
    throw imageError(`unsupported JPEG: ${kind} (SOF marker FF${sof.toString(16).toUpperCase()}); only baseline and progressive Huffman JPEGs are supported`, file);
  }
  let rgb: Uint8Array;
  try {
    const out = jpeg().decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      // The pixel limit is checked above already; these keep jpeg-js from going past it either.
      maxResolutionInMP: maxPixels / 1e6,
      // jpeg-js counts up to about 21 bytes per pixel (4:4:4 colour: coefficients, planes, output);
      // its default of 512 MB would refuse colour JPEGs above ~25 MP, inside our pixel limit.
      maxMemoryUsageInMB: Math.max(512, Math.ceil((Math.min(maxPixels, h.width * h.height) * 32) / 2 ** 20)),
    });
    if (out.width !== h.width || out.height !== h.height || out.data.length !== h.width * h.height * 3) throw new Error('unexpected output size');
    rgb = out.data;
  } catch (e) {
    if (e instanceof GanomalyError) throw e;
    throw imageError(`corrupt or truncated JPEG (jpeg-js: ${(e as Error)?.message ?? String(e)})`, file);
  }
  if (h.channels === 3) return { width: h.width, height: h.height, channels: 3, pixels: rgb };
  const n = h.width * h.height;
  const pixels = new Uint8Array(n);
  for (let i = 0; i < n; i++) pixels[i] = rgb[i * 3]!; // jpeg-js repeats the grey plane as R=G=B
  return { width: h.width, height: h.height, channels: 1, pixels };
}

function checkMaxPixels(value: unknown, arg: string, fn: string): number {
  if (value === undefined) return DEFAULT_MAX_PIXELS;
  if (typeof value !== 'number' || !(value >= 1) || Number.isNaN(value)) fail(arg, fn, 'a number of pixels >= 1 (or undefined for the default 40,000,000)', value);
  return value;
}

/**
 * Decodes a PNG (pngjs) or JPEG (jpeg-js) image to 8-bit HWC pixels.
 *
 * - Channels: grey → 1, grey+alpha → 1 (alpha dropped), RGB → 3, RGBA → 4, palette → 3 (4 with
 *   a tRNS chunk), CMYK JPEG → 3. 16-bit PNGs are scaled to 8 bits (round(v·255/65535)).
 * - `maxPixels` (default 40,000,000): width·height is checked from the header before decoding,
 *   so a small file claiming a huge size is refused without allocating anything.
 * - Throws ImageError (with `file`, which also goes into the message) for empty data, a format
 *   other than PNG/JPEG, corrupt or truncated data, unsupported JPEG variants (lossless,
 *   arithmetic-coded), and images over the pixel limit.
 * - No colour management: gamma, ICC profiles and EXIF orientation are ignored (as PIL's
 *   `Image.open(...).convert('RGB')` ignores them).
 */
export function decodeImage(bytes: Uint8Array, options: { maxPixels?: number; file?: string } = {}): DecodedImage {
  const fn = 'decodeImage';
  if (!(bytes instanceof Uint8Array)) fail('bytes', fn, 'a Uint8Array (or Buffer) with the bytes of a PNG or JPEG file', bytes);
  if (options === null || typeof options !== 'object') fail('options', fn, 'an object {maxPixels?, file?}', options);
  const maxPixels = checkMaxPixels(options.maxPixels, 'options.maxPixels', fn);
  const file = options.file;
  if (file !== undefined && typeof file !== 'string') fail('options.file', fn, 'a file name (string) or undefined', file);
  const r = parseHeader(bytes);
  if (!r.ok) throw imageError(r.reason, file);
  const h = r.header;
  if (h.width * h.height > maxPixels) throw tooLarge(h, maxPixels, file);
  return h.format === 'png' ? decodePng(bytes, h, file) : decodeJpeg(bytes, h, maxPixels, file);
}

// ---------------------------------------------------------------------------------------------
// Resizing: Pillow's Resample.c (ImagingResample with the BILINEAR filter), in JS.

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

function checkDecodedImage(image: unknown, arg: string, fn: string): DecodedImage {
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

// ---------------------------------------------------------------------------------------------
// Files and folders (Node only)

type Fs = typeof import('node:fs/promises');
type Path = typeof import('node:path');

async function nodeModules(): Promise<{ fs: Fs; path: Path }> {
  const [fs, path] = await Promise.all([import(/* webpackIgnore: true */ 'node:fs/promises'), import(/* webpackIgnore: true */ 'node:path')]);
  return { fs, path };
}

/** Compares strings by Unicode code point (UTF-16 order differs for characters above U+FFFF). */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (D800-DFFF) encode code points above FFFF: move them above E000-FFFF.
    if (x >= 0xd800) x += x <= 0xdfff ? 0x2000 : -0x800;
    if (y >= 0xd800) y += y <= 0xdfff ? 0x2000 : -0x800;
    return x - y;
  }
  return a.length - b.length;
}

function isImageName(name: string): boolean {
  if (name.startsWith('.')) return false;
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** 'dir', 'file', or undefined when missing or something else. Follows symbolic links. */
async function kindOf(fs: Fs, p: string): Promise<'dir' | 'file' | undefined> {
  try {
    const st = await fs.stat(p);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

/** Non-hidden entries of a folder, split into folders and files (symbolic links followed), sorted by name. */
async function entries(fs: Fs, path: Path, dir: string): Promise<{ dirs: string[]; files: string[] }> {
  const dirs: string[] = [];
  const files: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    let kind: 'dir' | 'file' | undefined = e.isDirectory() ? 'dir' : e.isFile() ? 'file' : undefined;
    if (e.isSymbolicLink()) kind = await kindOf(fs, path.join(dir, e.name));
    if (kind === 'dir') dirs.push(e.name);
    else if (kind === 'file') files.push(e.name);
  }
  dirs.sort(compareCodePoints);
  files.sort(compareCodePoints);
  return { dirs, files };
}

async function checkFolder(fs: Fs, path: Path, dir: unknown, arg: string, fn: string, expected: string): Promise<string> {
  if (typeof dir !== 'string' || dir === '') fail(arg, fn, expected, dir);
  const abs = path.resolve(dir);
  let st;
  try {
    st = await fs.stat(abs);
  } catch {
    throw new ValueError(`Argument '${arg}' passed to '${fn}' must be ${expected}, but ${abs} does not exist.`);
  }
  if (!st.isDirectory()) throw new ValueError(`Argument '${arg}' passed to '${fn}' must be ${expected}, but ${abs} is not a folder.`);
  return abs;
}

async function listImages(fs: Fs, path: Path, dir: string, recursive: boolean): Promise<string[]> {
  const found: string[] = [];
  const seen = new Set<string>();
  const walk = async (rel: string): Promise<void> => {
    const full = rel === '' ? dir : path.join(dir, rel);
    if (recursive) {
      // Symbolic links can make cycles: each real folder is visited once.
      const real = await fs.realpath(full);
      if (seen.has(real)) return;
      seen.add(real);
    }
    const { dirs, files } = await entries(fs, path, full);
    for (const f of files) if (isImageName(f)) found.push(rel === '' ? f : path.join(rel, f));
    if (recursive) for (const d of dirs) await walk(rel === '' ? d : path.join(rel, d));
  };
  await walk('');
  found.sort(compareCodePoints);
  return found.map((rel) => path.join(dir, rel));
}

/**
 * The image files (IMAGE_EXTENSIONS, any case) directly in `dir`, or in it and all its
 * subfolders with `recursive`, sorted by path in plain code-point order (the same on every
 * machine; no locale, no natural-number sort: `img10.png` comes before `img2.png`). Hidden files
 * and folders (names starting with '.', e.g. `.DS_Store`, `._x.png`) are left out. Paths are
 * `dir` joined with the file's path below it. ValueError when `dir` is missing or not a folder.
 * Node only.
 */
export async function listImageFiles(dir: string, options: { recursive?: boolean } = {}): Promise<string[]> {
  const fn = 'listImageFiles';
  if (options === null || typeof options !== 'object') fail('options', fn, 'an object {recursive?}', options);
  const recursive = options.recursive ?? false;
  if (typeof recursive !== 'boolean') fail('options.recursive', fn, 'a boolean', recursive);
  const { fs, path } = await nodeModules();
  await checkFolder(fs, path, dir, 'dir', fn, 'an existing folder');
  return listImages(fs, path, dir, recursive);
}

/** Options of `loadImageFiles`, `loadImageFolder` and `loadFolderDataset`. */
export interface LoadImagesOptions {
  /** Side of the square images returned, in pixels. */
  imageSize: number;
  /** 1 (grey) or 3 (RGB). */
  channels: 1 | 3;
  /** Default false: corrupt/unreadable/too-large files are skipped and reported through onWarning and `skipped`; true: the first one throws its ImageError. */
  strict?: boolean;
  /** Largest width·height decoded; default DEFAULT_MAX_PIXELS (40,000,000). */
  maxPixels?: number;
  /** Called with one sentence per skipped file (and, for folder data sets, per ignored folder). */
  onWarning?: (message: string) => void;
  /** Called after each file, loaded or skipped. */
  onProgress?: (done: number, total: number) => void;
}

/** What `loadImageFiles` returns. */
export interface LoadedImages {
  /** The loaded images: imageSize x imageSize x channels, no labels (except a folder data set's test set). */
  set: ImageSet;
  /** The files loaded, in the order of `set`. */
  files: string[];
  /** The files skipped (not in `set`) and why. */
  skipped: { file: string; reason: string }[];
}

interface CheckedLoadOptions {
  imageSize: number;
  channels: 1 | 3;
  strict: boolean;
  maxPixels: number;
  onWarning?: (message: string) => void;
  onProgress?: (done: number, total: number) => void;
}

function checkLoadOptions(options: unknown, fn: string): CheckedLoadOptions {
  if (options === null || typeof options !== 'object') fail('options', fn, 'an object {imageSize, channels, strict?, maxPixels?, onWarning?, onProgress?}', options);
  const o = options as Partial<LoadImagesOptions>;
  const { imageSize, channels, strict = false, onWarning, onProgress } = o;
  if (typeof imageSize !== 'number' || !Number.isInteger(imageSize) || imageSize <= 0) fail('options.imageSize', fn, 'a positive integer', imageSize);
  if (channels !== 1 && channels !== 3) fail('options.channels', fn, '1 (grey) or 3 (RGB)', channels);
  if (typeof strict !== 'boolean') fail('options.strict', fn, 'a boolean', strict);
  const maxPixels = checkMaxPixels(o.maxPixels, 'options.maxPixels', fn);
  if (onWarning !== undefined && typeof onWarning !== 'function') fail('options.onWarning', fn, 'a function (message) => void', onWarning);
  if (onProgress !== undefined && typeof onProgress !== 'function') fail('options.onProgress', fn, 'a function (done, total) => void', onProgress);
  return { imageSize, channels, strict, maxPixels, onWarning, onProgress };
}

/** Bytes read first; enough for the headers of nearly every file (JPEG EXIF blocks can be longer). */
const HEAD_BYTES = 65536;

/** The first bytes of a file (all of it when `all` or when the JPEG frame header lies further in). */
async function readHead(fs: Fs, file: string): Promise<{ bytes: Uint8Array; size: number }> {
  const fh = await fs.open(file, 'r');
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw Object.assign(new Error('is a folder'), { code: 'EISDIR' });
    const n = Math.min(st.size, HEAD_BYTES);
    const bytes = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const { bytesRead } = await fh.read(bytes, got, n - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return { bytes: bytes.subarray(0, got), size: st.size };
  } finally {
    await fh.close();
  }
}

async function readAll(fs: Fs, file: string): Promise<Uint8Array> {
  const buf = await fs.readFile(file);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** A file system error as an ImageError naming the file; anything else unchanged. */
function asImageError(e: unknown, file: string): unknown {
  if (e instanceof ImageError) return e;
  const err = e as { code?: unknown; message?: unknown } | null;
  if (err && typeof err.code === 'string') return imageError(`unreadable (${err.code === 'EISDIR' ? 'EISDIR: a folder, not a file' : String(err.message)})`, file);
  return e;
}

/** Reads a whole image file, refusing it from its header first when it is over the pixel limit. */
async function readImageFile(fs: Fs, file: string, maxPixels: number): Promise<Uint8Array> {
  const { bytes, size } = await readHead(fs, file);
  const r = parseHeader(bytes);
  if (r.ok && r.header.width * r.header.height > maxPixels) throw tooLarge(r.header, maxPixels, file);
  return size <= bytes.length ? bytes : readAll(fs, file);
}

/**
 * Reads, decodes and resizes image files into one unlabelled ImageSet of
 * imageSize x imageSize x channels images, in the order of `files`. Files are read and decoded
 * one at a time, so memory holds one full-size image plus the resized set. Files that cannot be
 * used (unreadable, neither PNG nor JPEG, corrupt, truncated, over `maxPixels`) are skipped with
 * a warning, or with `strict` the first one throws its ImageError. ImageError when no file could
 * be loaded; ValueError for an empty list. Node only.
 */
export async function loadImageFiles(files: readonly string[], options: LoadImagesOptions): Promise<LoadedImages> {
  const fn = 'loadImageFiles';
  if (!Array.isArray(files) || !files.every((f) => typeof f === 'string' && f !== '')) fail('files', fn, 'an array of file paths', files);
  if (files.length === 0) failWith('files', fn, 'a non-empty array of image file paths', 'an empty array');
  const o = checkLoadOptions(options, fn);
  return loadChecked(files, o);
}

async function loadChecked(files: readonly string[], o: CheckedLoadOptions, progressOffset = 0, progressTotal = files.length): Promise<LoadedImages> {
  const { fs } = await nodeModules();
  await loadImageDecoders();
  const per = o.imageSize * o.imageSize * o.channels;
  const pixels = new Uint8Array(files.length * per);
  const loaded: string[] = [];
  const skipped: { file: string; reason: string }[] = [];
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    try {
      const bytes = await readImageFile(fs, file, o.maxPixels);
      const image = decodeImage(bytes, { maxPixels: o.maxPixels, file });
      pixels.set(resizeImage(image, o.imageSize, o.channels), loaded.length * per);
      loaded.push(file);
    } catch (e) {
      const err = asImageError(e, file);
      if (!(err instanceof ImageError) || o.strict) throw err;
      const reason = reasonOf(err);
      skipped.push({ file, reason });
      o.onWarning?.(`Skipped ${file}: ${reason}.`);
    }
    o.onProgress?.(progressOffset + i + 1, progressTotal);
  }
  if (loaded.length === 0) {
    const shown = skipped.slice(0, 3).map((s) => `${s.file}: ${s.reason}`);
    const more = skipped.length > 3 ? `; and ${skipped.length - 3} more` : '';
    throw new ImageError(`None of the ${files.length} image file${files.length === 1 ? '' : 's'} could be loaded (${shown.join('; ')}${more}).`, files[0]);
  }
  const set = imageSet(loaded.length === files.length ? pixels : pixels.slice(0, loaded.length * per), {
    count: loaded.length,
    height: o.imageSize,
    width: o.imageSize,
    channels: o.channels,
  });
  return { set, files: loaded, skipped };
}

/**
 * `loadImageFiles` on the images of a folder (`listImageFiles` order; subfolders too with
 * `recursive`). ValueError naming the folder when it is missing, not a folder, or holds no
 * .png/.jpg/.jpeg file; ImageError when none of its images could be loaded. Node only.
 */
export async function loadImageFolder(dir: string, options: LoadImagesOptions & { recursive?: boolean }): Promise<LoadedImages> {
  const fn = 'loadImageFolder';
  const o = checkLoadOptions(options, fn);
  const recursive = options.recursive ?? false;
  if (typeof recursive !== 'boolean') fail('options.recursive', fn, 'a boolean', recursive);
  const { fs, path } = await nodeModules();
  const abs = await checkFolder(fs, path, dir, 'dir', fn, 'a folder of image files');
  const files = await listImages(fs, path, dir, recursive);
  if (files.length === 0) {
    throw new ValueError(
      `Argument 'dir' passed to '${fn}' must be a folder of image files (${IMAGE_EXTENSIONS.join(', ')}), but ${abs} holds none${recursive ? ', in any subfolder either' : ' (subfolders are not searched without the recursive option)'}.`,
    );
  }
  return loadChecked(files, o);
}

/**
 * 1 when every file's header (no decoding) says grey (grey PNG, grey+alpha PNG, 1-component
 * JPEG), else 3; for the CLI's `--channels auto`. Stops at the first colour image. Files whose
 * header cannot be read are left out (loading skips them too); ImageError when no file has a
 * readable header, ValueError for an empty list. Node only.
 */
export async function detectChannels(files: readonly string[]): Promise<1 | 3> {
  const fn = 'detectChannels';
  if (!Array.isArray(files) || !files.every((f) => typeof f === 'string' && f !== '')) fail('files', fn, 'an array of file paths', files);
  if (files.length === 0) failWith('files', fn, 'a non-empty array of image file paths', 'an empty array');
  const { fs } = await nodeModules();
  let readable = 0;
  let firstProblem = '';
  for (const file of files) {
    let r: HeaderResult;
    try {
      const { bytes, size } = await readHead(fs, file);
      r = parseHeader(bytes);
      if (!r.ok && r.truncated && size > bytes.length) r = parseHeader(await readAll(fs, file));
    } catch (e) {
      const err = asImageError(e, file);
      if (!(err instanceof ImageError)) throw err;
      firstProblem ||= `${file}: ${reasonOf(err)}`;
      continue;
    }
    if (!r.ok) {
      firstProblem ||= `${file}: ${r.reason}`;
      continue;
    }
    readable++;
    if (r.header.channels !== 1) return 3;
  }
  if (readable === 0) throw new ImageError(`None of the ${files.length} files has a readable PNG or JPEG header (${firstProblem}).`, files[0]);
  return 1;
}

// ---------------------------------------------------------------------------------------------
// The authors' folder layout

/** A data set in the GANomaly authors' folder layout, loaded. */
export interface FolderDataset {
  /** The images of train/normal (unlabelled). Empty (count 0) when only the test split was asked for. */
  train: LoadedImages;
  /** The images of test/ with labels 0 (normal) and 1 (anomaly); absent when there is no test/ folder or only `train` was asked for. */
  test?: LoadedImages & {
    /** 0 normal, 1 anomaly, per loaded image; the same array as `set.labels`. */
    labels: Uint8Array;
    /** The folder name (class) of each loaded image: 'normal', 'abnormal', ... */
    classes: string[];
  };
}

const LAYOUT =
  'root/train/normal/ with the training images (.png, .jpg, .jpeg), and optionally root/test/normal/ plus one or more anomaly folders such as root/test/abnormal/';

function layoutError(fn: string, problem: string): ValueError {
  return new ValueError(`Argument 'root' passed to '${fn}' must be a data set folder laid out as ${LAYOUT}, but ${problem}.`);
}

/**
 * Loads a data set in the layout of the GANomaly authors' custom data sets (torchvision
 * ImageFolder under train/ and test/):
 *
 *     root/train/normal/*.png          training images (normal only)
 *     root/test/normal/*.png           label 0
 *     root/test/abnormal/*.png         label 1; every other folder under test/ is an anomaly class too
 *
 * - train/: only `normal` is used; other folders and loose files are ignored with a warning.
 * - test/ (optional unless `split` is 'test'): `normal` is label 0, every other folder label 1,
 *   its name kept per image in `classes`. Images come in ImageFolder order: class folders sorted
 *   by name (so `abnormal` before `normal`), files sorted by path within each.
 * - Class folders are searched recursively (as ImageFolder does); hidden entries are ignored.
 * - `split`: 'both' (default), 'train' (no test) or 'test' (train/ not needed; `train` is empty).
 * - Progress counts the files of both splits together.
 * - ValueError (naming the path and the expected layout): root missing, no train/normal,
 *   train/normal without images, test/ without normal/ or without any anomaly folder with
 *   images, test/normal without images. Unusable image files are skipped (or thrown with
 *   `strict`) as in `loadImageFiles`.
 *
 * Node only.
 */
export async function loadFolderDataset(root: string, options: LoadImagesOptions & { split?: 'train' | 'test' | 'both' }): Promise<FolderDataset> {
  const fn = 'loadFolderDataset';
  const o = checkLoadOptions(options, fn);
  const split = options.split ?? 'both';
  if (split !== 'train' && split !== 'test' && split !== 'both') fail('options.split', fn, "'train', 'test' or 'both'", split);
  const { fs, path } = await nodeModules();
  if (typeof root !== 'string' || root === '') fail('root', fn, `a data set folder laid out as ${LAYOUT}`, root);
  const abs = path.resolve(root);
  const rootKind = await kindOf(fs, abs);
  if (rootKind !== 'dir') throw layoutError(fn, rootKind === undefined ? `${abs} does not exist` : `${abs} is not a folder`);
  const warn = (m: string) => o.onWarning?.(m);
  const list = (names: string[]) => (names.length ? names.join(', ') : 'nothing');

  let trainFiles: string[] = [];
  if (split !== 'test') {
    const trainDir = path.join(root, 'train');
    if ((await kindOf(fs, trainDir)) !== 'dir') throw layoutError(fn, `${abs} has no train/ folder (it holds: ${list((await entries(fs, path, abs)).dirs.map((d) => d + '/'))})`);
    const { dirs, files } = await entries(fs, path, trainDir);
    if (!dirs.includes('normal')) throw layoutError(fn, `${path.resolve(trainDir)} has no normal/ folder (it holds: ${list([...dirs.map((d) => d + '/'), ...files])})`);
    for (const d of dirs) if (d !== 'normal') warn(`Ignored ${path.join(trainDir, d)}: training uses only train/normal/ (GANomaly trains on normal images only).`);
    const loose = files.filter(isImageName);
    if (loose.length) warn(`Ignored ${loose.length} image file${loose.length === 1 ? '' : 's'} directly in ${trainDir}: training images go into train/normal/.`);
    const normalDir = path.join(trainDir, 'normal');
    trainFiles = await listImages(fs, path, normalDir, true);
    if (trainFiles.length === 0) throw layoutError(fn, `${path.resolve(normalDir)} holds no image files (${IMAGE_EXTENSIONS.join(', ')})`);
  }

  let testFiles: string[] = [];
  const classOf = new Map<string, string>();
  const testDir = path.join(root, 'test');
  const hasTest = split !== 'train' && (await kindOf(fs, testDir)) === 'dir';
  if (split === 'test' && !hasTest) throw layoutError(fn, `${abs} has no test/ folder`);
  if (hasTest) {
    const { dirs, files } = await entries(fs, path, testDir);
    const absTest = path.resolve(testDir);
    if (!dirs.includes('normal')) throw layoutError(fn, `${absTest} has no normal/ folder (it holds: ${list([...dirs.map((d) => d + '/'), ...files])})`);
    if (dirs.length === 1) throw layoutError(fn, `${absTest} has no anomaly folder (such as abnormal/) next to normal/`);
    const loose = files.filter(isImageName);
    if (loose.length) warn(`Ignored ${loose.length} image file${loose.length === 1 ? '' : 's'} directly in ${testDir}: test images go into test/normal/ or an anomaly folder such as test/abnormal/.`);
    let anomalies = 0;
    for (const d of dirs) {
      const classFiles = await listImages(fs, path, path.join(testDir, d), true);
      if (classFiles.length === 0) {
        if (d === 'normal') throw layoutError(fn, `${path.join(absTest, d)} holds no image files (${IMAGE_EXTENSIONS.join(', ')})`);
        warn(`Ignored ${path.join(testDir, d)}: no image files in it.`);
        continue;
      }
      if (d !== 'normal') anomalies += classFiles.length;
      for (const f of classFiles) classOf.set(f, d);
      testFiles.push(...classFiles);
    }
    if (anomalies === 0) throw layoutError(fn, `the anomaly folders of ${absTest} (${list(dirs.filter((d) => d !== 'normal').map((d) => d + '/'))}) hold no image files`);
  }

  const total = trainFiles.length + testFiles.length;
  const train: LoadedImages = trainFiles.length
    ? await loadChecked(trainFiles, o, 0, total)
    : { set: imageSet(new Uint8Array(0), { count: 0, height: o.imageSize, width: o.imageSize, channels: o.channels }), files: [], skipped: [] };
  if (!hasTest) return { train };
  const loaded = await loadChecked(testFiles, o, trainFiles.length, total);
  const classes = loaded.files.map((f) => classOf.get(f)!);
  const labels = Uint8Array.from(classes, (c) => (c === 'normal' ? 0 : 1));
  const normals = labels.length - labels.reduce((a, b) => a + b, 0);
  if (normals === 0 || normals === labels.length) {
    warn(`The loaded test set of ${path.resolve(testDir)} has ${normals === 0 ? 'no normal' : 'no anomalous'} images left after skipping unusable files; scores such as AUC need both.`);
  }
  const set = imageSet(loaded.set.pixels, { count: loaded.set.count, height: o.imageSize, width: o.imageSize, channels: o.channels, labels });
  return { train, test: { set, files: loaded.files, skipped: loaded.skipped, labels, classes } };
}

/** True when `root` has a train/normal or test/normal folder (the authors' layout, see `loadFolderDataset`). Node only. */
export async function isFolderDataset(root: string): Promise<boolean> {
  if (typeof root !== 'string' || root === '') fail('root', 'isFolderDataset', 'a folder path', root);
  const { fs, path } = await nodeModules();
  return (await kindOf(fs, path.join(root, 'train', 'normal'))) === 'dir' || (await kindOf(fs, path.join(root, 'test', 'normal'))) === 'dir';
}
