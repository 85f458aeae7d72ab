import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { seededNormal } from './seeded-normal.js';

type RandomNormalInit = ReturnType<typeof tfl.initializers.randomNormal>;

/**
 * tfjs-layers' RandomNormal initializer (same class, same saved config) whose `apply` draws
 * through `seededNormal`: the same float32 values tfjs's seeded randomNormal gives, several times
 * faster. Without a usable seed (0/undefined: tfjs then draws from Math.random) or for int32 it
 * is tfjs's own apply.
 */
export function fastRandomNormal(args: { mean: number; stddev: number; seed?: number }): RandomNormalInit {
  const init = tfl.initializers.randomNormal(args);
  const own = init.apply.bind(init);
  const f = init as unknown as { mean: number; stddev: number; seed?: number };
  init.apply = (shape: Parameters<RandomNormalInit['apply']>[0], dtype?: tf.DataType): tf.Tensor => {
    if ((dtype ?? 'float32') !== 'float32' || !f.seed || !Number.isFinite(f.mean) || !Number.isFinite(f.stddev)) return own(shape, dtype);
    const dims = shape as number[];
    return tf.tensor(seededNormal(dims.reduce((a, b) => a * b, 1), f.mean, f.stddev, f.seed), dims, 'float32');
  };
  return init;
}

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

  conv(): RandomNormalInit {
    return fastRandomNormal({ mean: 0, stddev: 0.02, seed: this.next() });
  }

  gamma(): RandomNormalInit {
    return fastRandomNormal({ mean: 1, stddev: 0.02, seed: this.next() });
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
