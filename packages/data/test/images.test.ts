import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { ImageError, ValueError } from '@ganomaly/common';
import {
  DEFAULT_MAX_PIXELS,
  IMAGE_EXTENSIONS,
  decodeImage,
  detectChannels,
  imageHeader,
  isFolderDataset,
  listImageFiles,
  loadFolderDataset,
  loadImageFiles,
  loadImageFolder,
  loadMnist,
  resizeImage,
  type DecodedImage,
} from '@ganomaly/data';
import { HAS_MNIST, MNIST_DIR } from './helpers.js';

// The encoders, as the tests' own tools (the package imports its decoders itself).
const require = createRequire(import.meta.url);
const { PNG } = require('pngjs') as typeof import('pngjs');
const jpegJs = require('jpeg-js') as typeof import('jpeg-js');

// ---------------------------------------------------------------------------------------------
// Image builders

/** A PNG written by pngjs: colour type 0 grey, 2 RGB, 4 grey+alpha, 6 RGBA; 8 or 16 bits; samples HWC. */
function pngjsPng(width: number, height: number, colorType: 0 | 2 | 4 | 6, samples: Uint8Array | Uint16Array, bitDepth: 8 | 16 = 8): Uint8Array {
  const opts = { width, height, colorType, inputColorType: colorType, bitDepth, inputHasAlpha: colorType === 4 || colorType === 6 };
  const png = new PNG(opts);
  // pngjs reads 16-bit input as a platform-endian Uint16Array over the buffer's whole ArrayBuffer.
  png.data = samples instanceof Uint16Array ? Buffer.from(samples.buffer) : Buffer.from(samples);
  return new Uint8Array(PNG.sync.write(png, opts));
}

/** An RGB JPEG written by jpeg-js (always 3 components, no chroma subsampling). */
function jpegJsJpeg(width: number, height: number, rgb: Uint8Array, quality = 95): Uint8Array {
  const rgba = Buffer.alloc(width * height * 4, 255);
  for (let i = 0; i < width * height; i++) rgb.subarray(i * 3, i * 3 + 3).forEach((v, k) => (rgba[i * 4 + k] = v));
  return new Uint8Array(jpegJs.encode({ width, height, data: rgba }, quality).data);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 255]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const be32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];

function pngChunk(type: string, data: ArrayLike<number>): number[] {
  const td = Uint8Array.from([...Array.from(type, (ch) => ch.charCodeAt(0)), ...Array.from(data)]);
  return [...be32(data.length), ...td, ...be32(crc32(td))];
}

const PNG_SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const ihdr = (w: number, h: number, depth: number, colorType: number) => pngChunk('IHDR', [...be32(w), ...be32(h), depth, colorType, 0, 0, 0]);

/** A hand-made 8-bit PNG (what pngjs cannot write: palettes, tRNS chunks). `rows`: bytes per row, without filter bytes. */
function handPng(w: number, h: number, colorType: number, rows: Uint8Array, before: number[][] = []): Uint8Array {
  const stride = rows.length / h;
  const raw = new Uint8Array(h * (stride + 1));
  for (let y = 0; y < h; y++) raw.set(rows.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  return Uint8Array.from([...PNG_SIG, ...ihdr(w, h, 8, colorType), ...before.flat(), ...pngChunk('IDAT', deflateSync(raw)), ...pngChunk('IEND', [])]);
}

/**
 * A hand-made baseline 1-component (grey) JPEG, which jpeg-js cannot write: every 8x8 block is
 * flat (DC coefficient only, quantisation 1), so the decoded pixels are known exactly:
 * block (bx, by) holds `value(bx, by)`. Standard luminance DC Huffman table; AC table = EOB only.
 */
function greyJpeg(w: number, h: number, value: (bx: number, by: number) => number, sof = 0xc0): Uint8Array {
  const out: number[] = [0xff, 0xd8];
  const seg = (m: number, body: number[]) => out.push(0xff, m, (body.length + 2) >> 8, (body.length + 2) & 255, ...body);
  seg(0xdb, [0x00, ...new Array<number>(64).fill(1)]);
  seg(sof, [8, h >> 8, h & 255, w >> 8, w & 255, 1, 1, 0x11, 0]);
  seg(0xc4, [0x00, 0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  seg(0xc4, [0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00]);
  seg(0xda, [1, 1, 0x00, 0, 63, 0]);
  const DC: [number, number][] = [[0b00, 2], [0b010, 3], [0b011, 3], [0b100, 3], [0b101, 3], [0b110, 3], [0b1110, 4], [0b11110, 5], [0b111110, 6], [0b1111110, 7], [0b11111110, 8], [0b111111110, 9]];
  let acc = 0;
  let nbits = 0;
  const put = (code: number, len: number) => {
    for (let i = len - 1; i >= 0; i--) {
      acc = (acc << 1) | ((code >> i) & 1);
      if (++nbits === 8) {
        out.push(acc);
        if (acc === 0xff) out.push(0); // byte stuffing
        acc = nbits = 0;
      }
    }
  };
  let pred = 0;
  for (let by = 0; by < Math.ceil(h / 8); by++) {
    for (let bx = 0; bx < Math.ceil(w / 8); bx++) {
      const dc = 8 * (value(bx, by) - 128); // a flat block of v has DC coefficient 8·(v − 128)
      const diff = dc - pred;
      pred = dc;
      const s = diff === 0 ? 0 : 32 - Math.clz32(Math.abs(diff));
      put(...DC[s]!);
      if (s) put(diff > 0 ? diff : diff + (1 << s) - 1, s);
      put(0, 1); // EOB
    }
  }
  if (nbits) put((1 << (8 - nbits)) - 1, 8 - nbits);
  out.push(0xff, 0xd9);
  return Uint8Array.from(out);
}

/** Just SOI and a frame header claiming w x h: no tables, no scan, no pixel data. */
function jpegSofOnly(w: number, h: number): Uint8Array {
  return Uint8Array.from([0xff, 0xd8, 0xff, 0xc0, 0, 17, 8, h >> 8, h & 255, w >> 8, w & 255, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
}

/** Synthetic grey pattern (HW), distinct per index: a ring whose radius and brightness vary. */
function pattern(i: number, w = 28, h = 28): Uint8Array {
  const px = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const r = Math.hypot(x - w / 2 + 0.5, y - h / 2 + 0.5);
      px[y * w + x] = Math.abs(r - 4 - (i % 7)) < 2 ? 255 - 9 * i : (x * 3 + y * 5 + i * 11) % 64;
    }
  }
  return px;
}

/** `n` 28x28 grey images: real MNIST test digits when ../shared/data has them, else `pattern`. */
async function digits(n: number): Promise<Uint8Array[]> {
  if (!HAS_MNIST) return Array.from({ length: n }, (_, i) => pattern(i));
  const set = await loadMnist(MNIST_DIR, 'test');
  return Array.from({ length: n }, (_, i) => set.pixels.slice(i * 784, (i + 1) * 784));
}

/** An RGB image from a grey one: R = grey, G = inverted, B = a horizontal ramp. */
function colourise(grey: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    out[i * 3] = grey[i]!;
    out[i * 3 + 1] = 255 - grey[i]!;
    out[i * 3 + 2] = ((i % w) * 255) / (w - 1);
  }
  return out;
}

function withAlpha(px: Uint8Array, c: number, alpha: (i: number) => number): Uint8Array {
  const n = px.length / c;
  const out = new Uint8Array(n * (c + 1));
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < c; k++) out[i * (c + 1) + k] = px[i * c + k]!;
    out[i * (c + 1) + c] = alpha(i);
  }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16));

