// Synthetic anomalies made from normal images: what model selection without test data scores
// (fit's select: 'validation'). Pure TypeScript on the pixel arrays, so it runs in browsers too.
import { checkOneOf, fail, failWith } from '@ganomaly/common';
import { checkImageSet, imageSet, type ImageSet } from './imageset.js';
import { mulberry32 } from './random.js';

/**
 * The kinds of synthetic anomaly, cycled over the images (image i gets `kinds[i % kinds.length]`):
 * - `'patch'`: a rectangle (each side 1/4..1/2 of the image's by default) cut from ANOTHER image of
 *   the set, at another position, pasted over the image (CutPaste-like: local structure that does
 *   not belong there). Of a few drawn source positions the one that changes the image most is
 *   taken, so that a patch of background is not pasted over background;
 * - `'noise'`: strong gaussian noise (std `noiseStd` pixel values, default 64) added inside a
 *   random rectangle, clipped to 0..255;
 * - `'flip'`: the whole image flipped vertically (upside down);
 * - `'blur'`: a box blur of radius `blurRadius` inside a random rectangle (the pixels outside are
 *   read but not changed).
 */
export const SYNTHETIC_KINDS = ['patch', 'noise', 'flip', 'blur'] as const;
export type SyntheticKind = (typeof SYNTHETIC_KINDS)[number];

export interface SyntheticAnomalyOptions {
  /** Seed of every random choice: the same images and options give the same anomalies. Default 0. */
  seed?: number;
  /** The kinds to make, cycled per image. Default all four, in the order of SYNTHETIC_KINDS. */
  kinds?: readonly SyntheticKind[];
  /** Smallest and largest side of a rectangle, as a fraction of the image's side. Default 0.25 and 0.5. */
  minFraction?: number;
  maxFraction?: number;
  /** Standard deviation of 'noise', in pixel values 0..255. Default 64. */
  noiseStd?: number;
  /** Radius of 'blur' (a (2r+1)x(2r+1) box). Default max(1, round(min(height, width) / 16)): 2 at 32x32. */
  blurRadius?: number;
}

/** Where image `index`'s anomaly is: the rectangle changed (the whole image for 'flip'), and for 'patch' where it was cut from. */
export interface SyntheticRegion {
  index: number;
  kind: SyntheticKind;
  x: number;
  y: number;
  width: number;
  height: number;
  /** 'patch': the image and the position the rectangle was cut from. */
  source?: { index: number; x: number; y: number };
}

/**
 * One synthetic anomaly per image of `images` (normal images, e.g. held out of training), in the
 * same order and of the same size; labels are all 1 (anomaly). Deterministic given the images and
 * the options. See SYNTHETIC_KINDS for what each kind does.
 */
export function syntheticAnomalies(images: ImageSet, options: SyntheticAnomalyOptions = {}): ImageSet {
  return makeSyntheticAnomalies(images, options, 'syntheticAnomalies').images;
}

/** The rectangles `syntheticAnomalies(images, options)` changes, one per image (for inspection and tests). */
export function syntheticAnomalyRegions(images: ImageSet, options: SyntheticAnomalyOptions = {}): SyntheticRegion[] {
  return makeSyntheticAnomalies(images, options, 'syntheticAnomalyRegions').regions;
}

function checkFraction(v: unknown, arg: string, fn: string): number {
  if (typeof v !== 'number' || !(v > 0 && v <= 1)) fail(arg, fn, 'a number in (0, 1]', v);
  return v;
}

