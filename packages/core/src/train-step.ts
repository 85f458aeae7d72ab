// The pieces of one GANomaly training iteration, shared by the single-thread step (Ganomaly.fit)
// and the data-parallel one (data-parallel.ts, train-worker.ts), so that both compute the same
// losses with the same operations. Not part of the public API.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { adversarialLoss, contextualLoss, discriminatorLoss, encoderLoss, generatorLoss, type LossWeights } from '@ganomaly/math';
import type { GanomalyNetworks } from '@ganomaly/models';

/** The generator chain G_E -> G_D -> E. */
export function forward(nets: GanomalyNetworks, x: tf.Tensor4D, training: boolean): { z: tf.Tensor; xHat: tf.Tensor4D; zHat: tf.Tensor } {
  const z = nets.encoder.apply(x, { training }) as tf.Tensor;
  const xHat = nets.decoder.apply(z, { training }) as tf.Tensor4D;
  const zHat = nets.reencoder.apply(xHat, { training }) as tf.Tensor;
  return { z, xHat, zHat };
}

function trainableVariables(model: tfl.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** G's trainable variables (G_E, G_D, E), in the order the generator's optimizer sees them. */
export function generatorVariables(nets: GanomalyNetworks): tf.Variable[] {
  return [nets.encoder, nets.decoder, nets.reencoder].flatMap(trainableVariables);
}

/** D's trainable variables, in the order the discriminator's optimizer sees them. */
export function discriminatorVariables(nets: GanomalyNetworks): tf.Variable[] {
  return trainableVariables(nets.discriminator);
}

/**
 * The generator's loss w_adv·L_adv + w_con·L_con + w_enc·L_enc on `x` (all networks in training
 * mode). `keep` receives, kept out of any tidy, the reconstruction x̂ (for D's step) and the three
 * loss terms.
 */
export function generatorObjective(
  nets: GanomalyNetworks,
  x: tf.Tensor4D,
  weights: Partial<LossWeights>,
  keep: (fake: tf.Tensor4D, parts: tf.Scalar[]) => void,
): () => tf.Scalar {
  return () => {
    const { z, xHat, zHat } = forward(nets, x, true);
    const [, featReal] = nets.discriminator.apply(x, { training: true }) as tf.Tensor[];
    const [, featFake] = nets.discriminator.apply(xHat, { training: true }) as tf.Tensor[];
    const adversarial = adversarialLoss(featReal, featFake);
    const contextual = contextualLoss(x, xHat);
    const encoder = encoderLoss(z, zHat);
    keep(tf.keep(xHat), [tf.keep(adversarial), tf.keep(contextual), tf.keep(encoder)]);
    return generatorLoss({ adversarial, contextual, encoder }, weights);
  };
}

/** D's loss on real `x` and the (detached) reconstruction `fake`, in training mode. */
export function discriminatorObjective(nets: GanomalyNetworks, x: tf.Tensor4D, fake: tf.Tensor4D): () => tf.Scalar {
  return () => {
    const [predReal] = nets.discriminator.apply(x, { training: true }) as tf.Tensor[];
    const [predFake] = nets.discriminator.apply(fake, { training: true }) as tf.Tensor[];
    return discriminatorLoss(predReal, predFake);
  };
}

/** Gradients of one shard: G's and D's, in variable order, and its losses [g, d, adv, con, enc]. */
export interface ShardGradients {
  generator: tf.Tensor[];
  discriminator: tf.Tensor[];
  losses: tf.Tensor1D;
}

/**
 * The gradients of one training iteration on `x`, without applying them: G's gradient of the
 * generator loss, then D's gradient on the reconstruction x̂ made by the same (not yet updated) G.
 * D's gradient does not depend on G's update (x̂ is detached and G's step does not change D's
 * weights), so computing both before applying either is the single-thread step exactly. As
 * there, the forward passes in training mode move the BatchNorm running averages of the networks
 * that compute them. The caller owns the returned tensors.
 */
export function shardGradients(nets: GanomalyNetworks, x: tf.Tensor4D, weights: Partial<LossWeights>): ShardGradients {
  const gVars = generatorVariables(nets);
  const dVars = discriminatorVariables(nets);
  let fake: tf.Tensor4D | null = null;
  let parts: tf.Scalar[] = [];
  const g = tf.variableGrads(
    generatorObjective(nets, x, weights, (f, p) => {
      fake = f;
      parts = p;
    }),
    gVars,
  );
  const d = tf.variableGrads(discriminatorObjective(nets, x, fake!), dVars);
  const losses = tf.stack([g.value, d.value, ...parts]) as tf.Tensor1D;
  const pick = (grads: tf.NamedTensorMap, vars: tf.Variable[], who: string) =>
    vars.map((v) => {
      const t = grads[v.name];
      if (!t) throw new Error(`No ${who} gradient for variable ${v.name}.`);
      return t;
    });
  const out = { generator: pick(g.grads, gVars, "G's"), discriminator: pick(d.grads, dVars, "D's"), losses };
  tf.dispose([g.value, d.value, fake!, ...parts]);
  return out;
}
