import { describe, expect, it } from 'vitest';
import { reconstructionGrid, type GridItem, type RgbaImage } from '@ganomaly/report';
// Internals of the grids, from their module.
import { COLORMAP_ZERO, inferno } from '../src/grid.js';

function px(im: RgbaImage, x: number, y: number): number[] {
  const i = (y * im.width + x) * 4;
  return [im.data[i]!, im.data[i + 1]!, im.data[i + 2]!];
}

function digit(size: number, seed: number): Uint8Array {
  const a = new Uint8Array(size * size);
  for (let p = 0; p < a.length; p++) a[p] = (p * 37 + seed * 101) % 256;
  return a;
}

const item = (size: number, input: Uint8Array, reconstruction: Uint8Array, caption = 'x.png\nscore 1'): GridItem => ({ input, reconstruction, size, channels: 1, caption });

describe('reconstructionGrid', () => {
  it('lays out one row per item with cells of ~96 px, upscaled by nearest neighbour', () => {
    const a = digit(16, 1);
    const b = digit(16, 2);
    const g = reconstructionGrid([item(16, a, b), item(16, b, a), item(16, a, a)], { title: 'T' });
    const L = g.layout;
    expect(L.scale).toBe(6);
    expect(L.cell).toBe(96);
    expect(L.rows).toHaveLength(3);
    const pitch = L.rows[1]! - L.rows[0]!;
    expect(pitch).toBeGreaterThanOrEqual(L.cell);
    expect(L.rows[2]! - L.rows[1]!).toBe(pitch);
    expect(L.columns[1] - L.columns[0]).toBeGreaterThanOrEqual(L.cell);
    expect(g.width).toBeGreaterThanOrEqual(L.columns[2] + L.cell);
    expect(g.height).toBeGreaterThan(L.rows[2]! + L.cell);
    expect(g.data.length).toBe(g.width * g.height * 4);
    // input (row 0) and reconstruction (row 0): every block of 6x6 is one source pixel
    for (const [x, y] of [
      [0, 0],
      [5, 9],
      [15, 15],
    ]) {
      for (const [dx, dy] of [
        [0, 0],
        [5, 5],
        [2, 4],
      ]) {
        const v = a[y * 16 + x]!;
        expect(px(g, L.columns[0] + x * 6 + dx, L.rows[0]! + y * 6 + dy)).toEqual([v, v, v]);
        const w = b[y * 16 + x]!;
        expect(px(g, L.columns[1] + x * 6 + dx, L.rows[0]! + y * 6 + dy)).toEqual([w, w, w]);
      }
    }
    // the grid's largest error maps to the top of the colour map
    let maxErr = 0;
    for (let p = 0; p < a.length; p++) maxErr = Math.max(maxErr, Math.abs(a[p]! - b[p]!));
    expect(L.errorScale).toBe(maxErr);
  });

  it('a perfect reconstruction gives a heat map of the colour map zero only', () => {
    const a = digit(16, 3);
    const g = reconstructionGrid([item(16, a, a.slice())]);
    const L = g.layout;
    expect(L.errorScale).toBe(0);
    for (let y = 0; y < L.cell; y++) for (let x = 0; x < L.cell; x++) expect(px(g, L.columns[2] + x, L.rows[0]! + y)).toEqual([...COLORMAP_ZERO]);
  });

  it('colours errors by the inferno map, scaled to the largest error', () => {
    const a = new Uint8Array(32 * 32);
    const b = a.slice();
    b[0] = 200; // pixel (0, 0)
    b[1] = 100; // pixel (1, 0)
    const g = reconstructionGrid([item(32, a, b)]);
    const L = g.layout;
    expect(L.scale).toBe(3);
    expect(px(g, L.columns[2] + 1, L.rows[0]! + 1)).toEqual(inferno(1));
    expect(px(g, L.columns[2] + 4, L.rows[0]! + 1)).toEqual(inferno(0.5));
    expect(px(g, L.columns[2] + 7, L.rows[0]! + 1)).toEqual([...COLORMAP_ZERO]);
    // a fixed scale
    const f = reconstructionGrid([item(32, a, b)], { errorScale: 400 });
    expect(px(f, f.layout.columns[2] + 1, f.layout.rows[0]! + 1)).toEqual(inferno(0.5));
    // the colour bar runs from the map's zero to its top
    const bar = L.colorBar;
    expect(px(g, bar.x, bar.y + 2)).toEqual([...COLORMAP_ZERO]);
    expect(px(g, bar.x + bar.width - 1, bar.y + 2)).toEqual(inferno(1));
  });

  it('shows RGB images in colour; rejects mismatched items', () => {
    const rgb = new Uint8Array(16 * 16 * 3);
    for (let p = 0; p < 256; p++) rgb.set([200, 10, 30], p * 3);
    const g = reconstructionGrid([{ input: rgb, reconstruction: rgb, size: 16, channels: 3, caption: 'red' }]);
    expect(px(g, g.layout.columns[0] + 10, g.layout.rows[0]! + 10)).toEqual([200, 10, 30]);
    expect(() => reconstructionGrid([item(16, new Uint8Array(10), new Uint8Array(10))])).toThrow(/size\*size\*channels/);
    expect(() => reconstructionGrid([item(16, digit(16, 1), digit(16, 1)), item(32, digit(32, 1), digit(32, 1))])).toThrow(/one size/);
    const empty = reconstructionGrid([]);
    expect(empty.layout.rows).toEqual([]);
  });

  it('inferno runs dark to bright', () => {
    const lum = (c: number[]) => 0.299 * c[0]! + 0.587 * c[1]! + 0.114 * c[2]!;
    for (let k = 0; k < 10; k++) expect(lum(inferno((k + 1) / 10))).toBeGreaterThan(lum(inferno(k / 10)));
    expect(inferno(-1)).toEqual([...COLORMAP_ZERO]);
  });
});