function makeSyntheticAnomalies(set: ImageSet, options: SyntheticAnomalyOptions, fn: string): { images: ImageSet; regions: SyntheticRegion[] } {
  checkImageSet(set, 'images', fn);
  if (set.count === 0) failWith('images', fn, 'at least one image', 'an empty ImageSet');
  if (options === null || typeof options !== 'object') fail('options', fn, 'an object {seed?, kinds?, minFraction?, maxFraction?, noiseStd?, blurRadius?}', options);
  const seed = options.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isInteger(seed)) fail('options.seed', fn, 'an integer', seed);
  const kinds = options.kinds ?? SYNTHETIC_KINDS;
  if (!Array.isArray(kinds) || kinds.length === 0) fail('options.kinds', fn, `a non-empty array of ${SYNTHETIC_KINDS.map((k) => `'${k}'`).join(', ')}`, kinds);
  kinds.forEach((k, i) => checkOneOf(k, SYNTHETIC_KINDS, `options.kinds[${i}]`, fn));
  const minF = checkFraction(options.minFraction ?? 0.25, 'options.minFraction', fn);
  const maxF = checkFraction(options.maxFraction ?? 0.5, 'options.maxFraction', fn);
  if (minF > maxF) failWith('options.minFraction', fn, `at most options.maxFraction (${maxF})`, `${minF}`);
  const noiseStd = options.noiseStd ?? 64;
  if (typeof noiseStd !== 'number' || !(Number.isFinite(noiseStd) && noiseStd > 0)) fail('options.noiseStd', fn, 'a finite number > 0', noiseStd);
  const { count, height: H, width: W, channels: C } = set;
  const radius = options.blurRadius ?? Math.max(1, Math.round(Math.min(H, W) / 16));
  if (typeof radius !== 'number' || !Number.isInteger(radius) || radius < 1) fail('options.blurRadius', fn, 'a positive integer', radius);

  const rand = mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1)); // in [lo, hi]
  const side = (n: number) => Math.max(1, Math.min(n, Math.round(n * (minF + rand() * (maxF - minF)))));
  const size = H * W * C;
  const out = new Uint8Array(set.pixels); // a copy; every image is then changed in place
  const regions: SyntheticRegion[] = [];

  for (let i = 0; i < count; i++) {
    const kind = kinds[i % kinds.length]!;
    const img = out.subarray(i * size, (i + 1) * size);
    const orig = set.pixels.subarray(i * size, (i + 1) * size);
    if (kind === 'flip') {
      for (let y = 0; y < H; y++) img.set(orig.subarray((H - 1 - y) * W * C, (H - y) * W * C), y * W * C);
      regions.push({ index: i, kind, x: 0, y: 0, width: W, height: H });
      continue;
    }
    const w = side(W);
    const h = side(H);
    const x = int(0, W - w);
    const y = int(0, H - h);
    if (kind === 'patch') {
      const j = count > 1 ? (i + 1 + int(0, count - 2)) % count : i; // another image when there is one
      const src = set.pixels.subarray(j * size, (j + 1) * size);
      let best: { x: number; y: number; d: number } | null = null;
      for (let t = 0; t < 4; t++) {
        let sx = int(0, W - w);
        let sy = int(0, H - h);
        // "At another position": on the image itself (a set of one) a different one is a must.
        if (sx === x && sy === y && (W > w || H > h)) {
          if (W > w) sx = (sx + 1 + int(0, W - w - 1)) % (W - w + 1);
          else sy = (sy + 1 + int(0, H - h - 1)) % (H - h + 1);
        }
        let d = 0;
        for (let yy = 0; yy < h; yy++) {
          for (let k = 0; k < w * C; k++) d += Math.abs(src[((sy + yy) * W + sx) * C + k]! - orig[((y + yy) * W + x) * C + k]!);
        }
        if (!best || d > best.d) best = { x: sx, y: sy, d };
      }
      for (let yy = 0; yy < h; yy++) {
        const from = ((best!.y + yy) * W + best!.x) * C;
        img.set(src.subarray(from, from + w * C), ((y + yy) * W + x) * C);
      }
      regions.push({ index: i, kind, x, y, width: w, height: h, source: { index: j, x: best!.x, y: best!.y } });
    } else if (kind === 'noise') {
      for (let yy = y; yy < y + h; yy++) {
        for (let k = (yy * W + x) * C; k < (yy * W + x + w) * C; k++) {
          // Box–Muller; 1 - rand() is in (0, 1], so the log is finite.
          const g = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
          img[k] = Math.min(255, Math.max(0, Math.round(orig[k]! + noiseStd * g)));
        }
      }
      regions.push({ index: i, kind, x, y, width: w, height: h });
    } else {
      for (let yy = y; yy < y + h; yy++) {
        for (let xx = x; xx < x + w; xx++) {
          const y0 = Math.max(0, yy - radius);
          const y1 = Math.min(H - 1, yy + radius);
          const x0 = Math.max(0, xx - radius);
          const x1 = Math.min(W - 1, xx + radius);
          const n = (y1 - y0 + 1) * (x1 - x0 + 1);
          for (let c = 0; c < C; c++) {
            let s = 0;
            for (let v = y0; v <= y1; v++) for (let u = x0; u <= x1; u++) s += orig[(v * W + u) * C + c]!;
            img[(yy * W + xx) * C + c] = Math.round(s / n);
          }
        }
      }
      regions.push({ index: i, kind, x, y, width: w, height: h });
    }
  }
  return { images: imageSet(out, { count, height: H, width: W, channels: C, labels: new Uint8Array(count).fill(1) }), regions };
}
