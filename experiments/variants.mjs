// The score variants of issue #15, computed from one training run's score components (the
// library's `scoreComponents`, or bench/pytorch/ganomaly.py's `score_components`), so that the
// records of both implementations carry the AUROC of every variant with the same code.
//
// Components (one value per image): latent = mean (z − ẑ)², latent_l1 = Σ|z − ẑ|,
// reconstruction = mean |x − x̂|, reconstruction_l2 = mean (x − x̂)², features = mean (f(x) − f(x̂))²
// on D's feature map (D with recomputed population BatchNorm statistics).
// Variants: the five components themselves, plus
//   skip     = 0.9·reconstruction_l2' + 0.1·features', each min-max scaled by its min and max over
//              the calibration images (Skip-GANomaly's score: its code uses the mean squared error),
//   combined = Σ over latent, reconstruction, features of (v − mean)/std on the calibration images.
// The calibration images are held-out NORMAL images of the training side, never the test set.
import { auroc } from '@ganomaly/math';

export const COMPONENTS = /** @type {const} */ (['latent', 'latent_l1', 'reconstruction', 'reconstruction_l2', 'features']);
export const VARIANTS = /** @type {const} */ ([...COMPONENTS, 'skip', 'combined']);

/** The library's component names -> the records' names. */
export const LIBRARY_NAMES = { latent: 'latent', latentL1: 'latent_l1', reconstruction: 'reconstruction', reconstructionL2: 'reconstruction_l2', features: 'features' };

/** @param {Record<string, ArrayLike<number>>} c library components -> record names */
export function fromLibrary(c) {
  /** @type {Record<string, Float64Array>} */
  const out = {};
  for (const [k, v] of Object.entries(LIBRARY_NAMES)) {
    if (!c[k]) throw new Error(`score components lack '${k}'`);
    out[v] = Float64Array.from(c[k]);
  }
  return out;
}

/** @param {ArrayLike<number>} xs */
function stats(xs) {
  let min = Infinity, max = -Infinity, s = 0, s2 = 0;
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    if (v < min) min = v;
    if (v > max) max = v;
    s += v;
    s2 += v * v;
  }
  const mean = s / xs.length;
  const std = Math.sqrt(Math.max(0, s2 / xs.length - mean * mean));
  return { min, max, mean, std };
}

/**
 * Every variant's scores of `comp`, with skip and combined scaled on `cal` (components of the
 * calibration images). A zero range or std scales by 1 (the term only shifts).
 * @param {Record<string, ArrayLike<number>>} comp @param {Record<string, ArrayLike<number>>} cal
 * @returns {Record<string, Float64Array>}
 */
export function variantScores(comp, cal) {
  const n = comp.latent.length;
  /** @type {Record<string, Float64Array>} */
  const out = {};
  for (const k of COMPONENTS) out[k] = Float64Array.from(comp[k]);
  const st = Object.fromEntries(COMPONENTS.map((k) => [k, stats(cal[k])]));
  const mm = (/** @type {string} */ k, /** @type {number} */ v) => (v - st[k].min) / (st[k].max - st[k].min || 1);
  const z = (/** @type {string} */ k, /** @type {number} */ v) => (v - st[k].mean) / (st[k].std || 1);
  out.skip = new Float64Array(n);
  out.combined = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    out.skip[i] = 0.9 * mm('reconstruction_l2', comp.reconstruction_l2[i]) + 0.1 * mm('features', comp.features[i]);
    out.combined[i] = z('latent', comp.latent[i]) + z('reconstruction', comp.reconstruction[i]) + z('features', comp.features[i]);
  }
  return out;
}

/**
 * AUROC of every variant on labelled images (1 = anomaly).
 * @param {Record<string, ArrayLike<number>>} comp @param {ArrayLike<number>} labels @param {Record<string, ArrayLike<number>>|null} cal
 * @returns {Record<string, number|null>}
 */
export function variantAurocs(comp, labels, cal) {
  // Without calibration images, skip and combined are not defined (null).
  const s = cal ? variantScores(comp, cal) : Object.fromEntries(COMPONENTS.map((k) => [k, comp[k]]));
  /** @type {Record<string, number|null>} */
  const out = {};
  for (const k of VARIANTS) {
    if (!s[k]) {
      out[k] = null;
      continue;
    }
    const v = auroc(s[k], labels);
    out[k] = Number.isFinite(v) ? v : null;
  }
  return out;
}

/**
 * Per-epoch AUROCs (list of {variant: auroc}) -> {variant: [per epoch]}.
 * @param {Record<string, number|null>[]} perEpoch
 */
export function byVariant(perEpoch) {
  return Object.fromEntries(VARIANTS.map((k) => [k, perEpoch.map((e) => e[k] ?? null)]));
}
