import { ValueError } from './errors.js';

/** A short description of any value for error messages: `Tensor[2,3] float32`, `array(5)`, `'abc'`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return `'${value.length > 40 ? value.slice(0, 37) + '...' : value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value === 'function') return 'a function';
  const v = value as { shape?: unknown; dtype?: unknown; length?: unknown; constructor?: { name?: string } };
  if (Array.isArray(v.shape) && typeof v.dtype === 'string') return `a Tensor of shape [${v.shape.join(',')}] and dtype ${v.dtype}`;
  if (ArrayBuffer.isView(value)) return `a ${v.constructor?.name ?? 'typed array'} of length ${(value as unknown as ArrayLike<unknown>).length}`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return `an object (${v.constructor?.name ?? 'Object'})`;
}

/**
 * Throws a ValueError shaped like tfjs's own messages:
 * "Argument 'x' passed to 'score' must be <expected>, but got <what came>."
 */
export function fail(arg: string, fn: string, expected: string, got: unknown): never {
  throw new ValueError(`Argument '${arg}' passed to '${fn}' must be ${expected}, but got ${describe(got)}.`);
}

/** Like `fail`, when the caller already has a description of what came. */
export function failWith(arg: string, fn: string, expected: string, gotDescription: string): never {
  throw new ValueError(`Argument '${arg}' passed to '${fn}' must be ${expected}, but got ${gotDescription}.`);
}

export function checkPositiveInt(value: unknown, arg: string, fn: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) fail(arg, fn, 'a positive integer', value);
  return value;
}

export function checkNonNegativeNumber(value: unknown, arg: string, fn: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(arg, fn, 'a finite number >= 0', value);
  return value;
}

export function checkFiniteNumber(value: unknown, arg: string, fn: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(arg, fn, 'a finite number', value);
  return value;
}

export function checkOneOf<T extends string>(value: unknown, allowed: readonly T[], arg: string, fn: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(arg, fn, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
  }
  return value as T;
}

/** Checks that every entry of a numeric array is finite; names the first offending index. */
export function checkAllFinite(values: ArrayLike<number>, arg: string, fn: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      failWith(arg, fn, 'finite numbers only', `${values[i]} at index ${i}`);
    }
  }
}

export type NumericArray = ArrayLike<number>;

/** Accepts number[], Float32Array, Float64Array, Int32Array, Uint8Array ... */
export function checkNumericArray(value: unknown, arg: string, fn: string): NumericArray {
  if (Array.isArray(value)) {
    if (!value.every((v) => typeof v === 'number')) fail(arg, fn, 'an array of numbers', value);
    return value as number[];
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return value as unknown as NumericArray;
  return fail(arg, fn, 'an array or typed array of numbers', value);
}

/**
 * Labels 0 (normal) and 1 (anomaly), one per item: an array or typed array (not a tensor: read its
 * values with `await labels.data()` first) of `count` values. With `bothClasses` (what needs both,
 * e.g. 'AUROC and the other metrics compare the two'), both must occur. Returns them as a Uint8Array.
 */
export function checkBinaryLabels(labels: unknown, count: number, arg: string, fn: string, options: { bothClasses?: string } = {}): Uint8Array {
  const l = labels as { shape?: unknown; dtype?: unknown } | null;
  if (l !== null && typeof l === 'object' && Array.isArray(l.shape) && typeof l.dtype === 'string') {
    fail(arg, fn, "an array or typed array of 0/1 labels (read a tensor's values with await labels.data() first)", labels);
  }
  if (!Array.isArray(labels) && !(ArrayBuffer.isView(labels) && !(labels instanceof DataView))) {
    fail(arg, fn, 'an array or typed array of 0/1 labels (1 = anomaly)', labels);
  }
  const values = labels as ArrayLike<unknown>;
  if (values.length !== count) failWith(arg, fn, `one label per image (${count})`, `${values.length} labels`);
  const out = new Uint8Array(values.length);
  let anomalies = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (v !== 0 && v !== 1) failWith(arg, fn, 'labels 0 (normal) or 1 (anomaly)', `${String(values[i])} at index ${i}`);
    out[i] = v;
    anomalies += v;
  }
  if (options.bothClasses && (anomalies === 0 || anomalies === count)) {
    failWith(arg, fn, `both normal (0) and anomalous (1) examples, since ${options.bothClasses}`, `${count - anomalies} normal and ${anomalies} anomalous`);
  }
  return out;
}
