/**
 * Combined anomaly scores from GANomaly's score components: Skip-GANomaly's weighted sum of the
 * min-max scaled reconstruction and feature errors ('skip'), and the sum of the standardised
 * latent, reconstruction and feature scores ('combined'). The scaling is fitted once on
 * calibration images (normal, held out of training, never the test set) and stored with the
 * model, so a single new image scores the same whatever it is scored with.
 */
import { checkAllFinite, checkNumericArray, checkOneOf, fail, failWith } from '@ganomaly/common';

/** The components a combined score draws on. */
export const COMBINED_COMPONENTS = ['latent', 'reconstruction', 'features'] as const;
export type CombinedComponent = (typeof COMBINED_COMPONENTS)[number];

/** One value per image for each component (e.g. what Ganomaly.scoreComponents returns). */
export type ComponentValues = Record<CombinedComponent, ArrayLike<number>>;

/** Min, max, mean and (population) standard deviation of one component over the calibration images. */
export interface ComponentStatistics {
  min: number;
  max: number;
  mean: number;
  std: number;
}

/** What `componentScaling` fits: the statistics of each component, and over how many images. */
export type ComponentScaling = Record<CombinedComponent, ComponentStatistics> & { count: number };

/** Skip-GANomaly's weights (lambda = 0.9 on the reconstruction error). */
export const SKIP_WEIGHTS = Object.freeze({ reconstruction: 0.9, features: 0.1 });

/** The combinations `combineComponents` computes. */
export const COMBINATIONS = ['skip', 'combined'] as const;
export type Combination = (typeof COMBINATIONS)[number];

function checkComponents(values: unknown, fn: string, count?: number): ComponentValues {
  if (values === null || typeof values !== 'object') fail('components', fn, 'an object {latent, reconstruction, features} of score arrays', values);
  const v = values as Record<string, unknown>;
  let n = count;
  for (const k of COMBINED_COMPONENTS) {
    const a = checkNumericArray(v[k], `components.${k}`, fn);
    checkAllFinite(a, `components.${k}`, fn);
    if (n === undefined) n = a.length;
    else if (a.length !== n) failWith(`components.${k}`, fn, `${n} values (as many as the other components)`, `${a.length}`);
  }
  return v as ComponentValues;
}

/** Fits the statistics of each component on the scores of calibration images (at least one image). */
export function componentScaling(components: ComponentValues): ComponentScaling {
  const fn = 'componentScaling';
  const c = checkComponents(components, fn);
  const n = c.latent.length;
  if (n === 0) fail('components', fn, 'scores of at least one image', 'empty arrays');
  const out = { count: n } as ComponentScaling;
  for (const k of COMBINED_COMPONENTS) {
    const a = c[k];
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const x = a[i]!;
      if (x < min) min = x;
      if (x > max) max = x;
      sum += x;
    }
    const mean = sum / n;
    let sq = 0;
    for (let i = 0; i < n; i++) sq += (a[i]! - mean) ** 2;
    out[k] = { min, max, mean, std: Math.sqrt(sq / n) };
  }
  return out;
}

/** Throws a ValueError unless `s` is a well-formed ComponentScaling (e.g. read from a saved model). */
export function checkComponentScaling(s: unknown, arg: string, fn: string): ComponentScaling {
  if (s === null || typeof s !== 'object') fail(arg, fn, 'a ComponentScaling {latent, reconstruction, features, count}', s);
  const r = s as Record<string, unknown>;
  for (const k of COMBINED_COMPONENTS) {
    const st = r[k] as Record<string, unknown> | undefined;
    const ok = st && typeof st === 'object' && ['min', 'max', 'mean', 'std'].every((f) => Number.isFinite(st[f])) && (st.min as number) <= (st.max as number) && (st.std as number) >= 0;
    if (!ok) fail(`${arg}.${k}`, fn, 'finite {min, max, mean, std} with min <= max and std >= 0', st);
  }
  if (!Number.isInteger(r.count) || (r.count as number) < 1) fail(`${arg}.count`, fn, 'a positive integer', r.count);
  return s as ComponentScaling;
}

/**
 * The combined score of every image:
 * - `'skip'`: 0.9·(r − r_min)/(r_max − r_min) + 0.1·(f − f_min)/(f_max − f_min), r the reconstruction
 *   and f the feature error, min and max from the calibration images;
 * - `'combined'`: Σ over latent, reconstruction, features of (c − mean)/std, mean and std from the
 *   calibration images.
 * Not clipped: an image can lie outside the calibration range. A component without spread on the
 * calibration images (max = min, std = 0) adds 0 for every image rather than NaN.
 */
export function combineComponents(components: ComponentValues, scaling: ComponentScaling, combination: Combination): Float32Array {
  const fn = 'combineComponents';
  const how = checkOneOf(combination, COMBINATIONS, 'combination', fn);
  const sc = checkComponentScaling(scaling, 'scaling', fn);
  const c = checkComponents(components, fn);
  const n = c.latent.length;
  const sum = new Float64Array(n);
  const parts: [CombinedComponent, number][] = how === 'skip' ? [['reconstruction', SKIP_WEIGHTS.reconstruction], ['features', SKIP_WEIGHTS.features]] : COMBINED_COMPONENTS.map((k) => [k, 1]);
  for (const [k, w] of parts) {
    const st = sc[k];
    const [center, spread] = how === 'skip' ? [st.min, st.max - st.min] : [st.mean, st.std];
    if (spread === 0) continue;
    const a = c[k];
    for (let i = 0; i < n; i++) sum[i] += (w * (a[i]! - center)) / spread;
  }
  return Float32Array.from(sum);
}
