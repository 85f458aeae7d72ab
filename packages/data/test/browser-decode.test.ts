// Image decoding in a browser (item 1 of issue 12): the browser build of @ganomaly/data decodes
// with createImageBitmap and an OffscreenCanvas, in headless Chromium (Debian's
// /usr/bin/chromium through playwright-core), in the page and in a Web Worker. Real files written
// by pngjs and jpeg-js (and a palette PNG put together chunk by chunk) are compared with what
// Node's decodeImage (pngjs, jpeg-js) gives for the same bytes. Skipped when Chromium is missing.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, decodeImageAsync } from '../src/index.ts';
import { serveStatic } from '../../../tools/static-server.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const here = path.dirname(fileURLToPath(import.meta.url));

type Result = { width: number; height: number; channels: number; pixels: number[]; error?: undefined; name?: undefined } | { error: string; name: string };

/** A w x h test picture with gradients, edges and noise in every channel. */
function picture(w: number, h: number, c: number, seed = 1): Uint8Array {
  const px = new Uint8Array(w * h * c);
  let s = seed;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < c; k++) {
        s = (s * 1103515245 + 12345) >>> 0;
        const edge = (x > w / 3 && x < (2 * w) / 3) !== (y > h / 2) ? 90 : 0;
        px[(y * w + x) * c + k] = Math.min(255, ((x * 255) / w) * (k === 0 ? 1 : 0.5) + ((y * 255) / h) * (k === 1 ? 0.8 : 0.2) * 0.5 + edge + ((s >>> 24) % 24));
      }
    }
  }
  return px;
}

function pngjs(w: number, h: number, colorType: 0 | 2 | 6, samples: Uint8Array | Uint16Array, bitDepth: 8 | 16 = 8): Uint8Array {
  const png = new PNG({ width: w, height: h, colorType, inputColorType: colorType, bitDepth, inputHasAlpha: colorType === 6 } as never);
  (png as unknown as { data: unknown }).data = bitDepth === 16 ? Buffer.from(samples.buffer) : Buffer.from(samples);
  return new Uint8Array(PNG.sync.write(png, { colorType, inputColorType: colorType, bitDepth, inputHasAlpha: colorType === 6 } as never));
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function chunk(type: string, data: Uint8Array): number[] {
  const body = [...Buffer.from(type, 'latin1'), ...data];
  let c = 0xffffffff;
  for (const b of body) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
  const be = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
  return [...be(data.length), ...body, ...be((c ^ 0xffffffff) >>> 0)];
}
/** An 8-bit palette PNG (colour type 3), without a tRNS chunk: decodes to RGB. */
function palettePng(w: number, h: number): Uint8Array {
  const palette = Uint8Array.from({ length: 16 * 3 }, (_, i) => (i * 53 + 17) % 256);
  const raw = new Uint8Array(h * (w + 1));
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw[y * (w + 1) + 1 + x] = (x * 3 + y * 5) % 16;
  const ihdr = Uint8Array.from([0, 0, 0, w, 0, 0, 0, h, 8, 3, 0, 0, 0]);
  return Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...chunk('IHDR', ihdr), ...chunk('PLTE', palette), ...chunk('IDAT', deflateSync(raw)), ...chunk('IEND', new Uint8Array())]);
}
function jpegJs(w: number, h: number, quality: number): Uint8Array {
  const rgb = picture(w, h, 3, 7);
  const rgba = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) rgba.set([rgb[i * 3]!, rgb[i * 3 + 1]!, rgb[i * 3 + 2]!, 255], i * 4);
  return new Uint8Array(jpeg.encode({ data: rgba, width: w, height: h }, quality).data);
}

const opaqueRgba = (() => {
  const p = picture(20, 12, 4, 3);
  for (let i = 3; i < p.length; i += 4) p[i] = 255;
  return p;
})();
const grey16 = Uint16Array.from(picture(17, 9, 1, 5), (v, i) => v * 257 + (i % 200));
const FILES: Record<string, Uint8Array> = {
  'grey.png': pngjs(23, 15, 0, picture(23, 15, 1)),
  'rgb.png': pngjs(24, 20, 2, picture(24, 20, 3)),
  'rgba-opaque.png': pngjs(20, 12, 6, opaqueRgba),
  'palette.png': palettePng(19, 11),
  'grey16.png': pngjs(17, 9, 0, grey16, 16),
  'q95.jpg': jpegJs(24, 16, 95),
  'q75.jpg': jpegJs(33, 21, 75),
};
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

let results: Record<string, Result> = {};
let inWorker: Result | undefined;
let errors: Record<string, Result> = {};
let out = '';
let pageErrors: string[] = [];

