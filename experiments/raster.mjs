// A tiny pure-JS rasteriser for the summary charts: an RGBA canvas with filled rectangles, lines
// (Bresenham, with a width), a 5x7 bitmap font (digits, capital letters, some punctuation; lower
// case is drawn as upper case) at an integer scale, horizontal or rotated 90° text, and PNG output
// through the `pngjs` package.
import { PNG } from 'pngjs';

/** 5x7 glyphs, one string of 5 bits per row, top row first. */
const GLYPHS = {
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
  ' ': ['00000', '00000', '00000', '00000', '00000', '00000', '00000'],
  '.': ['00000', '00000', '00000', '00000', '00000', '01100', '01100'],
  ',': ['00000', '00000', '00000', '00000', '01100', '00100', '01000'],
  ':': ['00000', '01100', '01100', '00000', '01100', '01100', '00000'],
  '-': ['00000', '00000', '00000', '11111', '00000', '00000', '00000'],
  '+': ['00000', '00100', '00100', '11111', '00100', '00100', '00000'],
  '=': ['00000', '00000', '11111', '00000', '11111', '00000', '00000'],
  '±': ['00100', '00100', '11111', '00100', '00100', '00000', '11111'],
  '(': ['00010', '00100', '01000', '01000', '01000', '00100', '00010'],
  ')': ['01000', '00100', '00010', '00010', '00010', '00100', '01000'],
  '/': ['00000', '00001', '00010', '00100', '01000', '10000', '00000'],
  '#': ['01010', '01010', '11111', '01010', '11111', '01010', '01010'],
  _: ['00000', '00000', '00000', '00000', '00000', '00000', '11111'],
  "'": ['00100', '00100', '01000', '00000', '00000', '00000', '00000'],
  '?': ['01110', '10001', '00001', '00010', '00100', '00000', '00100'],
};

/** Glyph advance in font pixels (5 wide + 1 gap). */
export const GLYPH_ADVANCE = 6;
export const GLYPH_HEIGHT = 7;

/** @typedef {[number, number, number] | [number, number, number, number]} RGBA */

export class Canvas {
  /** @param {number} width @param {number} height @param {RGBA} [background] */
  constructor(width, height, background = [255, 255, 255, 255]) {
    this.width = Math.max(1, Math.round(width));
    this.height = Math.max(1, Math.round(height));
    this.data = new Uint8Array(this.width * this.height * 4);
    this.fillRect(0, 0, this.width, this.height, background);
  }

  /** Sets one pixel (ignored outside the canvas); alpha < 255 blends over what is there. @param {number} x @param {number} y @param {RGBA} c */
  set(x, y, c) {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 4;
    const al = (c[3] ?? 255) / 255;
    for (let k = 0; k < 3; k++) this.data[i + k] = Math.round(c[k] * al + this.data[i + k] * (1 - al));
    this.data[i + 3] = 255;
  }

  /** @param {number} x @param {number} y @returns {number[]} */
  get(x, y) {
    const i = (y * this.width + x) * 4;
    return [...this.data.subarray(i, i + 4)];
  }

  /** Filled rectangle, x..x+w, y..y+h (clipped). @param {number} x @param {number} y @param {number} w @param {number} h @param {RGBA} c */
  fillRect(x, y, w, h, c) {
    const x0 = Math.max(0, Math.round(Math.min(x, x + w)));
    const x1 = Math.min(this.width, Math.round(Math.max(x, x + w)));
    const y0 = Math.max(0, Math.round(Math.min(y, y + h)));
    const y1 = Math.min(this.height, Math.round(Math.max(y, y + h)));
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) this.set(xx, yy, c);
  }

  /** Outline of a rectangle. @param {number} x @param {number} y @param {number} w @param {number} h @param {RGBA} c */
  strokeRect(x, y, w, h, c) {
    this.line(x, y, x + w - 1, y, c);
    this.line(x, y + h - 1, x + w - 1, y + h - 1, c);
    this.line(x, y, x, y + h - 1, c);
    this.line(x + w - 1, y, x + w - 1, y + h - 1, c);
  }

  /**
   * Line from (x0, y0) to (x1, y1), Bresenham; `width` > 1 stamps a square brush; `dash` [on, off]
   * in pixels draws a dashed line.
   * @param {number} x0 @param {number} y0 @param {number} x1 @param {number} y1 @param {RGBA} c
   * @param {{ width?: number, dash?: [number, number] }} [opts]
   */
  line(x0, y0, x1, y1, c, { width = 1, dash } = {}) {
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

  /**
   * Text in the 5x7 font. (x, y) is the top-left corner of the text box (for `rotate: true`, text
   * runs bottom to top, 90° counter-clockwise, and (x, y) is the box's top-left corner too).
   * `align` places the box's left, centre or right at x (along the text direction).
   * @param {string} text @param {number} x @param {number} y @param {RGBA} c
   * @param {{ scale?: number, align?: 'left'|'center'|'right', rotate?: boolean }} [opts]
   */
  text(text, x, y, c, { scale = 2, align = 'left', rotate = false } = {}) {
    const len = textWidth(text, scale);
    if (!rotate) {
      let cx = align === 'left' ? x : align === 'center' ? x - len / 2 : x - len;
      cx = Math.round(cx);
      for (const ch of text) {
        const g = glyph(ch);
        for (let r = 0; r < 7; r++) for (let k = 0; k < 5; k++) if (g[r][k] === '1') this.fillRect(cx + k * scale, y + r * scale, scale, scale, c);
        cx += GLYPH_ADVANCE * scale;
      }
    } else {
      // Along the text: upward from the bottom; "y" here is the centre/start along the vertical.
      let cy = align === 'left' ? y + len : align === 'center' ? y + len / 2 : y;
      cy = Math.round(cy);
      for (const ch of text) {
        const g = glyph(ch);
        // glyph row r -> column x + r; glyph column k -> row cy - k
        for (let r = 0; r < 7; r++) for (let k = 0; k < 5; k++) if (g[r][k] === '1') this.fillRect(x + r * scale, cy - (k + 1) * scale, scale, scale, c);
        cy -= GLYPH_ADVANCE * scale;
      }
    }
  }

  /** The PNG file's bytes. @returns {Buffer} */
  toPng() {
    const png = new PNG({ width: this.width, height: this.height });
    png.data.set(this.data);
    return PNG.sync.write(png);
  }
}

/** @param {string} ch @returns {string[]} */
function glyph(ch) {
  const g = /** @type {Record<string, string[]>} */ (GLYPHS)[ch] ?? /** @type {Record<string, string[]>} */ (GLYPHS)[ch.toUpperCase()];
  return g ?? GLYPHS['?'];
}

/** Width in pixels of `text` at `scale` (no trailing gap). @param {string} text @param {number} [scale] */
export function textWidth(text, scale = 2) {
  const n = [...text].length;
  return n === 0 ? 0 : (n * GLYPH_ADVANCE - 1) * scale;
}
