/**
 * @ganomaly/math: GANomaly's losses, anomaly score, score normalisation, thresholds and
 * evaluation metrics. Tensor functions use @tensorflow/tfjs-core (a peer dependency, so the app's
 * single engine is used); the rest works on plain number arrays.
 */
export * from './losses.js';
export * from './score.js';
export * from './normalize.js';
export * from './thresholds.js';
export * from './metrics.js';
export * from './combine.js';
