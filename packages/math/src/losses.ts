/**
 * GANomaly's training losses (Akcay et al., ACCV 2018; weights and forms from the authors' code).
 *
 * Every loss takes tensors and returns a new tf.Scalar; intermediates are freed with tf.tidy, so
 * the only tensor a call leaves behind is its result. The losses are differentiable and can be
 * used inside `optimizer.minimize` / `tf.variableGrads`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkNonNegativeNumber, fail, failWith } from '@ganomaly/common';
import { checkFloatTensor, checkSameShape, checkScalar } from './tensors.js';

/**
 * Adversarial (feature-matching) loss L_adv = mean((f(x) − f(x̂))²), where f is the discriminator's
 * last feature map. Matching features instead of fooling D's output is what keeps GANomaly's
 * generator training stable; the paper writes it as an L2 distance, the code uses the MSE.
 *
 * @param featuresReal f(x), D's feature map for real images.
 * @param featuresFake f(x̂), D's feature map for the reconstructions; same shape.
 */
export function adversarialLoss(featuresReal: tf.Tensor, featuresFake: tf.Tensor): tf.Scalar {
  const fn = 'adversarialLoss';
  const a = checkFloatTensor(featuresReal, 'featuresReal', fn);
  const b = checkFloatTensor(featuresFake, 'featuresFake', fn);
  checkSameShape(a, 'featuresReal', b, 'featuresFake', fn);
  return tf.tidy(() => tf.mean(tf.squaredDifference(a, b)) as tf.Scalar);
}

/**
 * Contextual (reconstruction) loss L_con = mean(|x − x̂|). L1 rather than L2 because it gives
 * sharper reconstructions (the paper's choice).
 *
 * @param x input images.
 * @param xHat reconstructions G(x); same shape.
 */
export function contextualLoss(x: tf.Tensor, xHat: tf.Tensor): tf.Scalar {
  const fn = 'contextualLoss';
  const a = checkFloatTensor(x, 'x', fn);
  const b = checkFloatTensor(xHat, 'xHat', fn);
  checkSameShape(a, 'x', b, 'xHat', fn);
  return tf.tidy(() => tf.mean(tf.abs(tf.sub(a, b))) as tf.Scalar);
}

/**
 * Encoder (latent) loss L_enc = mean((z − ẑ)²) between the first encoding z = G_E(x) and the
 * re-encoding ẑ = E(x̂). Training this down on normal data is what makes ‖z − ẑ‖ an anomaly score.
 *
 * @param z latent codes G_E(x).
 * @param zHat latent codes E(G(x)); same shape.
 */
export function encoderLoss(z: tf.Tensor, zHat: tf.Tensor): tf.Scalar {
  const fn = 'encoderLoss';
  const a = checkFloatTensor(z, 'z', fn);
  const b = checkFloatTensor(zHat, 'zHat', fn);
  checkSameShape(a, 'z', b, 'zHat', fn);
  return tf.tidy(() => tf.mean(tf.squaredDifference(a, b)) as tf.Scalar);
}

/** PyTorch's nn.BCELoss clamps each log term at −100 so that p = 0 or 1 gives a finite loss. */
const LOG_CLAMP = -100;
/** ... and divides its gradient by at least 1e-12, so that a saturated sigmoid gives a finite gradient. */
const GRAD_EPS = 1e-12;