/** Runs `f` expecting an ImageError; returns it. */
function imageErrorOf(f: () => unknown): ImageError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ImageError);
    return e as ImageError;
  }
  throw new Error('expected an ImageError, but nothing was thrown');
}

async function rejectsWith<T>(p: Promise<unknown>, type: new (...a: never[]) => T): Promise<T> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(type);
    return e as T;
  }
  throw new Error(`expected a ${type.name}, but the promise resolved`);
}

// ---------------------------------------------------------------------------------------------
// Fixtures

let tmp: string;
let digitsGrey: Uint8Array[];

/** The fixtures every test can use, by name. */
const fx = {} as Record<
  'grey' | 'greyAlpha' | 'rgb' | 'rgba' | 'grey16' | 'rgb16' | 'wide' | 'palette' | 'paletteTrns' | 'greyTrns' | 'jpegRgb' | 'jpegGrey' | 'jpegWide',
  { bytes: Uint8Array; expected: DecodedImage }
>;

const WIDE_W = 40;
const WIDE_H = 25;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ganomaly-images-'));
  digitsGrey = await digits(12);
  const d0 = digitsGrey[0]!;
  const rgb0 = colourise(digitsGrey[1]!, 28, 28);
  const grey16 = Uint16Array.from(d0, (v, i) => (i === 0 ? 0x7f80 : v * 257)); // pixel 0: 32640 → round(32640·255/65535) = 127
  const rgb16 = Uint16Array.from(rgb0, (v) => v * 257 + (v < 255 ? 100 : 0)); // +100/65535 does not change the 8-bit value
  const wide = colourise(pattern(3, WIDE_W, WIDE_H), WIDE_W, WIDE_H);
  wide.set([255, 0, 0], (0 * WIDE_W + (WIDE_W - 1)) * 3); // top right: red
  wide.set([0, 0, 255], ((WIDE_H - 1) * WIDE_W + 0) * 3); // bottom left: blue
  const palette = [[0, 0, 0], [255, 0, 0], [0, 200, 50], [30, 60, 90]];
  const idx = Uint8Array.from({ length: 12 * 9 }, (_, i) => (i * 7 + (i >> 3)) % 4);
  const palRgb = Uint8Array.from(Array.from(idx).flatMap((p) => palette[p]!));
  const greyKeyed = Uint8Array.from({ length: 10 * 6 }, (_, i) => (i % 5 === 0 ? 40 : 100 + i));
  const blockValue = (bx: number, by: number) => [10, 200, 128, 255, 0, 77][(bx + 2 * by) % 6]!;
  const jpegGreyPx = Uint8Array.from({ length: 24 * 16 }, (_, i) => blockValue(Math.floor((i % 24) / 8), Math.floor(i / 24 / 8)));

  fx.grey = { bytes: pngjsPng(28, 28, 0, d0), expected: { width: 28, height: 28, channels: 1, pixels: d0 } };
  fx.greyAlpha = { bytes: pngjsPng(28, 28, 4, withAlpha(d0, 1, (i) => i % 256)), expected: { width: 28, height: 28, channels: 1, pixels: d0 } };
  fx.rgb = { bytes: pngjsPng(28, 28, 2, rgb0), expected: { width: 28, height: 28, channels: 3, pixels: rgb0 } };
  const rgba0 = withAlpha(rgb0, 3, (i) => (i * 3) % 256);
  fx.rgba = { bytes: pngjsPng(28, 28, 6, rgba0), expected: { width: 28, height: 28, channels: 4, pixels: rgba0 } };
  fx.grey16 = { bytes: pngjsPng(28, 28, 0, grey16, 16), expected: { width: 28, height: 28, channels: 1, pixels: Uint8Array.from(d0, (v, i) => (i === 0 ? 127 : v)) } };
  fx.rgb16 = { bytes: pngjsPng(28, 28, 2, rgb16, 16), expected: { width: 28, height: 28, channels: 3, pixels: rgb0 } };
  fx.wide = { bytes: pngjsPng(WIDE_W, WIDE_H, 2, wide), expected: { width: WIDE_W, height: WIDE_H, channels: 3, pixels: wide } };
  fx.palette = { bytes: handPng(12, 9, 3, idx, [pngChunk('PLTE', palette.flat())]), expected: { width: 12, height: 9, channels: 3, pixels: palRgb } };
  fx.paletteTrns = {
    bytes: handPng(12, 9, 3, idx, [pngChunk('PLTE', palette.flat()), pngChunk('tRNS', [0, 128])]),
    expected: { width: 12, height: 9, channels: 4, pixels: withAlpha(palRgb, 3, (i) => [0, 128, 255, 255][idx[i]!]!) },
  };
  // tRNS on a grey image marks the value 40 transparent; its pixels must keep the value 40.
  fx.greyTrns = { bytes: handPng(10, 6, 0, greyKeyed, [pngChunk('tRNS', [0, 40])]), expected: { width: 10, height: 6, channels: 1, pixels: greyKeyed } };
  fx.jpegRgb = { bytes: jpegJsJpeg(28, 28, rgb0, 100), expected: { width: 28, height: 28, channels: 3, pixels: rgb0 } };
  fx.jpegGrey = { bytes: greyJpeg(24, 16, blockValue), expected: { width: 24, height: 16, channels: 1, pixels: jpegGreyPx } };
  fx.jpegWide = { bytes: jpegJsJpeg(WIDE_W, WIDE_H, wide, 100), expected: { width: WIDE_W, height: WIDE_H, channels: 3, pixels: wide } };
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Writes files under a fresh subfolder of tmp: { 'a/b.png': bytes | string | null (a folder) }. */
async function tree(name: string, files: Record<string, Uint8Array | string | null>): Promise<string> {
  const root = path.join(tmp, name);
  await mkdir(root, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(root, rel);
    if (content === null) {
      await mkdir(p, { recursive: true });
      continue;
    }
    await mkdir(path.dirname(p), { recursive: true });
    await writeFile(p, content);
  }
  return root;
}