beforeAll(async () => {
  if (!haveChromium) return;
  const { build } = await import('vite');
  const { browserAlias: alias } = await import('../../../vitest.workspace.ts');
  out = await mkdtemp(path.join(tmpdir(), 'ganomaly-decode-'));
  await build({ root: path.join(here, 'browser'), logLevel: 'error', configFile: false, resolve: { alias }, build: { outDir: out, emptyOutDir: true, target: 'es2022', minify: false } });
  const served = await serveStatic(out);
  const { chromium } = await import('playwright-core');
  const userDataDir = await mkdtemp(path.join(out, 'profile-'));
  const browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(served.url);
    await page.waitForFunction(() => (window as unknown as { __ready?: boolean }).__ready === true, null, { timeout: 30_000 });
    const decode = (bytes: Uint8Array, options: Record<string, unknown> = {}) =>
      page.evaluate(([s, o]) => (window as unknown as { __decode: (s: string, o: unknown) => Promise<Result> }).__decode(s, o), [b64(bytes), options] as const);
    for (const [name, bytes] of Object.entries(FILES)) results[name] = await decode(bytes, { file: name });
    inWorker = await page.evaluate((s) => (window as unknown as { __decodeInWorker: (s: string) => Promise<Result> }).__decodeInWorker(s), b64(FILES['rgb.png']!));
    const png = FILES['rgb.png']!;
    errors = {
      truncated: await decode(png.subarray(0, png.length - 40), { file: 'cut.png' }),
      notAnImage: await decode(new TextEncoder().encode('GIF89a, not a PNG or JPEG')),
      tooLarge: await decode(png, { maxPixels: 100 }),
      empty: await decode(new Uint8Array()),
    };
  } finally {
    await browser.close();
    served.close();
  }
}, 120_000);

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

describe.skipIf(!haveChromium)(`decodeImageAsync in headless Chromium${haveChromium ? '' : ` (skipped: no Chromium at ${CHROMIUM})`}`, () => {
  for (const name of Object.keys(FILES)) {
    const exact = name.endsWith('.png') && !name.includes('16');
    it(`${name}: the size and channels of Node's decodeImage, and ${exact ? 'exactly its pixels' : name.endsWith('.png') ? 'its pixels within one level (16 to 8 bits: the browser truncates, Node rounds)' : 'its pixels within a few levels'}`, () => {
      const node = decodeImage(FILES[name]!);
      const r = results[name]!;
      expect(r.error, pageErrors.join(' | ')).toBeUndefined();
      if (r.error !== undefined) return;
      expect([r.width, r.height, r.channels]).toEqual([node.width, node.height, node.channels]);
      const diff = r.pixels.map((v, i) => Math.abs(v - node.pixels[i]!));
      const mean = diff.reduce((a, b) => a + b, 0) / diff.length;
      if (!exact) console.log(`${name}: largest difference ${Math.max(...diff)} levels, mean ${mean.toFixed(3)}`);
      if (exact) {
        expect(r.pixels).toEqual(Array.from(node.pixels));
      } else if (name.endsWith('.png')) {
        expect(Math.max(...diff)).toBeLessThanOrEqual(1);
      } else {
        // libjpeg-turbo's and jpeg-js's inverse DCTs round differently.
        expect(Math.max(...diff)).toBeLessThanOrEqual(6);
        expect(mean).toBeLessThan(1);
      }
    });
  }

  it('decodes in a Web Worker too', () => {
    const node = decodeImage(FILES['rgb.png']!);
    expect(inWorker && 'pixels' in inWorker ? inWorker.pixels : inWorker).toEqual(Array.from(node.pixels));
  });

  it('refuses truncated, unknown, empty and too large data with an ImageError, as Node does', () => {
    expect(errors.truncated).toMatchObject({ name: 'ImageError' });
    expect(errors.truncated!.error).toMatch(/^Cannot use image file 'cut\.png': corrupt or truncated PNG/);
    expect(errors.notAnImage).toMatchObject({ name: 'ImageError' });
    expect(errors.notAnImage!.error).toMatch(/neither PNG nor JPEG/);
    expect(errors.empty!.error).toMatch(/empty file \(0 bytes\)/);
    expect(errors.tooLarge!.error).toMatch(/PNG of 24x20 = 480 pixels, more than the limit of 100 pixels \(maxPixels\); refused before decoding/);
  });
});

describe('decodeImageAsync in Node', () => {
  it('is decodeImage (pngjs, jpeg-js)', async () => {
    for (const bytes of Object.values(FILES)) expect(await decodeImageAsync(bytes)).toEqual(decodeImage(bytes));
    await expect(decodeImageAsync('x' as never)).rejects.toThrow(/Argument 'bytes' passed to 'decodeImageAsync' must be a Uint8Array/);
  });
});
