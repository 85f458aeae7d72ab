// Reconstruction grids: one row per image, [input | reconstruction G(x) | error heat map |x − G(x)|]
// and a caption, cells upscaled with nearest neighbour, and a colour bar for the heat map's scale.
import { ValueError } from '@ganomaly/common';
import { Canvas, ellipsizeMiddle, fitText, textWidth, type Color } from './canvas.js';
import type { RgbaImage } from './rgba.js';
import { COLORS } from './charts.js';

/** Key colours of matplotlib's "inferno" colour map at 0, 0.1, ..., 1 (perceptually uniform, dark at 0). */
const INFERNO: readonly (readonly [number, number, number])[] = [
  [0, 0, 4],
  [22, 11, 57],
  [66, 10, 104],
  [106, 23, 110],
  [147, 38, 103],
  [188, 55, 84],
  [221, 81, 58],
  [243, 120, 25],
  [252, 165, 10],
  [246, 215, 70],
  [252, 255, 164],
];

/** The colour of t in [0, 1] (clamped) in an approximation of the "inferno" colour map: black-purple at 0, red-orange midway, pale yellow at 1. */
export function inferno(t: number): [number, number, number] {
  const v = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const x = v * (INFERNO.length - 1);
  const k = Math.min(INFERNO.length - 2, Math.floor(x));
  const f = x - k;
  const a = INFERNO[k]!;
  const b = INFERNO[k + 1]!;
  return [Math.round(a[0] + f * (b[0] - a[0])), Math.round(a[1] + f * (b[1] - a[1])), Math.round(a[2] + f * (b[2] - a[2]))];
}

/** The colour of a zero error in the heat maps. */
export const COLORMAP_ZERO: readonly [number, number, number] = Object.freeze(inferno(0));

/** One row of a reconstruction grid. */
export interface GridItem {
  /** The network's input, HWC, size x size x channels, values 0..255. */
  input: Uint8Array;
  /** Its reconstruction G(x), same layout. */
  reconstruction: Uint8Array;
  size: number;
  channels: 1 | 3;
  /** Lines separated by "\n": the first (e.g. the file name, shortened in the middle to fit) is drawn dark, the others grey. */
  caption: string;
  /** An extra caption line drawn in red, e.g. "false positive". */
  flag?: string;
}

export interface GridOptions {
  /** Title above the grid. */
  title?: string;
  /** A line under the title, in grey. */
  subtitle?: string;
  /** Target cell size in pixels; images are upscaled by the integer factor round(cellSize / size) (at least 1). Default 96. */
  cellSize?: number;
  /** The error mapped to the top of the colour map, in pixel units 0..255. Default: the largest error in this grid. */
  errorScale?: number;
  /** Width in pixels of the caption column. Default 300. */
  captionWidth?: number;
}

/** Where a grid's cells lie, for callers that point at them. */
export interface GridLayout {
  /** Upscaling factor of the images. */
  scale: number;
  /** Cell side in pixels (size · scale). */
  cell: number;
  /** Pixel columns of the three image columns' left edges: input, reconstruction, error. */
  columns: [number, number, number];
  /** Pixel rows of each item's cells' top edges. */
  rows: number[];
  /** The error (0..255) that maps to the top of the colour map. */
  errorScale: number;
  /** The colour bar. */
  colorBar: { x: number; y: number; width: number; height: number };
}

export interface GridImage extends RgbaImage {
  layout: GridLayout;
}

const F = 2;
const LINE = 7 * F;
const PAD = 16;
const GAP = 12;
const ROW_GAP = 12;
const CAPTION_LINE = LINE + 7;

function checkItem(item: GridItem, i: number, fn: string): void {
  const where = `items[${i}]`;
  if (item === null || typeof item !== 'object') throw new ValueError(`Argument '${where}' passed to '${fn}' must be an object {input, reconstruction, size, channels, caption}.`);
  if (!Number.isInteger(item.size) || item.size < 1 || item.size > 1024) throw new ValueError(`Argument '${where}.size' passed to '${fn}' must be an integer from 1 to 1024, but got ${item.size}.`);
  if (item.channels !== 1 && item.channels !== 3) throw new ValueError(`Argument '${where}.channels' passed to '${fn}' must be 1 or 3, but got ${item.channels}.`);
  const n = item.size * item.size * item.channels;
  for (const k of ['input', 'reconstruction'] as const) {
    const a = item[k];
    if (!(a instanceof Uint8Array) || a.length !== n) {
      throw new ValueError(`Argument '${where}.${k}' passed to '${fn}' must be a Uint8Array of size*size*channels = ${n} pixel values (HWC, 0..255), but got ${a instanceof Uint8Array ? `length ${a.length}` : typeof a}.`);
    }
  }
}

