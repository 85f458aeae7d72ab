// The score variants of issue #15, computed from one training run's score components (the
// library's `scoreComponents`, or bench/pytorch/ganomaly.py's `score_components`), so that the
// records of both implementations carry the AUROC of every variant with the same code.
//
// Components (one value per image): latent = mean (z − ẑ)², latent_l1 = Σ|z − ẑ|,
// reconstruction = mean |x − x̂|, reconstruction_l2 = mean (x − x̂)², features = mean (f(x) − f(x̂))²
// on D's feature map (D with recomputed population BatchNorm statistics); the library's records
// also have knn = the distance from z to the nearest code of the training images (scoreVariant 'knn').
// Variants: the five components themselves, plus
//   skip     = 0.9·reconstruction' + 0.1·features', each min-max scaled by its min and max over
//              the calibration images (Skip-GANomaly's score),
//   combined = Σ over latent, reconstruction, features of (v − mean)/std on the calibration images,
// computed by @ganomaly/math's componentScaling / combineComponents (the library's scoreVariant).
// The calibration images are held-out NORMAL images of the training side, never the test set.
import { auroc, combineComponents, componentScaling } from '@ganomaly/math';

export const COMPONENTS = /** @type {const} */ (['latent', 'latent_l1', 'reconstruction', 'reconstruction_l2', 'features']);
export const VARIANTS = /** @type {const} */ ([...COMPONENTS, 'skip', 'combined', 'knn']);

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
  // The library's memory-based component (PyTorch's records have none).
  if (c.knn) out.knn = Float64Array.from(c.knn);
  return out;
}

/**
 * Every variant's scores of `comp`, with skip and combined computed by the library's own
 * `componentScaling` (fitted on `cal`, the components of the calibration images) and
 * `combineComponents`, so the records measure exactly what `scoreVariant` 'skip' / 'combined' ship.
 * @param {Record<string, ArrayLike<number>>} comp @param {Record<string, ArrayLike<number>>} cal
 * @returns {Record<string, Float64Array>}
 */
export function variantScores(comp, cal) {
  /** @type {Record<string, Float64Array>} */
  const out = {};
  for (const k of COMPONENTS) out[k] = Float64Array.from(comp[k]);
  if (comp.knn) out.knn = Float64Array.from(comp.knn);
  const pick = (/** @type {Record<string, ArrayLike<number>>} */ c) => ({ latent: c.latent, reconstruction: c.reconstruction, features: c.features });
  const scaling = componentScaling(pick(cal));
  for (const k of /** @type {const} */ (['skip', 'combined'])) out[k] = Float64Array.from(combineComponents(pick(comp), scaling, k));
  return out;
}

/**
 * AUROC of every variant on labelled images (1 = anomaly).
 * @param {Record<string, ArrayLike<number>>} comp @param {ArrayLike<number>} labels @param {Record<string, ArrayLike<number>>|null} cal
 * @returns {Record<string, number|null>}
 */
export function variantAurocs(comp, labels, cal) {
  // Without calibration images, skip and combined are not defined (null).
  const s = cal ? variantScores(comp, cal) : Object.fromEntries([...COMPONENTS, 'knn'].map((k) => [k, comp[k]]));
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