// ---------------------------------------------------------------------------------------------

describe('imageHeader', () => {
  it('reads format, size and the channels decodeImage gives, for every kind of fixture', () => {
    const want: Record<keyof typeof fx, [string, number, number, number]> = {
      grey: ['png', 28, 28, 1],
      greyAlpha: ['png', 28, 28, 1],
      rgb: ['png', 28, 28, 3],
      rgba: ['png', 28, 28, 4],
      grey16: ['png', 28, 28, 1],
      rgb16: ['png', 28, 28, 3],
      wide: ['png', WIDE_W, WIDE_H, 3],
      palette: ['png', 12, 9, 3],
      paletteTrns: ['png', 12, 9, 4],
      greyTrns: ['png', 10, 6, 1],
      jpegRgb: ['jpeg', 28, 28, 3],
      jpegGrey: ['jpeg', 24, 16, 1],
      jpegWide: ['jpeg', WIDE_W, WIDE_H, 3],
    };
    for (const [name, [format, width, height, channels]] of Object.entries(want)) {
      const h = imageHeader(fx[name as keyof typeof fx].bytes);
      expect(h, name).toEqual({ format, width, height, channels });
      // The header comes from the first bytes only.
      expect(imageHeader(fx[name as keyof typeof fx].bytes.subarray(0, 700)), name).toEqual(h);
    }
  });

  it('is null for bytes that are not a readable PNG or JPEG header', () => {
    const none = [
      new Uint8Array(0),
      new TextEncoder().encode('hello, I am a text file named .jpg'),
      Uint8Array.from({ length: 256 }, (_, i) => (i * 197 + 13) % 256),
      fx.rgb.bytes.subarray(0, 20), // PNG signature, IHDR cut off
      Uint8Array.from([0xff, 0xd8, 0xff]), // JPEG SOI, nothing else
      Uint8Array.from([...PNG_SIG, ...pngChunk('IHDR', [...be32(4), ...be32(4), 3, 2, 0, 0, 0])]), // RGB with 3-bit depth
    ];
    for (const b of none) expect(imageHeader(b)).toBeNull();
    expect(() => imageHeader('abc' as unknown as Uint8Array)).toThrow(ValueError);
  });
});

