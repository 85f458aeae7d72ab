import { fail, failWith } from '@ganomaly/common';

/**
 * Which seeded generator drives a shuffle:
 * - `'mulberry32'`: small and fast, the package's own default for batching;
 * - `'numpy'`: MT19937 seeded and consumed exactly like NumPy's legacy `np.random.seed(s);
 *   np.random.shuffle(idx)`, so a seed gives the same permutation as the authors' Python code.
 */
export type ShuffleRng = 'mulberry32' | 'numpy';

function checkSeed(seed: unknown, arg: string, fn: string): number {
  if (typeof seed !== 'number' || !Number.isInteger(seed)) fail(arg, fn, 'an integer seed', seed);
  return seed;
}

function checkCount(n: unknown, arg: string, fn: string): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0x7fffffff) fail(arg, fn, 'an integer in [0, 2^31)', n);
  return n;
}

/**
 * Mulberry32, a tiny seeded PRNG (32-bit state): returns a function giving floats in [0, 1).
 * The seed is taken modulo 2^32. Not for cryptography.
 */
export function mulberry32(seed: number): () => number {
  let a = checkSeed(seed, 'seed', 'mulberry32') >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The MT19937 Mersenne Twister, seeded like NumPy's legacy `np.random.seed(seed)` (init_genrand;
 * seed in [0, 2^32)): returns a function giving the next 32-bit unsigned integer.
 */
export function mt19937(seed: number): () => number {
  const fn = 'mt19937';
  checkSeed(seed, 'seed', fn);
  if (seed < 0 || seed > 0xffffffff) fail('seed', fn, 'an integer in [0, 2^32) (the range NumPy accepts)', seed);
  const N = 624;
  const M = 397;
  const mt = new Uint32Array(N);
  mt[0] = seed >>> 0;
  for (let i = 1; i < N; i++) {
    const prev = mt[i - 1]!;
    mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
  }
  let pos = N;
  const twist = () => {
    for (let k = 0; k < N; k++) {
      const y = (mt[k]! & 0x80000000) | (mt[(k + 1) % N]! & 0x7fffffff);
      mt[k] = mt[(k + M) % N]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    pos = 0;
  };
  return () => {
    if (pos >= N) twist();
    let y = mt[pos++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  };
}

/** A uniform integer in [0, max] from 32-bit draws, by NumPy's masked rejection (`random_interval`). */
function numpyInterval(next: () => number, max: number): number {
  if (max === 0) return 0;
  let mask = max;
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  let v: number;
  do v = (next() & mask) >>> 0;
  while (v > max);
  return v;
}

/**
 * Shuffles `arr` in place (Fisher–Yates from the end) with a seeded generator that the caller keeps,
 * so that several shuffles can draw from one stream. Internal building block of the exports below.
 */
export function makeShuffler(seed: number, rng: ShuffleRng, fn: string): (arr: Int32Array) => Int32Array {
  if (rng === 'numpy') {
    const next = mt19937(seed);
    return (arr) => {
      for (let i = arr.length - 1; i > 0; i--) {
        const j = numpyInterval(next, i);
        const t = arr[i]!;
        arr[i] = arr[j]!;
        arr[j] = t;
      }
      return arr;
    };
  }
  if (rng === 'mulberry32') {
    const rand = mulberry32(seed);
    return (arr) => {
      for (let i = arr.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        const t = arr[i]!;
        arr[i] = arr[j]!;
        arr[j] = t;
      }
      return arr;
    };
  }
  return fail('rng', fn, "'mulberry32' or 'numpy'", rng);
}

/** `ShuffleRng` argument check shared by the exports that accept one. */
export function checkRng(rng: unknown, arg: string, fn: string): ShuffleRng {
  if (rng !== 'mulberry32' && rng !== 'numpy') fail(arg, fn, "'mulberry32' or 'numpy'", rng);
  return rng;
}

/**
 * 0..n-1 in a random order (Fisher–Yates), the same order for the same seed. `rng: 'numpy'` gives
 * exactly NumPy's `np.random.seed(seed); idx = np.arange(n); np.random.shuffle(idx)`.
 */
export function shuffledIndices(n: number, seed: number, rng: ShuffleRng = 'mulberry32'): Int32Array {
  const fn = 'shuffledIndices';
  checkCount(n, 'n', fn);
  checkSeed(seed, 'seed', fn);
  checkRng(rng, 'rng', fn);
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  return makeShuffler(seed, rng, fn)(idx);
}

/** Options of `batchIndices`. */
export interface BatchOptions {
  /** Shuffle before batching (needs `seed`). Default false: 0..n-1 in order. */
  shuffle?: boolean;
  /** Seed of the shuffle; pass e.g. `baseSeed + epoch` for a new order every epoch. */
  seed?: number;
  /** Drop a last batch smaller than `batchSize` (as the authors' training loader does). Default false. */
  dropLast?: boolean;
}

/**
 * Splits 0..n-1 (shuffled with `seed` when `shuffle` is true) into batches of `batchSize` indices.
 * The last batch is smaller unless `dropLast`; every index appears exactly once across the batches
 * (except the dropped ones).
 */
export function batchIndices(n: number, batchSize: number, options: BatchOptions = {}): Int32Array[] {
  const fn = 'batchIndices';
  checkCount(n, 'n', fn);
  if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize <= 0) fail('batchSize', fn, 'a positive integer', batchSize);
  if (options === null || typeof options !== 'object') fail('options', fn, 'an object {shuffle?, seed?, dropLast?}', options);
  const { shuffle = false, seed, dropLast = false } = options;
  if (typeof shuffle !== 'boolean') fail('options.shuffle', fn, 'a boolean', shuffle);
  if (typeof dropLast !== 'boolean') fail('options.dropLast', fn, 'a boolean', dropLast);
  let order: Int32Array;
  if (shuffle) {
    if (seed === undefined) failWith('options.seed', fn, 'an integer seed when shuffle is true (shuffles are always reproducible)', 'undefined');
    order = shuffledIndices(n, checkSeed(seed, 'options.seed', fn));
  } else {
    if (seed !== undefined) checkSeed(seed, 'options.seed', fn);
    order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
  }
  const batches: Int32Array[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(start + batchSize, n);
    if (dropLast && end - start < batchSize) break;
    batches.push(order.slice(start, end));
  }
  return batches;
}