/** Mean absolute difference over the channels, per pixel (size*size values, 0..255). */
function errorMap(item: GridItem): Float32Array {
  const px = item.size * item.size;
  const out = new Float32Array(px);
  for (let p = 0; p < px; p++) {
    let s = 0;
    for (let ch = 0; ch < item.channels; ch++) s += Math.abs(item.input[p * item.channels + ch]! - item.reconstruction[p * item.channels + ch]!);
    out[p] = s / item.channels;
  }
  return out;
}

function toRgba(pixels: Uint8Array, size: number, channels: 1 | 3): RgbaImage {
  const data = new Uint8Array(size * size * 4);
  for (let p = 0; p < size * size; p++) {
    for (let k = 0; k < 3; k++) data[p * 4 + k] = pixels[p * channels + (channels === 3 ? k : 0)]!;
    data[p * 4 + 3] = 255;
  }
  return { width: size, height: size, data };
}

function heatRgba(err: Float32Array, size: number, scale: number): RgbaImage {
  const data = new Uint8Array(size * size * 4);
  for (let p = 0; p < size * size; p++) {
    const [r, g, b] = scale > 0 ? inferno(err[p]! / scale) : COLORMAP_ZERO;
    data[p * 4] = r;
    data[p * 4 + 1] = g;
    data[p * 4 + 2] = b;
    data[p * 4 + 3] = 255;
  }
  return { width: size, height: size, data };
}

/** Column headings: the longest variant that fits the cell. */
function heading(variants: string[], width: number): string {
  return variants.find((v) => textWidth(v, F) <= width) ?? fitText(variants[variants.length - 1]!, width, F);
}

/**
 * A grid with one row per item: the input, its reconstruction, and a heat map of the per-pixel
 * error |x − G(x)| (mean over channels) in the "inferno" colour map, scaled to the grid's largest
 * error (or `options.errorScale`), with a caption per row, a header row naming the columns, and a
 * colour bar stating the scale. Images are upscaled by an integer factor (nearest neighbour) to
 * about `cellSize` pixels. All items need the same size.
 */