describe('decodeImage', () => {
  it('decodes PNGs exactly: grey, grey+alpha (alpha dropped), RGB, RGBA, 16-bit (scaled to 8), non-square, palette, tRNS', () => {
    for (const name of ['grey', 'greyAlpha', 'rgb', 'rgba', 'grey16', 'rgb16', 'wide', 'palette', 'paletteTrns', 'greyTrns'] as const) {
      const d = decodeImage(fx[name].bytes);
      const e = fx[name].expected;
      expect({ width: d.width, height: d.height, channels: d.channels }, name).toEqual({ width: e.width, height: e.height, channels: e.channels });
      expect(d.pixels).toBeInstanceOf(Uint8Array);
      expect(maxAbsDiff(d.pixels, e.pixels), name).toBe(0);
    }
    // Non-square orientation: row-major HWC, width 40, height 25.
    const w = decodeImage(fx.wide.bytes);
    expect(Array.from(w.pixels.subarray((WIDE_W - 1) * 3, WIDE_W * 3))).toEqual([255, 0, 0]);
    expect(Array.from(w.pixels.subarray((WIDE_H - 1) * WIDE_W * 3, (WIDE_H - 1) * WIDE_W * 3 + 3))).toEqual([0, 0, 255]);
  });

  it('ignores bytes after the PNG end chunk, which pngjs alone rejects', () => {
    const junk = Uint8Array.from([...fx.rgb.bytes, ...new TextEncoder().encode('appended data')]);
    expect(() => PNG.sync.read(Buffer.from(junk))).toThrow(/unrecognised content at end of stream/);
    expect(maxAbsDiff(decodeImage(junk).pixels, fx.rgb.expected.pixels)).toBe(0);
  });

  it('keeps the colour of tRNS-keyed pixels, which pngjs alone turns into 0', () => {
    // The quirk the decoder works around: pngjs writes (0,0,0,0) for the transparent colour key.
    const raw = PNG.sync.read(Buffer.from(fx.greyTrns.bytes));
    expect(raw.data[0]).toBe(0);
    expect(decodeImage(fx.greyTrns.bytes).pixels[0]).toBe(40);
  });

  it('decodes JPEGs: RGB from jpeg-js within a few levels, a hand-made grey JPEG exactly and as 1 channel', () => {
    for (const name of ['jpegRgb', 'jpegWide'] as const) {
      const d = decodeImage(fx[name].bytes);
      expect(d.channels).toBe(3);
      expect([d.width, d.height]).toEqual([fx[name].expected.width, fx[name].expected.height]);
      expect(maxAbsDiff(d.pixels, fx[name].expected.pixels), name).toBeLessThanOrEqual(12); // quality 100, lossy colour conversion
    }
    const g = decodeImage(fx.jpegGrey.bytes);
    expect(g.channels).toBe(1);
    expect(maxAbsDiff(g.pixels, fx.jpegGrey.expected.pixels)).toBeLessThanOrEqual(1);
  });

  it('refuses a PNG claiming 100000x100000 from its header, before decoding', () => {
    const bytes = Uint8Array.from([...PNG_SIG, ...ihdr(100_000, 100_000, 8, 2)]); // IHDR only: no pixel data at all
    expect(imageHeader(bytes)).toEqual({ format: 'png', width: 100_000, height: 100_000, channels: 3 });
    // No wall-clock bound (it flaked on a loaded machine): 'before decoding' is shown by the
    // message and by the different error the same bytes give without the limit, below.
    const e = imageErrorOf(() => decodeImage(bytes, { file: 'huge.png' }));
    expect(e.file).toBe('huge.png');
    expect(e.message).toContain('huge.png');
    expect(e.message).toContain('100000x100000');
    expect(e.message).toContain('10,000,000,000');
    expect(e.message).toContain(DEFAULT_MAX_PIXELS.toLocaleString('en-US'));
    expect(e.message).toContain('refused before decoding');
    // Without the limit the same bytes do reach pngjs, which finds no image data: a different error.
    const e2 = imageErrorOf(() => decodeImage(bytes, { maxPixels: 1e11 }));
    expect(e2.message).toMatch(/truncated PNG/);
    expect(e2.message).not.toContain('refused');
  });

  it('refuses a JPEG whose SOF0 claims 60000x60000, before decoding; maxPixels is inclusive', () => {
    const bytes = jpegSofOnly(60_000, 60_000);
    expect(imageHeader(bytes)).toEqual({ format: 'jpeg', width: 60_000, height: 60_000, channels: 3 });
    const e = imageErrorOf(() => decodeImage(bytes));
    expect(e.message).toContain('60000x60000');
    expect(e.message).toContain('3,600,000,000');
    expect(e.message).toContain('40,000,000');
    expect(e.message).toContain('refused before decoding');
    expect(e.file).toBeUndefined();
    // A small limit: 40x25 = 1000 pixels.
    expect(imageErrorOf(() => decodeImage(fx.wide.bytes, { maxPixels: 999 })).message).toContain('refused before decoding');
    expect(decodeImage(fx.wide.bytes, { maxPixels: 1000 }).width).toBe(WIDE_W);
    expect(imageErrorOf(() => decodeImage(fx.jpegWide.bytes, { maxPixels: 999 })).message).toContain('40x25 = 1,000 pixels');
    expect(() => decodeImage(fx.wide.bytes, { maxPixels: 0 })).toThrow(ValueError);
  });

  it('throws ImageError naming the file for truncated, random, text, empty and unsupported data', () => {
    const cases: [string, Uint8Array, RegExp][] = [
      ['cut.png', fx.rgb.bytes.subarray(0, Math.floor(fx.rgb.bytes.length / 2)), /truncated PNG/],
      ['cut-end.png', fx.rgb.bytes.subarray(0, fx.rgb.bytes.length - 12), /truncated PNG/], // IEND missing
      ['crc.png', Uint8Array.from(fx.grey.bytes, (v, i) => (i === 40 ? v ^ 1 : v)), /corrupt or truncated PNG/],
      ['random.png', Uint8Array.from({ length: 512 }, (_, i) => (i * 131 + 7) % 256), /neither PNG nor JPEG/],
      ['text.jpg', new TextEncoder().encode('not an image at all\n'), /neither PNG nor JPEG \(first bytes: 6e 6f 74/],
      ['empty.png', new Uint8Array(0), /empty file \(0 bytes\)/],
      ['cut.jpg', fx.jpegRgb.bytes.subarray(0, Math.floor(fx.jpegRgb.bytes.length * 0.6)), /corrupt or truncated JPEG/],
      ['lossless.jpg', greyJpeg(8, 8, () => 3, 0xc3), /unsupported JPEG: lossless/],
    ];
    for (const [file, bytes, pattern] of cases) {
      const e = imageErrorOf(() => decodeImage(bytes, { file }));
      expect(e.file, file).toBe(file);
      expect(e.message, file).toContain(`'${file}'`);
      expect(e.message, file).toMatch(pattern);
    }
    expect(() => decodeImage([1, 2, 3] as unknown as Uint8Array)).toThrow(ValueError);
  });

  it('refuses a PNG whose compressed image data ends early, though every chunk and CRC is intact (pngjs filled the missing rows from an uninitialised buffer)', () => {
    // A 16x16 grey image, filter 0 rows of value 200, deflated without compression, then the zlib
    // stream cut after 10 complete rows: valid chunks, valid CRCs, IEND present.
    const w = 16;
    const h = 16;
    const raw = new Uint8Array(h * (1 + w)).map((_, i) => (i % (w + 1) === 0 ? 0 : 200));
    const z = deflateSync(raw, { level: 0 });
    const cut = z.subarray(0, 2 + 5 + 10 * (w + 1)); // zlib header, stored-block header, 10 rows
    const whole = Uint8Array.from([...PNG_SIG, ...ihdr(w, h, 8, 0), ...pngChunk('IDAT', z), ...pngChunk('IEND', [])]);
    expect(decodeImage(whole).pixels.every((v) => v === 200)).toBe(true);
    const bytes = Uint8Array.from([...PNG_SIG, ...ihdr(w, h, 8, 0), ...pngChunk('IDAT', cut), ...pngChunk('IEND', [])]);
    for (let i = 0; i < 3; i++) {
      const e = imageErrorOf(() => decodeImage(bytes, { file: 'short.png' }));
      expect(e.message).toMatch(/'short\.png'.*truncated PNG \(its compressed image data ends early\)/);
    }
  });
});

describe('resizeImage', () => {
  const img = (width: number, height: number, channels: 1 | 3 | 4, f: (x: number, y: number, c: number) => number): DecodedImage => {
    const pixels = new Uint8Array(width * height * channels);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) pixels[(y * width + x) * channels + c] = f(x, y, c);
    return { width, height, channels, pixels };
  };

  it('is the identity (a copy) when the size matches', () => {
    for (const d of [decodeImage(fx.grey.bytes), decodeImage(fx.rgb.bytes)]) {
      const out = resizeImage(d, 28, d.channels as 1 | 3);
      expect(out).not.toBe(d.pixels);
      expect(maxAbsDiff(out, d.pixels)).toBe(0);
    }
  });

  it('keeps a constant image constant, down and up, square or not', () => {
    const cases: [DecodedImage, number][] = [
      [img(100, 37, 3, (_x, _y, c) => [17, 130, 250][c]!), 28],
      [img(7, 7, 1, () => 99), 32],
      [img(40, 25, 1, () => 255), 64],
    ];
    for (const [d, size] of cases) {
      const out = resizeImage(d, size, d.channels as 1 | 3);
      expect(out.length).toBe(size * size * d.channels);
      for (let i = 0; i < out.length; i++) if (out[i] !== d.pixels[i % d.channels]) throw new Error(`pixel ${i} is ${out[i]}`);
    }
  });

  it('antialiases: a 1-pixel checkerboard halved is flat grey, and shrunk 3x stays near grey', () => {
    const board = (n: number) => img(n, n, 1, (x, y) => ((x + y) % 2 ? 255 : 0));
    const half = resizeImage(board(64), 32, 1);
    // Interior: weights 1/8, 3/8, 3/8, 1/8 over 4 pixels → 127.5, rounded to 128. Edge pixels
    // see only 3 source pixels (renormalised weights): 109 or 146, as in PIL.
    for (let y = 1; y < 31; y++) for (let x = 1; x < 31; x++) expect(half[y * 32 + x]).toBe(128);
    for (const v of half) expect(Math.abs(v - 127.5)).toBeLessThan(40);
    // At exactly 2x a half-pixel bilinear sample also lands between two pixels; at 3x it lands on
    // one pixel, so sampling without the widened filter would give 0/255 only.
    const third = resizeImage(board(96), 32, 1);
    expect(Math.min(...third)).toBeGreaterThan(95);
    expect(Math.max(...third)).toBeLessThan(160);
  });

  it('matches PIL Image.resize(BILINEAR) exactly on three small cases', () => {
    // Expected values made once with Pillow 9.4.0 (python3-pil), /usr/bin/python3:
    //   import numpy as np; from PIL import Image
    //   rgb = np.array([[[(x*37 + y*91 + c*53 + (x*y % 7)*11) % 256 for c in range(3)] for x in range(11)] for y in range(7)], dtype=np.uint8)
    //   im = Image.fromarray(rgb, 'RGB')
    //   print(np.asarray(im.resize((5, 5), Image.BILINEAR)).tobytes().hex())                 # A
    //   print(np.asarray(im.convert('L').resize((16, 16), Image.BILINEAR)).tobytes().hex())  # B
    //   grey = np.array([[(x*x + 3*y*y + x*y) % 256 for x in range(40)] for y in range(25)], dtype=np.uint8)
    //   print(np.asarray(Image.fromarray(grey, 'L').resize((8, 8), Image.BILINEAR)).tobytes().hex())  # C
    const A = hex('3f74997d8eaa9098835566947a8f9f9e968080798d7483b2a290819483876d8e758796468f4a765f7d7f87b34785ba6b51866e78ad758cc17a619672669b8f94a54fa96a465e938585ba65');
    const B = hex(
      '2b3f58728ba4bec4a055393d5670899d394e677f8b99abb59c62474c667e8c94617992a48c79778c91856d7692a4947c88a0b7c48b5d496887a2929db8c59b67a39a9293847262848c79999f95968a7cbe956d637c887ca19150a0a272687a9195827274898d73897a47818a7576889b5a6c83969d8e60625b46566b82959fa3507399b09d7d52585b58546d98afa5907897b6c1885a49697a7b7b92b6c298639dafc0c476444b7c979b9faec2c68a44b89f8b926e607897aab1b8a88c937959d38e5560677ca6b3bec7d2a15661686e9e89797f8b8f8692958e9c917b818b966285a4a4b2a1606d674e5f80a7a7b2bf4d84b3b1c0a853605737497ab7b5c0ce',
    );
    const C = hex('154795708a8375854d85877e747d858193817e7d7b8a7b8c7a7b81878083797e7a807e8d867c7c7e7a7b7a7a80777a7e897f777e7d848389867a777c87807089');
    const rgb = img(11, 7, 3, (x, y, c) => (x * 37 + y * 91 + c * 53 + ((x * y) % 7) * 11) % 256);
    const grey = img(40, 25, 1, (x, y) => (x * x + 3 * y * y + x * y) % 256);
    // The contract is ±1; the implementation follows Pillow's fixed-point arithmetic and is exact.
    expect(maxAbsDiff(resizeImage(rgb, 5, 3), A)).toBe(0);
    expect(maxAbsDiff(resizeImage(rgb, 16, 1), B)).toBe(0);
    expect(maxAbsDiff(resizeImage(grey, 8, 1), C)).toBe(0);
    // RGBA: alpha dropped before resizing, whatever its values.
    const rgba = img(11, 7, 4, (x, y, c) => (c === 3 ? (x * 50) % 256 : (x * 37 + y * 91 + c * 53 + ((x * y) % 7) * 11) % 256));
    expect(maxAbsDiff(resizeImage(rgba, 5, 3), A)).toBe(0);
  });

  it('converts channels: grey → 3 repeats, RGB → 1 is BT.601 luma, RGBA drops alpha (no compositing)', () => {
    const grey = decodeImage(fx.grey.bytes);
    const g3 = resizeImage(grey, 28, 3);
    for (let i = 0; i < 784; i++) expect([g3[i * 3], g3[i * 3 + 1], g3[i * 3 + 2]]).toEqual([grey.pixels[i], grey.pixels[i], grey.pixels[i]]);
    const g32 = resizeImage(grey, 32, 3);
    const g32grey = resizeImage(grey, 32, 1);
    for (let i = 0; i < 32 * 32; i++) if (g32[i * 3] !== g32grey[i] || g32[i * 3 + 2] !== g32grey[i]) throw new Error(`pixel ${i}`);
    // Pure colours and one mixed one, against 0.299 R + 0.587 G + 0.114 B rounded.
    const colours = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255], [0, 0, 0], [12, 200, 99]];
    const rgb: DecodedImage = { width: colours.length, height: 1, channels: 3, pixels: Uint8Array.from(colours.flat()) };
    expect(resizeImage(rgb, 1, 1)).toHaveLength(1);
    const luma = Array.from({ length: colours.length }, (_, i) => resizeImage({ width: 1, height: 1, channels: 3, pixels: Uint8Array.from(colours[i]!) }, 1, 1)[0]);
    expect(luma).toEqual(colours.map(([r, g, b]) => Math.round(0.299 * r! + 0.587 * g! + 0.114 * b!)));
    expect(luma.slice(0, 3)).toEqual([76, 150, 29]);
    // RGBA with alpha 0 everywhere: the colour stays (not blended with black or white).
    const rgba: DecodedImage = { width: 2, height: 1, channels: 4, pixels: Uint8Array.from([10, 20, 30, 0, 200, 100, 50, 0]) };
    const rgbOnly: DecodedImage = { width: 2, height: 1, channels: 3, pixels: Uint8Array.from([10, 20, 30, 200, 100, 50]) };
    expect(Array.from(resizeImage(rgba, 5, 3))).toEqual(Array.from(resizeImage(rgbOnly, 5, 3)));
    expect(Array.from(resizeImage(rgba, 2, 3))).toEqual([10, 20, 30, 200, 100, 50, 10, 20, 30, 200, 100, 50]); // 2x1 stretched to 2x2
    expect(Array.from(resizeImage({ width: 1, height: 1, channels: 4, pixels: Uint8Array.from([10, 20, 30, 0]) }, 1, 3))).toEqual([10, 20, 30]);
  });

  it('rejects bad arguments with ValueError', () => {
    const d = decodeImage(fx.grey.bytes);
    expect(() => resizeImage(d, 0, 1)).toThrow(ValueError);
    expect(() => resizeImage(d, 2.5, 1)).toThrow(ValueError);
    expect(() => resizeImage(d, 8, 2 as 1)).toThrow(/'channels' passed to 'resizeImage'/);
    expect(() => resizeImage({ ...d, pixels: d.pixels.subarray(1) }, 8, 1)).toThrow(/width\*height\*channels = 784/);
  });
});

