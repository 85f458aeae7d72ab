// A tiny pure-JS rasteriser: an RGBA canvas with filled rectangles (alpha-blended), lines
// (Bresenham, with a width and an optional dash pattern), nearest-neighbour image blits, and a 5x7
// bitmap font (digits, upper and lower case, punctuation) at an integer scale, horizontal or
// rotated 90°. No DOM, no dependencies: it runs in Node, browsers and workers alike.
import type { RgbaImage } from './rgba.js';
import { encodePng } from './png.js';


/** A colour: [r, g, b] (opaque) or [r, g, b, a], each 0..255; alpha < 255 blends over what is there. */
export type Color = readonly [number, number, number] | readonly [number, number, number, number];

/**
 * Glyphs: one string of 5 bits per row, top row first. Capitals, digits and most punctuation are
 * 7 rows (row 6 is the baseline row); lower-case letters with descenders (g j p q y) and a few
 * punctuation marks have 9 rows, the last two below the baseline.
 */
export const GLYPHS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  '0': ['01110', '10001', '10011', '10101', '11001', '10001', '01110'],
  '1': ['00100', '01100', '00100', '00100', '00100', '00100', '01110'],
  '2': ['01110', '10001', '00001', '00010', '00100', '01000', '11111'],
  '3': ['11111', '00010', '00100', '00010', '00001', '10001', '01110'],
  '4': ['00010', '00110', '01010', '10010', '11111', '00010', '00010'],
  '5': ['11111', '10000', '11110', '00001', '00001', '10001', '01110'],
  '6': ['00110', '01000', '10000', '11110', '10001', '10001', '01110'],
  '7': ['11111', '00001', '00010', '00100', '01000', '01000', '01000'],
  '8': ['01110', '10001', '10001', '01110', '10001', '10001', '01110'],
  '9': ['01110', '10001', '10001', '01111', '00001', '00010', '01100'],
  A: ['01110', '10001', '10001', '11111', '10001', '10001', '10001'],
  B: ['11110', '10001', '10001', '11110', '10001', '10001', '11110'],
  C: ['01110', '10001', '10000', '10000', '10000', '10001', '01110'],
  D: ['11100', '10010', '10001', '10001', '10001', '10010', '11100'],
  E: ['11111', '10000', '10000', '11110', '10000', '10000', '11111'],
  F: ['11111', '10000', '10000', '11110', '10000', '10000', '10000'],
  G: ['01110', '10001', '10000', '10111', '10001', '10001', '01111'],
  H: ['10001', '10001', '10001', '11111', '10001', '10001', '10001'],
  I: ['01110', '00100', '00100', '00100', '00100', '00100', '01110'],
  J: ['00111', '00010', '00010', '00010', '00010', '10010', '01100'],
  K: ['10001', '10010', '10100', '11000', '10100', '10010', '10001'],
  L: ['10000', '10000', '10000', '10000', '10000', '10000', '11111'],
  M: ['10001', '11011', '10101', '10101', '10001', '10001', '10001'],
  N: ['10001', '10001', '11001', '10101', '10011', '10001', '10001'],
  O: ['01110', '10001', '10001', '10001', '10001', '10001', '01110'],
  P: ['11110', '10001', '10001', '11110', '10000', '10000', '10000'],
  Q: ['01110', '10001', '10001', '10001', '10101', '10010', '01101'],
  R: ['11110', '10001', '10001', '11110', '10100', '10010', '10001'],
  S: ['01111', '10000', '10000', '01110', '00001', '00001', '11110'],
  T: ['11111', '00100', '00100', '00100', '00100', '00100', '00100'],
  U: ['10001', '10001', '10001', '10001', '10001', '10001', '01110'],
  V: ['10001', '10001', '10001', '10001', '10001', '01010', '00100'],
  W: ['10001', '10001', '10001', '10101', '10101', '10101', '01010'],
  X: ['10001', '10001', '01010', '00100', '01010', '10001', '10001'],
  Y: ['10001', '10001', '10001', '01010', '00100', '00100', '00100'],
  Z: ['11111', '00001', '00010', '00100', '01000', '10000', '11111'],
  a: ['00000', '00000', '01110', '00001', '01111', '10001', '01111'],
  b: ['10000', '10000', '10110', '11001', '10001', '10001', '11110'],
  c: ['00000', '00000', '01110', '10000', '10000', '10001', '01110'],
  d: ['00001', '00001', '01101', '10011', '10001', '10001', '01111'],
  e: ['00000', '00000', '01110', '10001', '11111', '10000', '01110'],
  f: ['00110', '01001', '01000', '11100', '01000', '01000', '01000'],
  g: ['00000', '00000', '01111', '10001', '10001', '10001', '01111', '00001', '01110'],
  h: ['10000', '10000', '10110', '11001', '10001', '10001', '10001'],
  i: ['00100', '00000', '01100', '00100', '00100', '00100', '01110'],
  j: ['00010', '00000', '00110', '00010', '00010', '00010', '00010', '10010', '01100'],
  k: ['10000', '10000', '10010', '10100', '11000', '10100', '10010'],
  l: ['01100', '00100', '00100', '00100', '00100', '00100', '01110'],
  m: ['00000', '00000', '11010', '10101', '10101', '10101', '10101'],
  n: ['00000', '00000', '10110', '11001', '10001', '10001', '10001'],
  o: ['00000', '00000', '01110', '10001', '10001', '10001', '01110'],
  p: ['00000', '00000', '11110', '10001', '10001', '10001', '11110', '10000', '10000'],
  q: ['00000', '00000', '01111', '10001', '10001', '10001', '01111', '00001', '00001'],
  r: ['00000', '00000', '10110', '11001', '10000', '10000', '10000'],
  s: ['00000', '00000', '01111', '10000', '01110', '00001', '11110'],
  t: ['01000', '01000', '11100', '01000', '01000', '01001', '00110'],
  u: ['00000', '00000', '10001', '10001', '10001', '10011', '01101'],
  v: ['00000', '00000', '10001', '10001', '10001', '01010', '00100'],
  w: ['00000', '00000', '10001', '10001', '10101', '10101', '01010'],
  x: ['00000', '00000', '10001', '01010', '00100', '01010', '10001'],
  y: ['00000', '00000', '10001', '10001', '10001', '10001', '01111', '00001', '01110'],
  z: ['00000', '00000', '11111', '00010', '00100', '01000', '11111'],
  ' ': ['00000', '00000', '00000', '00000', '00000', '00000', '00000'],
  '.': ['00000', '00000', '00000', '00000', '00000', '01100', '01100'],
  ',': ['00000', '00000', '00000', '00000', '00000', '01100', '00100', '01000'],
  ':': ['00000', '01100', '01100', '00000', '01100', '01100', '00000'],
  ';': ['00000', '01100', '01100', '00000', '01100', '00100', '01000'],
  '-': ['00000', '00000', '00000', '11111', '00000', '00000', '00000'],
  '+': ['00000', '00100', '00100', '11111', '00100', '00100', '00000'],
  '=': ['00000', '00000', '11111', '00000', '11111', '00000', '00000'],
  '±': ['00100', '00100', '11111', '00100', '00100', '00000', '11111'],
  '(': ['00010', '00100', '01000', '01000', '01000', '00100', '00010'],
  ')': ['01000', '00100', '00010', '00010', '00010', '00100', '01000'],
  '[': ['01110', '01000', '01000', '01000', '01000', '01000', '01110'],
  ']': ['01110', '00010', '00010', '00010', '00010', '00010', '01110'],
  '{': ['00010', '00100', '00100', '01000', '00100', '00100', '00010'],
  '}': ['01000', '00100', '00100', '00010', '00100', '00100', '01000'],
  '<': ['00010', '00100', '01000', '10000', '01000', '00100', '00010'],
  '>': ['01000', '00100', '00010', '00001', '00010', '00100', '01000'],
  '/': ['00000', '00001', '00010', '00100', '01000', '10000', '00000'],
  '\\': ['00000', '10000', '01000', '00100', '00010', '00001', '00000'],
  '|': ['00100', '00100', '00100', '00100', '00100', '00100', '00100'],
  '#': ['01010', '01010', '11111', '01010', '11111', '01010', '01010'],
  '%': ['11000', '11001', '00010', '00100', '01000', '10011', '00011'],
  '&': ['01100', '10010', '10100', '01000', '10101', '10010', '01101'],
  '*': ['00000', '00100', '10101', '01110', '10101', '00100', '00000'],
  '@': ['01110', '10001', '10111', '10101', '10111', '10000', '01110'],
  $: ['00100', '01111', '10100', '01110', '00101', '11110', '00100'],
  '!': ['00100', '00100', '00100', '00100', '00100', '00000', '00100'],
  '?': ['01110', '10001', '00001', '00010', '00100', '00000', '00100'],
  _: ['00000', '00000', '00000', '00000', '00000', '00000', '11111'],
  "'": ['00100', '00100', '01000', '00000', '00000', '00000', '00000'],
  '"': ['01010', '01010', '10100', '00000', '00000', '00000', '00000'],
  '`': ['01000', '00100', '00010', '00000', '00000', '00000', '00000'],
  '^': ['00100', '01010', '10001', '00000', '00000', '00000', '00000'],
  '~': ['00000', '00000', '01000', '10101', '00010', '00000', '00000'],
  '°': ['01100', '10010', '10010', '01100', '00000', '00000', '00000'],
  '×': ['00000', '10001', '01010', '00100', '01010', '10001', '00000'],
  '·': ['00000', '00000', '00000', '01100', '01100', '00000', '00000'],
  '…': ['00000', '00000', '00000', '00000', '00000', '00000', '10101'],
  '≥': ['01000', '00100', '00010', '00100', '01000', '00000', '11110'],
  '≤': ['00010', '00100', '01000', '00100', '00010', '00000', '01111'],
  '→': ['00000', '00100', '00010', '11111', '00010', '00100', '00000'],
  '■': ['00000', '11111', '11111', '11111', '11111', '11111', '00000'],
});

