import { describe, expect, it } from 'vitest';
import { ValueError } from '@ganomaly/common';
import { SYNTHETIC_KINDS, imageSet, syntheticAnomalies, syntheticAnomalyRegions, type ImageSet, type SyntheticKind } from '@ganomaly/data';

/** n noisy images (every pixel differs from its neighbours), so every kind must change something. */
function noisy(n: number, size = 16, channels = 1, seed = 7): ImageSet {
  const px = new Uint8Array(n * size * size * channels);
  let a = seed;
  for (let i = 0; i < px.length; i++) {
    a = (a * 1103515245 + 12345) >>> 0;
    px[i] = (a >>> 16) & 0xff;
  }
  return imageSet(px, { count: n, height: size, width: size, channels });
}

/** Pixel positions (x, y) of image i where `b` differs from `a`. */
function changed(a: ImageSet, b: ImageSet, i: number): { x: number; y: number }[] {
  const { height: H, width: W, channels: C } = a;
  const out: { x: number; y: number }[] = [];
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      for (let c = 0; c < C; c++) {
        const k = ((i * H + y) * W + x) * C + c;
        if (a.pixels[k] !== b.pixels[k]) {
          out.push({ x, y });
          break;
        }
      }
    }
  }
  return out;
}

describe('syntheticAnomalies', () => {
  it('makes one labelled anomaly per image, deterministic given the seed, other seeds differ', () => {
    const set = noisy(8);
    const a = syntheticAnomalies(set, { seed: 3 });
    const b = syntheticAnomalies(set, { seed: 3 });
    const c = syntheticAnomalies(set, { seed: 4 });
    expect(a.count).toBe(8);
    expect([a.height, a.width, a.channels]).toEqual([16, 16, 1]);
    expect(Array.from(a.labels!)).toEqual(Array(8).fill(1));
    expect(Buffer.from(a.pixels).equals(Buffer.from(b.pixels))).toBe(true);
    expect(Buffer.from(a.pixels).equals(Buffer.from(c.pixels))).toBe(false);
    // The input is left alone.
    expect(Buffer.from(set.pixels).equals(Buffer.from(noisy(8).pixels))).toBe(true);
  });

  it('cycles the kinds per image', () => {
    const regions = syntheticAnomalyRegions(noisy(6), { kinds: ['blur', 'flip'] });
    expect(regions.map((r) => r.kind)).toEqual(['blur', 'flip', 'blur', 'flip', 'blur', 'flip']);
    expect(syntheticAnomalyRegions(noisy(5)).map((r) => r.kind)).toEqual([...SYNTHETIC_KINDS, 'patch']);
  });

  for (const kind of ['patch', 'noise', 'blur'] as SyntheticKind[]) {
    it(`'${kind}' changes every image, only inside its rectangle of 1/4..1/2 of the side`, () => {
      for (const channels of [1, 3]) {
        const set = noisy(6, 16, channels);
        const out = syntheticAnomalies(set, { kinds: [kind], seed: 11 });
        const regions = syntheticAnomalyRegions(set, { kinds: [kind], seed: 11 });
        for (let i = 0; i < set.count; i++) {
          const r = regions[i]!;
          expect(r.width).toBeGreaterThanOrEqual(4);
          expect(r.width).toBeLessThanOrEqual(8);
          expect(r.height).toBeGreaterThanOrEqual(4);
          expect(r.height).toBeLessThanOrEqual(8);
          const diff = changed(set, out, i);
          expect(diff.length).toBeGreaterThan(0);
          for (const p of diff) {
            expect(p.x >= r.x && p.x < r.x + r.width && p.y >= r.y && p.y < r.y + r.height).toBe(true);
          }
        }
      }
    });
  }

  it("'patch' pastes another image's pixels from another position", () => {
    const set = noisy(4);
    const out = syntheticAnomalies(set, { kinds: ['patch'] });
    const size = 16 * 16;
    for (const r of syntheticAnomalyRegions(set, { kinds: ['patch'] })) {
      expect(r.source!.index).not.toBe(r.index);
      expect(r.source!.x !== r.x || r.source!.y !== r.y).toBe(true);
      for (let y = 0; y < r.height; y++) {
        for (let x = 0; x < r.width; x++) {
          expect(out.pixels[r.index * size + (r.y + y) * 16 + r.x + x]).toBe(set.pixels[r.source!.index * size + (r.source!.y + y) * 16 + r.source!.x + x]);
        }
      }
    }
  });

  it("'flip' turns the image upside down", () => {
    const set = noisy(2, 4);
    const out = syntheticAnomalies(set, { kinds: ['flip'] });
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) expect(out.pixels[16 + y * 4 + x]).toBe(set.pixels[16 + (3 - y) * 4 + x]);
    }
  });

  it("'blur' is the box mean of the original neighbourhood (hand-worked 3x3 image)", () => {
    // One image 3x3, the whole image blurred with radius 1: the centre is the mean of all nine.
    const set = imageSet(Uint8Array.from([0, 0, 0, 0, 90, 0, 0, 0, 0]), { count: 1, height: 3, width: 3, channels: 1 });
    const out = syntheticAnomalies(set, { kinds: ['blur'], minFraction: 1, maxFraction: 1, blurRadius: 1 });
    // Corners see 4 pixels (90/4 = 22.5 -> 23), edges 6 (15), the centre 9 (10).
    expect(Array.from(out.pixels)).toEqual([23, 15, 23, 15, 10, 15, 23, 15, 23]);
  });

  it('rejects bad options with the argument named', () => {
    const set = noisy(2);
    expect(() => syntheticAnomalies(set, { kinds: ['smudge' as SyntheticKind] })).toThrow(/options\.kinds\[0\]/);
    expect(() => syntheticAnomalies(set, { kinds: [] })).toThrow(ValueError);
    expect(() => syntheticAnomalies(set, { minFraction: 0.6, maxFraction: 0.5 })).toThrow(/minFraction/);
    expect(() => syntheticAnomalies(set, { seed: 1.5 })).toThrow(/options\.seed/);
    expect(() => syntheticAnomalies({} as ImageSet)).toThrow(/images/);
  });
});
