// Decoding PNG and JPEG bytes into 8-bit pixels with the pure-JS decoders (pngjs, jpeg-js), which
// are imported when first needed (see `loadImageDecoders`), never at load time.
import { fail, GanomalyError } from '@ganomaly/common';
import { imageError, tooLarge } from './image-errors.js';
import { DEFAULT_MAX_PIXELS, parseHeader, u32, type DecodedImage, type ParsedHeader } from './image-header.js';
import { loadPngjs, pngjsSync, requireSync } from './pngjs.js';

interface JpegModule {
  decode(
    data: Uint8Array,
    opts: { useTArray: true; formatAsRGBA?: boolean; tolerantDecoding?: boolean; maxResolutionInMP?: number; maxMemoryUsageInMB?: number },
  ): { width: number; height: number; data: Uint8Array };
}

let jpegModule: JpegModule | undefined;

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
  await loadPngjs();
  if (!jpegModule) jpegModule = pickJpeg(await import(/* webpackIgnore: true */ 'jpeg-js'));
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
    const out = pngjsSync().sync.read(buf);
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

export function checkMaxPixels(value: unknown, arg: string, fn: string): number {
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
