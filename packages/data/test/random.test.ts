import { describe, it, expect } from 'vitest';
import { ValueError } from '@ganomaly/common';
import { mulberry32, mt19937, shuffledIndices, batchIndices } from '@ganomaly/data';

const isPermutation = (a: ArrayLike<number>, n: number) => a.length === n && Array.from(a).sort((x, y) => x - y).every((v, i) => v === i);

describe('mulberry32', () => {
  it('is deterministic per seed, differs across seeds, stays in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const xa = Array.from({ length: 1000 }, a);
    expect(Array.from({ length: 1000 }, b)).toEqual(xa);
    expect(Array.from({ length: 1000 }, c)).not.toEqual(xa);
    expect(Math.min(...xa)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xa)).toBeLessThan(1);
    const mean = xa.reduce((s, x) => s + x, 0) / xa.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
    expect(() => mulberry32(1.5)).toThrow(/'seed' passed to 'mulberry32' must be an integer seed, but got 1.5/);
  });
});

describe('mt19937 (NumPy legacy seeding)', () => {
  it('gives the reference outputs', () => {
    // Reference MT19937 outputs: seed 5489 (the canonical default) and seed 0, as NumPy's
    // RandomState(seed).randint(0, 2**32, dtype=np.uint32) returns them.
    const r = mt19937(5489);
    expect([r(), r(), r()]).toEqual([3499211612, 581869302, 3890346734]);
    const z = mt19937(0);
    expect([z(), z(), z()]).toEqual([2357136044, 2546248239, 3071714933]);
    expect(() => mt19937(-1)).toThrow(ValueError);
    expect(() => mt19937(2 ** 32)).toThrow(/\[0, 2\^32\)/);
  });
});

describe('shuffledIndices', () => {
  it('is a permutation, deterministic per seed, different for different seeds', () => {
    const a = shuffledIndices(1000, 7);
    expect(isPermutation(a, 1000)).toBe(true);
    expect(Array.from(shuffledIndices(1000, 7))).toEqual(Array.from(a));
    expect(Array.from(shuffledIndices(1000, 8))).not.toEqual(Array.from(a));
    expect(Array.from(a)).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(shuffledIndices(0, 1).length).toBe(0);
    expect(Array.from(shuffledIndices(1, 1))).toEqual([0]);
  });

  it("rng 'numpy' equals np.random.seed(s); np.random.shuffle(np.arange(n))", () => {
    // Values printed by NumPy 2.4 (legacy RandomState, the generator the authors' code seeds).
    expect(Array.from(shuffledIndices(10, 0, 'numpy'))).toEqual([2, 8, 4, 9, 1, 6, 7, 3, 0, 5]);
    expect(Array.from(shuffledIndices(10, 1, 'numpy'))).toEqual([2, 9, 6, 4, 0, 3, 1, 7, 8, 5]);
    expect(Array.from(shuffledIndices(20, 42, 'numpy').subarray(0, 12))).toEqual([0, 17, 15, 1, 8, 5, 11, 3, 18, 16, 13, 2]);
    expect(Array.from(shuffledIndices(7, 4294967295, 'numpy'))).toEqual([1, 5, 0, 6, 4, 2, 3]);
    const big = shuffledIndices(62123, 0, 'numpy');
    expect(Array.from(big.subarray(0, 12))).toEqual([35035, 27195, 38001, 48420, 29682, 39178, 56795, 22812, 58162, 57623, 49082, 54738]);
    let weighted = 0;
    for (let i = 0; i < big.length; i++) weighted = (weighted + big[i]! * i) % 1000003;
    expect(weighted).toBe(849644);
  });

  it('validates n, seed and rng', () => {
    expect(() => shuffledIndices(-1, 0)).toThrow(/'n' passed to 'shuffledIndices'/);
    expect(() => shuffledIndices(3, NaN)).toThrow(/'seed'/);
    expect(() => shuffledIndices(3, 0, 'mt' as 'numpy')).toThrow(/'rng'.*'mulberry32' or 'numpy'/);
  });
});

describe('batchIndices', () => {
  it('covers every index once, in order without shuffle', () => {
    const b = batchIndices(10, 4);
    expect(b.map((x) => Array.from(x))).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(batchIndices(10, 4, { dropLast: true }).length).toBe(2);
    expect(batchIndices(8, 4, { dropLast: true }).length).toBe(2);
    expect(batchIndices(0, 4)).toEqual([]);
  });

  it('shuffles reproducibly with the seed', () => {
    const a = batchIndices(100, 16, { shuffle: true, seed: 3 });
    const flat = a.flatMap((x) => Array.from(x));
    expect(isPermutation(flat, 100)).toBe(true);
    expect(a.map((x) => x.length)).toEqual([16, 16, 16, 16, 16, 16, 4]);
    expect(batchIndices(100, 16, { shuffle: true, seed: 3 })).toEqual(a);
    expect(batchIndices(100, 16, { shuffle: true, seed: 4 })).not.toEqual(a);
    const dropped = batchIndices(100, 16, { shuffle: true, seed: 3, dropLast: true });
    expect(dropped.length).toBe(6);
    expect(new Set(dropped.flatMap((x) => Array.from(x))).size).toBe(96);
  });

  it('validates its arguments', () => {
    expect(() => batchIndices(10, 0)).toThrow(/'batchSize' passed to 'batchIndices' must be a positive integer, but got 0/);
    expect(() => batchIndices(10, 2, { shuffle: true })).toThrow(/'options.seed'.*when shuffle is true/);
    expect(() => batchIndices(10, 2, { shuffle: 'yes' as unknown as boolean, seed: 1 })).toThrow(/'options.shuffle'/);
    expect(() => batchIndices(2.5, 2)).toThrow(ValueError);
  });
});
