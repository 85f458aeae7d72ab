import { expect } from 'vitest';
import { ValueError } from '@ganomaly/common';

/** Asserts `f` throws a ValueError whose message matches every pattern. */
export function expectValueError(f: () => unknown, ...patterns: RegExp[]): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a ValueError to be thrown').toBeInstanceOf(ValueError);
  for (const p of patterns) expect((err as Error).message).toMatch(p);
}

/** Element-wise toBeCloseTo with equal lengths. */
export function expectAllClose(got: ArrayLike<number>, want: ArrayLike<number>, digits = 12): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Number.isFinite(want[i])) expect(got[i], `index ${i}`).toBeCloseTo(want[i]!, digits);
    else expect(got[i], `index ${i}`).toBe(want[i]);
  }
}
