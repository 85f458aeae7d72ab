import { describe, expect, it } from 'vitest';
import { ValueError } from '@ganomaly/common';
import { COMBINED_COMPONENTS, SKIP_WEIGHTS, combineComponents, componentScaling, type ComponentScaling } from '@ganomaly/math';

// Three calibration images, worked by hand:
//   latent         1, 2, 3   -> min 1, max 3, mean 2, std sqrt(2/3)
//   reconstruction 0, 4, 8   -> min 0, max 8, mean 4, std sqrt(32/3)
//   features       5, 5, 11  -> min 5, max 11, mean 7, std sqrt(8)
const calib = { latent: [1, 2, 3], reconstruction: [0, 4, 8], features: [5, 5, 11] };

describe('componentScaling', () => {
  it('is min, max, mean and population std of each component', () => {
    const s = componentScaling(calib);
    expect(s.count).toBe(3);
    expect(s.latent).toEqual({ min: 1, max: 3, mean: 2, std: Math.sqrt(2 / 3) });
    expect(s.reconstruction.min).toBe(0);
    expect(s.reconstruction.max).toBe(8);
    expect(s.reconstruction.mean).toBe(4);
    expect(s.reconstruction.std).toBeCloseTo(Math.sqrt(32 / 3), 12);
    expect(s.features).toEqual({ min: 5, max: 11, mean: 7, std: Math.sqrt(8) });
  });

  it('rejects missing, unequal, empty or non-finite components', () => {
    expect(() => componentScaling({ latent: [1], reconstruction: [1] } as never)).toThrow(/components\.features/);
    expect(() => componentScaling({ latent: [1, 2], reconstruction: [1], features: [1, 2] })).toThrow(/components\.reconstruction/);
    expect(() => componentScaling({ latent: [], reconstruction: [], features: [] })).toThrow(ValueError);
    expect(() => componentScaling({ latent: [NaN], reconstruction: [1], features: [1] })).toThrow(/components\.latent/);
  });
});

describe('combineComponents', () => {
  const s = componentScaling(calib);
  // Two new images: (latent, reconstruction, features) = (2, 8, 8) and (5, -4, 5).
  const x = { latent: [2, 5], reconstruction: [8, -4], features: [8, 5] };

  it("'skip' is 0.9 * min-max scaled reconstruction + 0.1 * min-max scaled features", () => {
    expect(SKIP_WEIGHTS).toEqual({ reconstruction: 0.9, features: 0.1 });
    // Image 1: 0.9 * (8 - 0)/8 + 0.1 * (8 - 5)/6 = 0.9 + 0.05 = 0.95.
    // Image 2: 0.9 * (-4 - 0)/8 + 0.1 * (5 - 5)/6 = -0.45 (not clipped).
    const out = combineComponents(x, s, 'skip');
    expect(out[0]).toBeCloseTo(0.95, 6);
    expect(out[1]).toBeCloseTo(-0.45, 6);
  });

  it("'combined' is the sum of the standardised latent, reconstruction and feature scores", () => {
    // Image 1: (2-2)/sqrt(2/3) + (8-4)/sqrt(32/3) + (8-7)/sqrt(8) = 0 + 1.224745 + 0.353553 = 1.578298.
    // Image 2: (5-2)/sqrt(2/3) + (-4-4)/sqrt(32/3) + (5-7)/sqrt(8) = 3.674235 - 2.449490 - 0.707107 = 0.517638.
    const out = combineComponents(x, s, 'combined');
    expect(out[0]).toBeCloseTo(1.578298, 5);
    expect(out[1]).toBeCloseTo(0.517638, 5);
  });

  it('a component without spread on the calibration images adds 0, not NaN', () => {
    const flat = componentScaling({ latent: [1, 1], reconstruction: [2, 2], features: [0, 4] });
    const out = combineComponents({ latent: [9], reconstruction: [9], features: [4] }, flat, 'combined');
    expect(out[0]).toBeCloseTo(1, 6); // (4 - 2)/2 from features only
    expect(combineComponents({ latent: [9], reconstruction: [9], features: [4] }, flat, 'skip')[0]).toBeCloseTo(0.1, 6);
  });

  it('rejects bad combinations and scalings with the argument named', () => {
    expect(() => combineComponents(x, s, 'sum' as 'skip')).toThrow(/combination/);
    const bad = { ...s, features: { ...s.features, std: -1 } } as ComponentScaling;
    expect(() => combineComponents(x, bad, 'combined')).toThrow(/scaling\.features/);
    expect(() => combineComponents(x, { ...s, count: 0 }, 'combined')).toThrow(/scaling\.count/);
    expect(COMBINED_COMPONENTS).toEqual(['latent', 'reconstruction', 'features']);
  });
});