/** max(log p, −100), with the gradient 1 / max(p, 1e-12): finite at p = 0, as in PyTorch. */
const clampedLog = tf.customGrad(((p: tf.Tensor, save: tf.GradSaveFunc) => {
  save([p]);
  return {
    value: tf.maximum(tf.log(p), LOG_CLAMP),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.div(dy, tf.maximum(saved[0], GRAD_EPS)),
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

/** max(log(1 − p), −100), with the gradient −1 / max(1 − p, 1e-12): finite at p = 1. */
const clampedLogOneMinus = tf.customGrad(((p: tf.Tensor, save: tf.GradSaveFunc) => {
  save([p]);
  return {
    // log1p keeps precision for small p.
    value: tf.maximum(tf.log1p(tf.neg(p)), LOG_CLAMP),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.neg(tf.div(dy, tf.maximum(tf.sub(1, saved[0]), GRAD_EPS))),
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

/**
 * Discriminator loss 0.5·[BCE(D(x), 1) + BCE(D(x̂), 0)], BCE as PyTorch's nn.BCELoss: each log
 * clamped to ≥ −100, mean over elements, and a finite gradient when D's sigmoid saturates (0 or 1
 * in float32), where a plain clamp would give NaN or −Infinity. The two predictions may differ in shape (each BCE is its
 * own mean).
 *
 * The predictions must be probabilities (after the sigmoid) in [0, 1]. This is not checked element
 * by element, because that would force a device-to-CPU read on every training step; values
 * outside [0, 1] give NaN.
 *
 * Pass D(x̂) computed from a detached x̂ (outside the generator's gradient) when training D.
 *
 * @param predReal D's probabilities for real images (target 1).
 * @param predFake D's probabilities for reconstructions (target 0).
 */
export function discriminatorLoss(predReal: tf.Tensor, predFake: tf.Tensor): tf.Scalar {
  const fn = 'discriminatorLoss';
  const r = checkFloatTensor(predReal, 'predReal', fn);
  const f = checkFloatTensor(predFake, 'predFake', fn);
  return tf.tidy(() => {
    // BCE(p, 1) = −mean(max(log p, −100))
    const bceReal = tf.neg(tf.mean(clampedLog(r) as tf.Tensor));
    // BCE(p, 0) = −mean(max(log(1 − p), −100))
    const bceFake = tf.neg(tf.mean(clampedLogOneMinus(f) as tf.Tensor));
    return tf.mul(tf.add(bceReal, bceFake), 0.5) as tf.Scalar;
  });
}

/** Weights of the generator's three loss terms. */
export interface LossWeights {
  /** w_adv, weight of the feature-matching loss. */
  adversarial: number;
  /** w_con, weight of the L1 reconstruction loss. */
  contextual: number;
  /** w_enc, weight of the latent loss. */
  encoder: number;
}

/** The three scalar loss terms that `generatorLoss` combines. */
export interface GeneratorLossParts {
  adversarial: tf.Scalar;
  contextual: tf.Scalar;
  encoder: tf.Scalar;
}

/**
 * The paper's weights: w_adv = 1, w_con = 50, w_enc = 1. The large contextual weight makes
 * reconstruction dominate early training.
 */
export const DEFAULT_LOSS_WEIGHTS: Readonly<LossWeights> = Object.freeze({
  adversarial: 1,
  contextual: 50,
  encoder: 1,
});

/** The keys of `LossWeights` (and of `GeneratorLossParts`). */
export const LOSS_KEYS = ['adversarial', 'contextual', 'encoder'] as const;

function checkKeys(value: unknown, arg: string, fn: string, requireAll: boolean): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof tf.Tensor) {
    fail(arg, fn, `an object with keys ${LOSS_KEYS.map((k) => `'${k}'`).join(', ')}`, value);
  }
  const obj = value as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    if (!(LOSS_KEYS as readonly string[]).includes(k)) {
      // A misspelt weight would otherwise silently fall back to its default.
      failWith(arg, fn, `an object with only the keys ${LOSS_KEYS.map((x) => `'${x}'`).join(', ')}`, `the key '${k}'`);
    }
  }
  if (requireAll) {
    for (const k of LOSS_KEYS) {
      if (!(k in obj)) failWith(arg, fn, `an object with the key '${k}'`, `an object without it`);
    }
  }
  return obj;
}

/**
 * Generator loss L = w_adv·L_adv + w_con·L_con + w_enc·L_enc.
 *
 * @param parts the three scalar losses (from adversarialLoss, contextualLoss, encoderLoss).
 * @param weights any subset of the weights; missing ones take DEFAULT_LOSS_WEIGHTS. Each must be a
 *   finite number ≥ 0; unknown keys are rejected so that a typo cannot silently use a default.
 */
export function generatorLoss(parts: GeneratorLossParts, weights: Partial<LossWeights> = {}): tf.Scalar {
  const fn = 'generatorLoss';
  const p = checkKeys(parts, 'parts', fn, true);
  const adv = checkScalar(p['adversarial'], 'parts.adversarial', fn);
  const con = checkScalar(p['contextual'], 'parts.contextual', fn);
  const enc = checkScalar(p['encoder'], 'parts.encoder', fn);
  const w = checkKeys(weights, 'weights', fn, false);
  const weight = (k: (typeof LOSS_KEYS)[number]): number =>
    w[k] === undefined ? DEFAULT_LOSS_WEIGHTS[k] : checkNonNegativeNumber(w[k], `weights.${k}`, fn);
  const wAdv = weight('adversarial');
  const wCon = weight('contextual');
  const wEnc = weight('encoder');
  return tf.tidy(
    () => tf.addN([tf.mul(adv, wAdv), tf.mul(con, wCon), tf.mul(enc, wEnc)]) as tf.Scalar,
  );
}

/**
 * Per-element sigmoid cross-entropy of logits against a constant target, averaged:
 * mean(max(l, 0) − l·t + log(1 + e^−|l|)), the stable form of BCE(sigmoid(l), t) (TensorFlow's
 * `sigmoid_cross_entropy_with_logits`, PyTorch's `BCEWithLogitsLoss`). Finite value and gradient
 * for any finite logit, which BCE on probabilities is not once the sigmoid saturates in float32.
 * Used by the GAN detectors whose discriminators output logits (AnoGAN, EGBAD).
 *
 * @param logits D's logits, any shape.
 * @param target the label of every element: a number in [0, 1] (1 = real, 0 = fake).
 */
export function sigmoidCrossEntropy(logits: tf.Tensor, target: number): tf.Scalar {
  const fn = 'sigmoidCrossEntropy';
  const l = checkFloatTensor(logits, 'logits', fn);
  if (typeof target !== 'number' || !(target >= 0 && target <= 1)) fail('target', fn, 'a number in [0, 1]', target);
  return tf.tidy(() => tf.mean(tf.add(tf.sub(tf.relu(l), tf.mul(l, target)), tf.log1p(tf.exp(tf.neg(tf.abs(l)))))) as tf.Scalar);
}
