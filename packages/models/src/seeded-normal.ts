// A fast, bit-identical copy of tfjs-core 4.22's seeded normal generator (ops/rand_util.ts
// MPRandGauss over seedrandom 3.0.5's alea), as used by tf.randomNormal / tf.truncatedNormal with
// a seed and by tfjs-layers' RandomNormal initializer. tfjs draws each value through closures and
// object fields (about 10 M values/s); this is the same arithmetic in one loop over locals, so a
// seed gives exactly the same float32 weights as before, only faster (the initialisers of a
// 189 M-parameter model). Pinned by packages/models/test/seeded-normal.test.ts against tfjs.

/** seedrandom's Mash, fed ' ' three times and then the seed's string three times (as Alea does). */
function aleaState(seed: string): [number, number, number] {
  let n = 0xefc8249d;
  const mash = (data: string): number => {
    for (let i = 0; i < data.length; i++) {
      n += data.charCodeAt(i);
      let h = 0.02519603282416938 * n;
      n = h >>> 0;
      h -= n;
      h *= n;
      n = h >>> 0;
      h -= n;
      n += h * 0x100000000; // 2^32
    }
    return (n >>> 0) * 2.3283064365386963e-10; // 2^-32
  };
  let s0 = mash(' ');
  let s1 = mash(' ');
  let s2 = mash(' ');
  s0 -= mash(seed);
  if (s0 < 0) s0 += 1;
  s1 -= mash(seed);
  if (s1 < 0) s1 += 1;
  s2 -= mash(seed);
  if (s2 < 0) s2 += 1;
  return [s0, s1, s2];
}

/**
 * `count` values of N(mean, stdDev) (with `truncated`: redrawn outside mean ± 2·stdDev), exactly
 * as `tf.randomNormal` / `tf.truncatedNormal` (float32) give them for `seed`. The seed must be a
 * non-zero number (tfjs draws an unseeded stream from Math.random for 0 or undefined).
 */
export function seededNormal(count: number, mean: number, stdDev: number, seed: number, truncated = false): Float32Array {
  if (!seed) throw new Error('seededNormal needs a non-zero seed');
  const out = new Float32Array(count);
  let [s0, s1, s2] = aleaState(seed.toString());
  let c = 1;
  const upper = mean + stdDev * 2;
  const lower = mean - stdDev * 2;
  let i = 0;
  while (i < count) {
    let x = 0;
    let y = 0;
    for (;;) {
      let v1: number, v2: number, s: number;
      do {
        let t = 2091639 * s0 + c * 2.3283064365386963e-10;
        s0 = s1;
        s1 = s2;
        s2 = t - (c = t | 0);
        v1 = 2 * s2 - 1;
        t = 2091639 * s0 + c * 2.3283064365386963e-10;
        s0 = s1;
        s1 = s2;
        s2 = t - (c = t | 0);
        v2 = 2 * s2 - 1;
        s = v1 * v1 + v2 * v2;
      } while (s >= 1 || s === 0);
      const mul = Math.sqrt((-2.0 * Math.log(s)) / s);
      x = mean + stdDev * v1 * mul;
      y = mean + stdDev * v2 * mul;
      if (!truncated || (x <= upper && x >= lower)) break;
    }
    out[i++] = x;
    // tfjs keeps the pair's second value for the next draw (when it is in range).
    if (i < count && (!truncated || (y <= upper && y >= lower))) out[i++] = y;
  }
  return out;
}
