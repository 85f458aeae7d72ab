import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { Canvas, encodePng, textWidth } from '@ganomaly/report';
// Internals of the rasteriser, from their module.
import { GLYPHS, GLYPH_ADVANCE, ellipsizeMiddle, fitText, glyph } from '../src/canvas.js';

describe('Canvas', () => {
  it('fills, blends, draws lines and dashed lines', () => {
    const c = new Canvas(40, 20);
    c.fillRect(2, 2, 3, 3, [255, 0, 0]);
    expect(c.get(3, 3)).toEqual([255, 0, 0, 255]);
    expect(c.get(5, 5)).toEqual([255, 255, 255, 255]);
    c.fillRect(10, 2, 1, 1, [0, 0, 0, 128]);
    expect(c.get(10, 2)).toEqual([127, 127, 127, 255]);
    c.line(0, 10, 39, 10, [0, 0, 255]);
    for (let x = 0; x < 40; x++) expect(c.get(x, 10)).toEqual([0, 0, 255, 255]);
    c.line(0, 15, 39, 15, [0, 128, 0], { dash: [3, 2] });
    expect([0, 1, 2, 3, 4, 5].map((x) => c.get(x, 15)[1])).toEqual([128, 128, 128, 255, 255, 128]);
  });

  it('draws the 5x7 font, upper and lower case, with descenders below the baseline', () => {
    const c = new Canvas(40, 20);
    c.text('1', 20, 0, [0, 0, 0], { scale: 1 });
    // glyph '1' row 0 is 00100: only column 2 set
    expect(c.get(22, 0)).toEqual([0, 0, 0, 255]);
    expect(c.get(21, 0)).toEqual([255, 255, 255, 255]);
    expect(textWidth('AB', 2)).toBe(22);
    expect(glyph('a')).not.toEqual(glyph('A'));
    expect(glyph('g')).toHaveLength(9);
    expect(glyph('−')).toEqual(GLYPHS['-']);
    expect(glyph('☃')).toEqual(GLYPHS['?']);
    const d = new Canvas(10, 12);
    d.text('g', 0, 0, [0, 0, 0], { scale: 1 });
    expect(d.get(1, 8)).toEqual([0, 0, 0, 255]); // the descender's bottom row '01110'
    for (const [ch, rows] of Object.entries(GLYPHS)) {
      expect(rows.length, ch).toBeGreaterThanOrEqual(7);
      for (const r of rows) expect(r, ch).toMatch(/^[01]{5}$/);
    }
  });

  it('blits images with nearest-neighbour upscaling', () => {
    const c = new Canvas(10, 10);
    c.drawImage({ width: 2, height: 1, data: Uint8Array.from([255, 0, 0, 255, 0, 0, 255, 255]) }, 1, 1, 3);
    expect(c.get(1, 1)).toEqual([255, 0, 0, 255]);
    expect(c.get(3, 3)).toEqual([255, 0, 0, 255]);
    expect(c.get(4, 1)).toEqual([0, 0, 255, 255]);
    expect(c.get(7, 1)).toEqual([255, 255, 255, 255]);
  });

  it('shortens text to a width', () => {
    expect(fitText('short', 1000)).toBe('short');
    const cut = fitText('a rather long caption', textWidth('a rather', 2));
    expect(textWidth(cut, 2)).toBeLessThanOrEqual(textWidth('a rather', 2));
    expect(cut.endsWith('…')).toBe(true);
    const name = ellipsizeMiddle('some/long/folder/name/image_0042.png', 16 * GLYPH_ADVANCE * 2);
    expect([...name]).toHaveLength(16); // as many characters as fit, the ellipsis included
    expect(textWidth(name, 2)).toBeLessThanOrEqual(16 * GLYPH_ADVANCE * 2);
    expect(name.endsWith('42.png')).toBe(true);
    expect(name.startsWith('some')).toBe(true);
  });
});

describe('encodePng', () => {
  it('round-trips through pngjs', async () => {
    const c = new Canvas(7, 5, [10, 20, 30]);
    c.set(3, 2, [200, 100, 50]);
    const bytes = await encodePng(c);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect([...bytes.subarray(1, 4)].map((b) => String.fromCharCode(b)).join('')).toBe('PNG');
    const png = PNG.sync.read(Buffer.from(bytes));
    expect([png.width, png.height]).toEqual([7, 5]);
    expect([...png.data]).toEqual([...c.data]);
    expect([...(await c.toPng())]).toEqual([...bytes]);
  });

  it('rejects malformed images', async () => {
    await expect(encodePng({ width: 2, height: 2, data: new Uint8Array(3) })).rejects.toThrow(/RgbaImage/);
  });
});
