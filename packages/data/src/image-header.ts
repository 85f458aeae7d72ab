// PNG and JPEG headers: format, size and channels read from a file's first bytes, without decoding
// (what lets the loaders refuse an image over the pixel limit before decoding it). Plain JS.
import { fail } from '@ganomaly/common';

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

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Bit depths allowed for each PNG colour type. */
const PNG_DEPTHS: Record<number, readonly number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

export interface ParsedHeader extends ImageHeader {
  /** PNG: colour type, and where a tRNS chunk sits (offset of its length field, whole chunk length). */
  png?: { colorType: number; depth: number; interlaced: boolean; trns?: { offset: number; length: number } };
  /** JPEG: the SOF marker (0xC0..0xCF) and the number of colour components. */
  jpeg?: { sof: number; components: number };
}

/** A parsed header, or why there is none: not PNG/JPEG at all, a broken header, or bytes ending before the header does. */
export type HeaderResult =
  | { ok: true; header: ParsedHeader }
  | { ok: false; format?: ImageFormat; truncated?: boolean; reason: string };

const u16 = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;
export const u32 = (b: Uint8Array, o: number) => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

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

export function parseHeader(b: Uint8Array): HeaderResult {
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
