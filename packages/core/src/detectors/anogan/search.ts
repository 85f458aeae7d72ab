// AnoGAN's scoring: for each image x, search the latent code z whose generated image G(z) is
// closest to x by gradient steps on the anomaly loss (1 − λ)·Σ|x − G(z)| + λ·Σ|f(x) − f(G(z))|,
// with G and D frozen and in inference mode. The images of a batch are searched together: z is
// one variable [n, 1, 1, latentDim] and the summed loss is minimised, which is the same as n
// separate searches because each image's loss depends on its own z only (BatchNorm in inference
// mode) and Adam's update is elementwise. Every image starts from the same seeded z0, so an
// image's score does not depend on the other images of its batch nor on its position.
import * as tf from '@tensorflow/tfjs-core';
import { AbortError, checkPositiveInt, fail } from '@ganomaly/common';
import { ANOGAN_LAMBDA, anomalyLoss } from './losses.js';
import type { AnoganNetworks } from './networks.js';

export interface LatentSearchOptions {
  /** Gradient steps per image (the paper: 500). */
  steps: number;
  /** Adam's learning rate on z. */
  learningRate: number;
  /** λ, the weight of the discrimination loss. Default 0.1. */
  lambda?: number;
  /** The start of every image's search, [1, 1, 1, latentDim] (broadcast over the batch). */
  z0: tf.Tensor;
  /** Stops the search between two steps with an AbortError. */
  signal?: AbortSignal;
  /** BatchNorm in training mode (the 'batch' scoring mode; searches then depend on the batch). Default false. */
  training?: boolean;
  /** Called every `progressEvery` steps and after the last one, with the steps done. */
  onStep?: (step: number, steps: number) => void | Promise<void>;
  /** How often `onStep` runs and the search yields to the event loop (so that an abort can land). Default 10. */
  progressEvery?: number;
}

export interface LatentSearchResult {
  /** The last z of each image, [n, 1, 1, latentDim]; the caller disposes it. */
  z: tf.Tensor4D;
  /** The anomaly loss of each image at the last z: the AnoGAN score. */
  loss: Float32Array;
  /** The anomaly loss of each image at z0, before the first step. */
  initialLoss: Float32Array;
}

const abortError = () => new AbortError('AnoGAN latent search aborted through its signal.');

/**
 * Searches z for every image of `x` ([n, s, s, c] in [-1, 1]) and returns the anomaly loss at the
 * end. Leaves no tensor behind but the returned z; aborting disposes everything it made.
 */
export async function searchLatent(nets: AnoganNetworks, x: tf.Tensor4D, o: LatentSearchOptions): Promise<LatentSearchResult> {
  const fn = 'searchLatent';
  const steps = o.steps === 0 ? 0 : checkPositiveInt(o.steps, 'options.steps', fn);
  if (!(typeof o.learningRate === 'number' && o.learningRate > 0 && Number.isFinite(o.learningRate))) {
    fail('options.learningRate', fn, 'a finite number > 0', o.learningRate);
  }
  const lambda = o.lambda ?? ANOGAN_LAMBDA;
  const every = checkPositiveInt(o.progressEvery ?? 10, 'options.progressEvery', fn);
  const latent = nets.generator.inputs[0]!.shape[3]!;
  if (!(o.z0 instanceof tf.Tensor) || o.z0.shape.join() !== [1, 1, 1, latent].join()) fail('options.z0', fn, `a tensor [1,1,1,${latent}]`, o.z0);
  if (o.signal?.aborted) throw abortError();

  const n = x.shape[0];
  const training = o.training ?? false;
  const fx = tf.tidy(() => (nets.discriminator.apply(x, { training }) as tf.Tensor[])[1]!);
  const start = tf.tile(o.z0, [n, 1, 1, 1]);
  const z = tf.variable(start, true);
  start.dispose();
  const lossAt = () =>
    tf.tidy(() => {
      const gz = nets.generator.apply(z, { training }) as tf.Tensor4D;
      const fgz = (nets.discriminator.apply(gz, { training }) as tf.Tensor[])[1]!;
      return anomalyLoss(x, gz, fx, fgz, lambda);
    });
  const optimizer = tf.train.adam(o.learningRate, 0.9, 0.999, 1e-8);
  try {
    const first = lossAt();
    const initialLoss = (await first.data()) as Float32Array;
    first.dispose();
    for (let step = 1; step <= steps; step++) {
      if (o.signal?.aborted) throw abortError();
      tf.tidy(() => {
        optimizer.minimize(() => tf.sum(lossAt()) as tf.Scalar, false, [z]);
      });
      if (step % every === 0 || step === steps) {
        await o.onStep?.(step, steps);
        // Yield so that an abort from a timer or an event handler is seen before the next step.
        await new Promise<void>((r) => setTimeout(r, 0));
      }
    }
    if (o.signal?.aborted) throw abortError();
    const last = lossAt();
    const loss = (await last.data()) as Float32Array;
    last.dispose();
    return { z: tf.keep(tf.clone(z)) as tf.Tensor4D, loss, initialLoss };
  } finally {
    optimizer.dispose();
    z.dispose();
    fx.dispose();
  }
}