describe('listImageFiles', () => {
  it('lists image files in code-point order, any extension case, without text files, hidden files or subfolders', async () => {
    const png = fx.grey.bytes;
    const dir = await tree('list', {
      'b.png': png,
      'a.PNG': png,
      'A.jpg': png,
      'c.jpeg': png,
      'img10.png': png,
      'img2.png': png,
      'z.JPG': png,
      'notes.txt': 'hello',
      'png': png, // no extension
      '.DS_Store': 'x',
      '._b.png': 'AppleDouble', // hidden
      'folder.png': null, // a folder, not a file
      'sub/d.png': png,
      'sub/deeper/e.jpeg': png,
      '.hidden/f.png': png,
    });
    expect(IMAGE_EXTENSIONS).toEqual(['.png', '.jpg', '.jpeg']);
    const flat = await listImageFiles(dir);
    expect(flat.map((f) => path.relative(dir, f))).toEqual(['A.jpg', 'a.PNG', 'b.png', 'c.jpeg', 'img10.png', 'img2.png', 'z.JPG']);
    expect(flat[0]).toBe(path.join(dir, 'A.jpg'));
    const deep = await listImageFiles(dir, { recursive: true });
    expect(deep.map((f) => path.relative(dir, f))).toEqual([
      'A.jpg',
      'a.PNG',
      'b.png',
      'c.jpeg',
      'img10.png',
      'img2.png',
      path.join('sub', 'd.png'),
      path.join('sub', 'deeper', 'e.jpeg'),
      'z.JPG',
    ]);
  });

  it('throws ValueError when the folder is missing or a file', async () => {
    const dir = await tree('list-errors', { 'x.png': fx.grey.bytes });
    const missing = path.join(dir, 'nope');
    const e = await rejectsWith(listImageFiles(missing), ValueError);
    expect(e.message).toContain(`Argument 'dir' passed to 'listImageFiles'`);
    expect(e.message).toContain(`${missing} does not exist`);
    await expect(listImageFiles(path.join(dir, 'x.png'))).rejects.toThrow(/is not a folder/);
  });
});