/** Characters drawn with another character's glyph. */
const ALIASES: Readonly<Record<string, string>> = { '−': '-', '–': '-', '—': '-', '‘': "'", '’': "'", '“': '"', '”': '"', µ: 'u', '\t': ' ' };

/** Glyph advance in font pixels (5 wide + 1 gap). */
export const GLYPH_ADVANCE = 6;
/** Glyph height in font pixels, from the top of a capital to the baseline; descenders go 2 below. */
export const GLYPH_HEIGHT = 7;
/** Font pixels below the baseline used by descenders (g, j, p, q, y, comma). */
export const GLYPH_DESCENT = 2;

/** The glyph drawn for one character: its own, an alias's, the upper-case one, or '?'. */
export function glyph(ch: string): readonly string[] {
  const g = GLYPHS[ch] ?? GLYPHS[ALIASES[ch] ?? ''] ?? GLYPHS[ch.toUpperCase()];
  return g ?? GLYPHS['?']!;
}

/** Width in pixels of `text` at `scale` (no trailing gap). */
export function textWidth(text: string, scale = 2): number {
  const n = [...text].length;
  return n === 0 ? 0 : (n * GLYPH_ADVANCE - 1) * scale;
}

/** The longest prefix of `text` (ending with "…" when cut) that is at most `maxWidth` pixels wide at `scale`. */
export function fitText(text: string, maxWidth: number, scale = 2): string {
  if (textWidth(text, scale) <= maxWidth) return text;
  const chars = [...text];
  const max = Math.floor((maxWidth / scale + 1) / GLYPH_ADVANCE) - 1;
  return max <= 0 ? '' : `${chars.slice(0, max).join('')}…`;
}

