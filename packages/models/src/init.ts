import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/**
 * The spec's DCGAN initialisation: conv weights N(0, 0.02), BatchNorm gamma N(1, 0.02), beta 0.
 * Each layer gets its own seed derived from the network seed, so that a seed rebuilds the same
 * weights and two layers never share a random stream.
 */
export class SeededInit {
  private counter = 0;
  constructor(private readonly seed: number) {}

  private next(): number {
    // A simple integer hash (splitmix-like) of (seed, counter).
    let h = (this.seed * 0x9e3779b1 + ++this.counter * 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
    return (h ^ (h >>> 16)) >>> 0;
  }

  conv(): ReturnType<typeof tfl.initializers.randomNormal> {
    return tfl.initializers.randomNormal({ mean: 0, stddev: 0.02, seed: this.next() });
  }

  gamma(): ReturnType<typeof tfl.initializers.randomNormal> {
    return tfl.initializers.randomNormal({ mean: 1, stddev: 0.02, seed: this.next() });
  }

  /** A BatchNormalization layer with the network's momentum and epsilon and the spec's init. */
  batchNorm(o: { batchNormMomentum: number; batchNormEpsilon: number }, name: string): tfl.layers.Layer {
    return tfl.layers.batchNormalization({
      momentum: o.batchNormMomentum,
      epsilon: o.batchNormEpsilon,
      gammaInitializer: this.gamma(),
      betaInitializer: 'zeros',
      name,
    });
  }
}

/**
 * Re-draws every weight of a model (the rule for re-initialising a collapsed D), by weight name:
 * kernels (also depthwise_/pointwise_kernel) ~ N(0, 0.02), gamma ~ N(1, 0.02), moving variance 1,
 * everything else (beta, bias, moving mean) 0. A new seed gives a fresh draw.
 */
export function reinitializeWeights(model: tfl.LayersModel, seed: number): void {
  const init = new SeededInit(seed);
  tf.tidy(() => {
    for (const layer of model.layers) {
      for (const w of layer.weights) {
        const short = w.originalName.split('/').pop() ?? '';
        let value: tf.Tensor;
        if (short === 'kernel' || short.endsWith('_kernel')) value = init.conv().apply(w.shape as number[], 'float32');
        else if (short === 'gamma') value = init.gamma().apply(w.shape as number[], 'float32');
        else if (short === 'moving_variance') value = tf.ones(w.shape as number[]);
        else value = tf.zeros(w.shape as number[]); // beta, bias, moving_mean
        w.write(value);
      }
    }
  });
}