describe('loadImageFiles and loadImageFolder', () => {
  it('loads every kind of file into one set at the target size, in order, reporting progress', async () => {
    const names = ['grey', 'greyAlpha', 'rgb', 'rgba', 'grey16', 'wide', 'palette', 'jpegRgb', 'jpegGrey', 'jpegWide'] as const;
    const dir = await tree('load-all', Object.fromEntries(names.map((n, i) => [`${String(i).padStart(2, '0')}-${n}.${n.startsWith('jpeg') ? 'jpg' : 'png'}`, fx[n].bytes])));
    const files = await listImageFiles(dir);
    const progress: [number, number][] = [];
    for (const channels of [1, 3] as const) {
      progress.length = 0;
      const r = await loadImageFiles(files, { imageSize: 32, channels, onProgress: (d, t) => progress.push([d, t]) });
      expect(r.skipped).toEqual([]);
      expect(r.files).toEqual(files);
      expect(r.set).toMatchObject({ count: names.length, height: 32, width: 32, channels });
      expect(r.set.labels).toBeUndefined();
      expect(progress).toEqual(names.map((_, i) => [i + 1, names.length]));
      const per = 32 * 32 * channels;
      names.forEach((n, i) => {
        const want = resizeImage(decodeImage(fx[n].bytes), 32, channels);
        expect(maxAbsDiff(r.set.pixels.subarray(i * per, (i + 1) * per), want), n).toBe(0);
      });
    }
    const viaFolder = await loadImageFolder(dir, { imageSize: 28, channels: 1 });
    expect(viaFolder.set.count).toBe(names.length);
    // The 28x28 grey PNG comes back untouched.
    expect(maxAbsDiff(viaFolder.set.pixels.subarray(0, 784), fx.grey.expected.pixels)).toBe(0);
  });

  it('skips corrupt, truncated, empty, too large and unreadable files with one warning each, or throws with strict', async () => {
    const good = fx.rgb.bytes;
    const dir = await tree('load-bad', {
      '1-good.png': good,
      '2-truncated.png': good.subarray(0, 60),
      '3-random.png': Uint8Array.from({ length: 300 }, (_, i) => (i * 89 + 1) % 256),
      '4-text.jpg': 'this is text\n',
      '5-empty.png': '',
      '6-huge.png': Uint8Array.from([...PNG_SIG, ...ihdr(100_000, 100_000, 8, 0)]),
      '7-huge.jpg': jpegSofOnly(60_000, 60_000),
      '8-dir.png': null,
      '9-good.jpg': fx.jpegRgb.bytes,
    });
    const files = await listImageFiles(dir);
    expect(files).toHaveLength(8); // the folder 8-dir.png is not listed ...
    files.push(path.join(dir, '8-dir.png'), path.join(dir, 'missing.png')); // ... but can be passed
    const warnings: string[] = [];
    const t0 = performance.now();
    const r = await loadImageFiles(files, { imageSize: 16, channels: 3, onWarning: (m) => warnings.push(m) });
    expect(performance.now() - t0).toBeLessThan(20_000) // decoding 6-huge.png would take minutes: loose, so that a loaded machine still meets it;
    expect(r.files.map((f) => path.basename(f))).toEqual(['1-good.png', '9-good.jpg']);
    expect(r.set.count).toBe(2);
    expect(r.set.pixels.length).toBe(2 * 16 * 16 * 3);
    expect(r.skipped.map((s) => path.basename(s.file))).toEqual(['2-truncated.png', '3-random.png', '4-text.jpg', '5-empty.png', '6-huge.png', '7-huge.jpg', '8-dir.png', 'missing.png']);
    expect(warnings).toHaveLength(8);
    warnings.forEach((w, i) => expect(w).toContain(r.skipped[i]!.file));
    const reason = Object.fromEntries(r.skipped.map((s) => [path.basename(s.file), s.reason]));
    expect(reason['2-truncated.png']).toMatch(/truncated PNG/);
    expect(reason['3-random.png']).toMatch(/neither PNG nor JPEG/);
    expect(reason['5-empty.png']).toBe('empty file (0 bytes)');
    expect(reason['6-huge.png']).toMatch(/100000x100000 .*refused before decoding/);
    expect(reason['7-huge.jpg']).toMatch(/60000x60000 .*refused before decoding/);
    expect(reason['8-dir.png']).toMatch(/unreadable \(EISDIR/);
    expect(reason['missing.png']).toMatch(/unreadable \(ENOENT/);
    expect(reason['1-good.png']).toBeUndefined();

    const e = await rejectsWith(loadImageFiles(files, { imageSize: 16, channels: 3, strict: true }), ImageError);
    expect(e.file).toBe(files[1]);
    expect(e.message).toContain(files[1]);
    expect(e.message).toMatch(/truncated PNG/);

    const none = await rejectsWith(loadImageFiles(files.slice(1, 5), { imageSize: 16, channels: 3 }), ImageError);
    expect(none.message).toMatch(/^None of the 4 image files could be loaded/);
    expect(none.message).toContain('2-truncated.png');
  });

  it('validates its arguments and names the folder when it is missing or has no images', async () => {
    const dir = await tree('load-args', { 'a.png': fx.grey.bytes, 'empty/readme.txt': 'no images here' });
    const files = [path.join(dir, 'a.png')];
    await expect(loadImageFiles([], { imageSize: 8, channels: 1 })).rejects.toThrow(ValueError);
    await expect(loadImageFiles(files, { imageSize: 0, channels: 1 })).rejects.toThrow(/'options.imageSize' passed to 'loadImageFiles'/);
    await expect(loadImageFiles(files, { imageSize: 8, channels: 4 as 3 })).rejects.toThrow(/'options.channels'/);
    await expect(loadImageFiles(files, { imageSize: 8, channels: 1, strict: 'yes' as unknown as boolean })).rejects.toThrow(ValueError);
    const empty = await rejectsWith(loadImageFolder(path.join(dir, 'empty'), { imageSize: 8, channels: 1 }), ValueError);
    expect(empty.message).toContain(path.join(dir, 'empty'));
    expect(empty.message).toMatch(/holds none/);
    const missing = await rejectsWith(loadImageFolder(path.join(dir, 'nope'), { imageSize: 8, channels: 1 }), ValueError);
    expect(missing.message).toContain(`${path.join(dir, 'nope')} does not exist`);
    expect((await loadImageFolder(dir, { imageSize: 8, channels: 1, recursive: true })).set.count).toBe(1);
  });
});

describe.skipIf(!HAS_MNIST)(HAS_MNIST ? 'real MNIST digits as files' : `real MNIST digits as files (skipped: no MNIST test set in ${MNIST_DIR})`, () => {
  it('round-trips digits through PNG exactly and through JPEG closely; grey files are detected as 1 channel', async () => {
    const files: Record<string, Uint8Array> = {};
    digitsGrey.forEach((d, i) => {
      files[`png/${i}.png`] = pngjsPng(28, 28, 0, d);
      files[`jpg/${i}.jpg`] = greyJpeg(28, 28, (bx, by) => d[Math.min(by * 8 + 4, 27) * 28 + Math.min(bx * 8 + 4, 27)]!); // blocky digit
      files[`rgbjpg/${i}.jpg`] = jpegJsJpeg(28, 28, colourise(d, 28, 28), 90);
    });
    const dir = await tree('mnist', files);
    const png = await loadImageFolder(path.join(dir, 'png'), { imageSize: 28, channels: 1 });
    expect(png.files.map((f) => path.basename(f))).toEqual(['0.png', '1.png', '10.png', '11.png', '2.png', '3.png', '4.png', '5.png', '6.png', '7.png', '8.png', '9.png']);
    png.files.forEach((f, k) => {
      const i = Number(path.basename(f, '.png'));
      expect(maxAbsDiff(png.set.pixels.subarray(k * 784, (k + 1) * 784), digitsGrey[i]!)).toBe(0);
    });
    const rgb = await loadImageFolder(path.join(dir, 'rgbjpg'), { imageSize: 28, channels: 3 });
    let total = 0;
    rgb.files.forEach((f, k) => {
      const i = Number(path.basename(f, '.jpg'));
      const want = colourise(digitsGrey[i]!, 28, 28);
      for (let j = 0; j < want.length; j++) total += Math.abs(rgb.set.pixels[k * want.length + j]! - want[j]!);
    });
    expect(total / rgb.set.pixels.length).toBeLessThan(4); // mean absolute error of JPEG q90
    expect(await detectChannels(await listImageFiles(path.join(dir, 'png')))).toBe(1);
    expect(await detectChannels(await listImageFiles(path.join(dir, 'jpg')))).toBe(1);
    expect(await detectChannels(await listImageFiles(path.join(dir, 'rgbjpg')))).toBe(3);
  });
});

describe('detectChannels', () => {
  it('is 1 when every header is grey, 3 as soon as one is colour; unreadable files are left out', async () => {
    const dir = await tree('detect', {
      'g1.png': fx.grey.bytes,
      'g2.png': fx.greyAlpha.bytes,
      'g3.png': fx.grey16.bytes,
      'g4.jpg': fx.jpegGrey.bytes,
      'g5.png': fx.greyTrns.bytes,
      'bad.png': 'garbage',
      'c1.png': fx.palette.bytes,
      'c2.jpg': fx.jpegRgb.bytes,
      'c3.png': fx.rgba.bytes,
    });
    const p = (n: string) => path.join(dir, n);
    expect(await detectChannels(['g1.png', 'g2.png', 'g3.png', 'g4.jpg', 'g5.png', 'bad.png'].map(p))).toBe(1);
    for (const c of ['c1.png', 'c2.jpg', 'c3.png']) expect(await detectChannels(['g1.png', 'g4.jpg', c].map(p)), c).toBe(3);
    await expect(detectChannels([p('bad.png'), p('missing.png')])).rejects.toThrow(ImageError);
    await expect(detectChannels([])).rejects.toThrow(ValueError);
  });
});

describe('loadFolderDataset and isFolderDataset', () => {
  const opts = { imageSize: 16, channels: 1 as const };

  it('loads train/normal and test/{abnormal,normal,scratch} with labels, classes and ImageFolder order', async () => {
    const g = (i: number) => pngjsPng(28, 28, 0, digitsGrey[i]!);
    const root = await tree('folder-ds', {
      'train/normal/t0.png': g(0),
      'train/normal/t1.jpg': fx.jpegGrey.bytes,
      'train/normal/more/t2.png': g(2),
      'train/normal/.DS_Store': 'x',
      'train/abnormal/x.png': g(3), // not used for training
      'train/readme.txt': 'hello',
      'test/normal/n1.png': g(4),
      'test/normal/n0.png': g(5),
      'test/abnormal/a0.png': g(6),
      'test/abnormal/a1.png': fx.rgb.bytes,
      'test/scratch/s0.jpg': fx.jpegRgb.bytes,
      'test/empty': null,
      'test/.cache/c.png': g(7),
    });
    const warnings: string[] = [];
    const progress: [number, number][] = [];
    const ds = await loadFolderDataset(root, { ...opts, onWarning: (m) => warnings.push(m), onProgress: (d, t) => progress.push([d, t]) });
    expect(ds.train.files.map((f) => path.relative(root, f))).toEqual([
      path.join('train', 'normal', 'more', 't2.png'),
      path.join('train', 'normal', 't0.png'),
      path.join('train', 'normal', 't1.jpg'),
    ]);
    expect(ds.train.set).toMatchObject({ count: 3, height: 16, width: 16, channels: 1 });
    expect(ds.train.set.labels).toBeUndefined();
    const test = ds.test!;
    expect(test.files.map((f) => path.relative(path.join(root, 'test'), f))).toEqual([
      path.join('abnormal', 'a0.png'),
      path.join('abnormal', 'a1.png'),
      path.join('normal', 'n0.png'),
      path.join('normal', 'n1.png'),
      path.join('scratch', 's0.jpg'),
    ]);
    expect(test.classes).toEqual(['abnormal', 'abnormal', 'normal', 'normal', 'scratch']);
    expect(Array.from(test.labels)).toEqual([1, 1, 0, 0, 1]);
    expect(test.set.labels).toBe(test.labels);
    expect(test.set).toMatchObject({ count: 5, height: 16, width: 16, channels: 1 });
    expect(test.skipped).toEqual([]);
    // Pixels: n0.png (digit 5) is the third test image.
    const want = resizeImage({ width: 28, height: 28, channels: 1, pixels: digitsGrey[5]! }, 16, 1);
    expect(maxAbsDiff(test.set.pixels.subarray(2 * 256, 3 * 256), want)).toBe(0);
    expect(progress).toHaveLength(8);
    expect(progress.at(-1)).toEqual([8, 8]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain(path.join(root, 'train', 'abnormal'));
    expect(warnings[0]).toMatch(/Ignored .*only train\/normal/);
    expect(warnings[1]).toContain(path.join(root, 'test', 'empty'));

    const trainOnly = await loadFolderDataset(root, { ...opts, split: 'train' });
    expect(trainOnly.test).toBeUndefined();
    expect(trainOnly.train.set.count).toBe(3);
    const testOnly = await loadFolderDataset(root, { ...opts, split: 'test' });
    expect(testOnly.train.set.count).toBe(0);
    expect(testOnly.test!.classes).toEqual(test.classes);
    expect(await isFolderDataset(root)).toBe(true);
  });

  it('works without test/, skips unusable files per split, and counts them', async () => {
    const root = await tree('folder-ds-notest', {
      'train/normal/a.png': fx.grey.bytes,
      'train/normal/b.png': 'broken',
    });
    const warnings: string[] = [];
    const ds = await loadFolderDataset(root, { ...opts, onWarning: (m) => warnings.push(m) });
    expect(ds.test).toBeUndefined();
    expect(ds.train.set.count).toBe(1);
    expect(ds.train.skipped).toHaveLength(1);
    expect(warnings).toEqual([expect.stringMatching(/^Skipped .*b\.png: neither PNG nor JPEG/)]);
    await expect(loadFolderDataset(root, { ...opts, strict: true })).rejects.toThrow(ImageError);
    await expect(loadFolderDataset(root, { ...opts, split: 'test' })).rejects.toThrow(/has no test\/ folder/);
  });

  it('explains a wrong layout in one ValueError naming the path and the expected layout', async () => {
    const png = fx.grey.bytes;
    const cases: [string, Record<string, Uint8Array | string | null>, RegExp][] = [
      ['no-train', { 'images/a.png': png }, /has no train\/ folder \(it holds: images\/\)/],
      ['no-normal', { 'train/good/a.png': png, 'test/normal/b.png': png, 'test/bad/c.png': png }, /train has no normal\/ folder \(it holds: good\/\)/],
      ['empty-normal', { 'train/normal/readme.txt': 'x' }, /train\/normal holds no image files/],
      ['test-no-normal', { 'train/normal/a.png': png, 'test/good/b.png': png, 'test/bad/c.png': png }, /test has no normal\/ folder \(it holds: bad\/, good\/\)/],
      ['test-no-anomaly', { 'train/normal/a.png': png, 'test/normal/b.png': png }, /test has no anomaly folder/],
      ['test-empty-anomaly', { 'train/normal/a.png': png, 'test/normal/b.png': png, 'test/abnormal': null }, /anomaly folders of .*test \(abnormal\/\) hold no image files/],
      ['test-empty-normal', { 'train/normal/a.png': png, 'test/normal': null, 'test/abnormal/b.png': png }, /test\/normal holds no image files/],
    ];
    for (const [name, files, pattern] of cases) {
      const root = await tree(`layout-${name}`, files);
      const e = await rejectsWith(loadFolderDataset(root, opts), ValueError);
      expect(e.message, name).toMatch(pattern);
      expect(e.message, name).toContain(root);
      expect(e.message, name).toContain("Argument 'root' passed to 'loadFolderDataset' must be a data set folder laid out as root/train/normal/");
    }
    const missing = path.join(tmp, 'does-not-exist');
    await expect(loadFolderDataset(missing, opts)).rejects.toThrow(`${missing} does not exist`);
    await expect(loadFolderDataset(path.join(tmp, 'layout-no-train', 'images', 'a.png'), opts)).rejects.toThrow(/is not a folder/);
    await expect(loadFolderDataset(tmp, { ...opts, split: 'all' as 'both' })).rejects.toThrow(/'options.split'/);
    expect(await isFolderDataset(path.join(tmp, 'layout-no-train'))).toBe(false);
    expect(await isFolderDataset(path.join(tmp, 'layout-test-no-anomaly'))).toBe(true);
    expect(await isFolderDataset(missing)).toBe(false);
  });
});