export function reconstructionGrid(items: readonly GridItem[], options: GridOptions = {}): GridImage {
  const fn = 'reconstructionGrid';
  if (!Array.isArray(items as unknown)) throw new ValueError(`Argument 'items' passed to '${fn}' must be an array of {input, reconstruction, size, channels, caption}.`);
  items.forEach((it, i) => checkItem(it, i, fn));
  const size = items[0]?.size ?? 32;
  if (items.some((it) => it.size !== size)) throw new ValueError(`Argument 'items' passed to '${fn}' must hold images of one size, but got sizes ${[...new Set(items.map((it) => it.size))].join(', ')}.`);
  const target = options.cellSize ?? 96;
  if (!Number.isFinite(target) || target < 1 || target > 1024) throw new ValueError(`Argument 'options.cellSize' passed to '${fn}' must be a number from 1 to 1024, but got ${target}.`);
  const captionWidth = options.captionWidth ?? 300;
  if (!Number.isInteger(captionWidth) || captionWidth < 60) throw new ValueError(`Argument 'options.captionWidth' passed to '${fn}' must be an integer >= 60, but got ${captionWidth}.`);
  const scale = Math.max(1, Math.round(target / size));
  const cell = size * scale;

  const errors = items.map(errorMap);
  let errorScale = options.errorScale ?? 0;
  if (options.errorScale === undefined) for (const e of errors) for (const v of e) errorScale = Math.max(errorScale, v);
  else if (!(Number.isFinite(errorScale) && errorScale > 0)) throw new ValueError(`Argument 'options.errorScale' passed to '${fn}' must be a positive number, but got ${errorScale}.`);

  const imagesWidth = 3 * cell + 2 * GAP;
  const title = options.title ?? 'Reconstructions';
  const subtitle = options.subtitle ?? '';
  const titleScale = textWidth(title, 3) <= imagesWidth + 16 + captionWidth ? 3 : 2;
  const barNote = 'error |x - G(x)| per pixel, 0..255';
  const scaleNote = options.errorScale === undefined ? "colours scaled to this grid's largest error" : 'colours on a fixed scale';
  const width = Math.max(
    PAD + imagesWidth + 16 + captionWidth + PAD,
    textWidth(title, titleScale) + 2 * PAD,
    textWidth(subtitle, F) + 2 * PAD,
    PAD + textWidth(scaleNote, F) + PAD,
  );
  const titleH = 14 + 7 * titleScale + 14 + (subtitle ? LINE + 10 : 0);
  const headerH = 2 * LINE + 8 + 8;
  const rowPitch = Math.max(cell, 4 * CAPTION_LINE) + ROW_GAP;
  const gridTop = titleH + headerH;
  const bodyH = items.length === 0 ? LINE + 2 * ROW_GAP : items.length * rowPitch;
  const barTop = gridTop + bodyH + 8;
  const barH = 14;
  const height = barTop + barH + 8 + 3 * (LINE + 8) + PAD - 8;
  const c = new Canvas(width, height);

  c.text(title, PAD, 14, COLORS.text, { scale: titleScale });
  if (subtitle) c.text(subtitle, PAD, 14 + 7 * titleScale + 10, COLORS.mutedText, { scale: F });
  const columns: [number, number, number] = [PAD, PAD + cell + GAP, PAD + 2 * (cell + GAP)];
  const heads = [
    [['input'], ['x']],
    [['reconstruction', 'recon.'], ['G(x)']],
    [['error'], ['|x - G(x)|', '|x-G(x)|']],
  ] as const;
  heads.forEach(([top, bottom], k) => {
    const cx = columns[k]! + cell / 2;
    c.text(heading([...top], cell + GAP), cx, titleH, COLORS.text, { scale: F, align: 'center' });
    c.text(heading([...bottom], cell + GAP), cx, titleH + LINE + 6, COLORS.mutedText, { scale: F, align: 'center' });
  });
  const capX = PAD + imagesWidth + 16;
  c.line(PAD, gridTop - 8, width - PAD, gridTop - 8, COLORS.frame);

  const rows: number[] = [];
  if (items.length === 0) c.text('no images', PAD, gridTop + ROW_GAP, COLORS.mutedText, { scale: F });
  items.forEach((it, i) => {
    const y = gridTop + i * rowPitch;
    rows.push(y);
    c.drawImage(toRgba(it.input, size, it.channels), columns[0], y, scale);
    c.drawImage(toRgba(it.reconstruction, size, it.channels), columns[1], y, scale);
    c.drawImage(heatRgba(errors[i]!, size, errorScale), columns[2], y, scale);
    const lines = it.caption.split('\n');
    const maxLines = Math.max(1, Math.floor((rowPitch - ROW_GAP) / CAPTION_LINE) - (it.flag ? 1 : 0));
    let ly = y + 2;
    lines.slice(0, maxLines).forEach((line, k) => {
      const text = k === 0 ? ellipsizeMiddle(line, captionWidth, F) : fitText(line, captionWidth, F);
      c.text(text, capX, ly, k === 0 ? COLORS.text : COLORS.mutedText, { scale: F });
      ly += CAPTION_LINE;
    });
    if (it.flag) c.text(fitText(it.flag, captionWidth, F), capX, ly, COLORS.error, { scale: F });
    if (i < items.length - 1) c.line(PAD, y + rowPitch - ROW_GAP / 2, width - PAD, y + rowPitch - ROW_GAP / 2, COLORS.grid);
  });

  // the colour bar, as wide as the three image columns
  const bar = { x: PAD, y: barTop, width: imagesWidth, height: barH };
  for (let k = 0; k < bar.width; k++) c.fillRect(bar.x + k, bar.y, 1, bar.height, inferno(k / (bar.width - 1)));
  c.strokeRect(bar.x - 1, bar.y - 1, bar.width + 2, bar.height + 2, COLORS.axis as Color);
  const ly = bar.y + bar.height + 8;
  c.text('0', bar.x, ly, COLORS.text, { scale: F });
  const maxLabel = errorScale > 0 ? `${Number(errorScale.toFixed(errorScale >= 10 ? 0 : 1))}` : '0';
  c.text(maxLabel, bar.x + bar.width, ly, COLORS.text, { scale: F, align: 'right' });
  c.text(barNote, bar.x, ly + LINE + 8, COLORS.mutedText, { scale: F });
  c.text(scaleNote, bar.x, ly + 2 * (LINE + 8), COLORS.mutedText, { scale: F });

  return { width: c.width, height: c.height, data: c.data, layout: { scale, cell, columns, rows, errorScale, colorBar: bar } };
}