/** `text` shortened in the middle ("long_na…e_01.png") to at most `maxWidth` pixels at `scale`, keeping its end (a file's extension and number). */
export function ellipsizeMiddle(text: string, maxWidth: number, scale = 2): string {
  if (textWidth(text, scale) <= maxWidth) return text;
  const chars = [...text];
  const max = Math.floor((maxWidth / scale + 1) / GLYPH_ADVANCE) - 1;
  if (max <= 1) return max === 1 ? '…' : '';
  const tail = Math.ceil(max * 0.6);
  const head = max - tail;
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - tail).join('')}`;
}

export interface LineOptions {
  /** Brush size in pixels (a square brush). Default 1. */
  width?: number;
  /** [on, off] lengths in pixels along the line for a dashed line. */
  dash?: readonly [number, number];
}

export interface TextOptions {
  /** Integer font scale: glyphs are 5·scale x 7·scale pixels. Default 2. */
  scale?: number;
  /** Where x is along the text: its left end, centre or right end. Default 'left'. */
  align?: 'left' | 'center' | 'right';
  /** Text running bottom to top (90° counter-clockwise). Default false. */
  rotate?: boolean;
}

/** An RGBA image to draw on; it is itself an RgbaImage. */
export class Canvas implements RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;

  constructor(width: number, height: number, background: Color = [255, 255, 255, 255]) {
    this.width = Math.max(1, Math.round(width));
    this.height = Math.max(1, Math.round(height));
    this.data = new Uint8Array(this.width * this.height * 4);
    this.fillRect(0, 0, this.width, this.height, background);
  }

  /** Sets one pixel (ignored outside the canvas); alpha < 255 blends over what is there. */
  set(x: number, y: number, c: Color): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 4;
    const a = c[3] ?? 255;
    if (a >= 255) {
      this.data[i] = c[0];
      this.data[i + 1] = c[1];
      this.data[i + 2] = c[2];
    } else {
      const al = a / 255;
      for (let k = 0; k < 3; k++) this.data[i + k] = Math.round(c[k]! * al + this.data[i + k]! * (1 - al));
    }
    this.data[i + 3] = 255;
  }

  /** The pixel at (x, y) as [r, g, b, a]. */
  get(x: number, y: number): number[] {
    const i = (y * this.width + x) * 4;
    return [...this.data.subarray(i, i + 4)];
  }

  /** Filled rectangle, x..x+w, y..y+h (clipped). */
  fillRect(x: number, y: number, w: number, h: number, c: Color): void {
    const x0 = Math.max(0, Math.round(Math.min(x, x + w)));
    const x1 = Math.min(this.width, Math.round(Math.max(x, x + w)));
    const y0 = Math.max(0, Math.round(Math.min(y, y + h)));
    const y1 = Math.min(this.height, Math.round(Math.max(y, y + h)));
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) this.set(xx, yy, c);
  }

  /** Outline of a rectangle, one pixel wide, inside x..x+w-1, y..y+h-1. */
  strokeRect(x: number, y: number, w: number, h: number, c: Color): void {
    this.line(x, y, x + w - 1, y, c);
    this.line(x, y + h - 1, x + w - 1, y + h - 1, c);
    this.line(x, y, x, y + h - 1, c);
    this.line(x + w - 1, y, x + w - 1, y + h - 1, c);
  }

  /** Line from (x0, y0) to (x1, y1), Bresenham; `width` > 1 stamps a square brush; `dash` [on, off] in pixels draws a dashed line. */
  line(x0: number, y0: number, x1: number, y1: number, c: Color, { width = 1, dash }: LineOptions = {}): void {
    x0 = Math.round(x0);
    y0 = Math.round(y0);
    x1 = Math.round(x1);
    y1 = Math.round(y1);
    const dx = Math.abs(x1 - x0);
    const dy = -Math.abs(y1 - y0);
    const sx = x0 < x1 ? 1 : -1;
    const sy = y0 < y1 ? 1 : -1;
    let err = dx + dy;
    let step = 0;
    const half = Math.floor((width - 1) / 2);
    for (;;) {
      const on = !dash || step % (dash[0] + dash[1]) < dash[0];
      if (on) {
        if (width <= 1) this.set(x0, y0, c);
        else for (let j = -half; j < width - half; j++) for (let i = -half; i < width - half; i++) this.set(x0 + i, y0 + j, c);
      }
      if (x0 === x1 && y0 === y1) break;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x0 += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y0 += sy;
      }
      step++;
    }
  }

  /** Connected line segments through `points` ([x, y] pairs). */
  polyline(points: readonly (readonly [number, number])[], c: Color, options: LineOptions = {}): void {
    for (let k = 1; k < points.length; k++) this.line(points[k - 1]![0], points[k - 1]![1], points[k]![0], points[k]![1], c, options);
    if (points.length === 1) this.line(points[0]![0], points[0]![1], points[0]![0], points[0]![1], c, options);
  }

  /** Copies `image` with its top-left corner at (x, y), each source pixel as a `scale` x `scale` block (nearest neighbour). */
  drawImage(image: RgbaImage, x: number, y: number, scale = 1): void {
    x = Math.round(x);
    y = Math.round(y);
    const s = Math.max(1, Math.round(scale));
    for (let sy = 0; sy < image.height; sy++) {
      for (let sx = 0; sx < image.width; sx++) {
        const i = (sy * image.width + sx) * 4;
        const c: Color = [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!, image.data[i + 3]!];
        this.fillRect(x + sx * s, y + sy * s, s, s, c);
      }
    }
  }

  /**
   * Text in the 5x7 font. (x, y) is the top-left corner of the text box (capital height
   * 7·scale; descenders go 2·scale below it). With `rotate: true` the text runs bottom to top
   * (90° counter-clockwise) and (x, y) is the box's top-left corner too. `align` places the box's
   * left end, centre or right end at x (at y for rotated text, along the text direction).
   */
  text(text: string, x: number, y: number, c: Color, { scale = 2, align = 'left', rotate = false }: TextOptions = {}): void {
    const len = textWidth(text, scale);
    if (!rotate) {
      let cx = align === 'left' ? x : align === 'center' ? x - len / 2 : x - len;
      cx = Math.round(cx);
      for (const ch of text) {
        const g = glyph(ch);
        for (let r = 0; r < g.length; r++) for (let k = 0; k < 5; k++) if (g[r]![k] === '1') this.fillRect(cx + k * scale, y + r * scale, scale, scale, c);
        cx += GLYPH_ADVANCE * scale;
      }
    } else {
      let cy = align === 'left' ? y + len : align === 'center' ? y + len / 2 : y;
      cy = Math.round(cy);
      for (const ch of text) {
        const g = glyph(ch);
        // glyph row r -> column x + r; glyph column k -> row cy - k
        for (let r = 0; r < g.length; r++) for (let k = 0; k < 5; k++) if (g[r]![k] === '1') this.fillRect(x + r * scale, cy - (k + 1) * scale, scale, scale, c);
        cy -= GLYPH_ADVANCE * scale;
      }
    }
  }

  /** This canvas as a plain RgbaImage (sharing the pixel data). */
  toImage(): RgbaImage {
    return { width: this.width, height: this.height, data: this.data };
  }

  /** The PNG file's bytes (see `encodePng`). */
  toPng(): Promise<Uint8Array> {
    return encodePng(this);
  }
}
