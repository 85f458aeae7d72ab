import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/**
 * BatchNorm at scoring time decides whether GANomaly works (see docs/choices.md):
 * - 'population': recompute each BatchNorm layer's mean and variance exactly over the training
 *   images after training, then score in inference mode (default: per-image, deterministic);
 * - 'running': inference mode with the running averages left by training (plain tfjs/keras);
 * - 'batch': normalise with the statistics of the batch being scored (the original code).
 */
export type BatchNormMode = 'population' | 'running' | 'batch';
export const BATCH_NORM_MODES: readonly BatchNormMode[] = ['population', 'running', 'batch'];

type BN = tfl.layers.Layer & { movingMean: tfl.LayerVariable; movingVariance: tfl.LayerVariable };

export function batchNormLayers(model: tfl.LayersModel): BN[] {
  return model.layers.filter((l) => l.getClassName() === 'BatchNormalization') as BN[];
}

/**
 * A copy of the moving mean and variance of every BatchNorm layer of some models: used to put the
 * running averages back after a pass that changed them, and to keep the running averages beside
 * recomputed population statistics (so both BatchNorm modes stay available).
 */
export class BatchNormSnapshot {
  private constructor(private readonly saved: { layer: BN; mean: tf.Tensor; variance: tf.Tensor }[]) {}

  static capture(models: tfl.LayersModel[]): BatchNormSnapshot {
    return new BatchNormSnapshot(
      models.flatMap(batchNormLayers).map((layer) => ({
        layer,
        mean: tf.clone(layer.movingMean.read()),
        variance: tf.clone(layer.movingVariance.read()),
      })),
    );
  }

  /**
   * A snapshot holding the given statistics (copied) for the BatchNorm layers of `models`, in
   * the order `tensors()` returns them: mean and variance of each layer in turn. For restoring a
   * saved training state.
   */
  static fromTensors(models: tfl.LayersModel[], tensors: readonly tf.Tensor[]): BatchNormSnapshot {
    const layers = models.flatMap(batchNormLayers);
    if (tensors.length !== layers.length * 2) {
      throw new Error(`BatchNormSnapshot.fromTensors: ${layers.length} BatchNorm layers need ${layers.length * 2} tensors, got ${tensors.length}.`);
    }
    return new BatchNormSnapshot(
      layers.map((layer, i) => {
        const [mean, variance] = [tensors[2 * i]!, tensors[2 * i + 1]!];
        const want = layer.movingMean.read().shape;
        if (mean.shape.join() !== want.join() || variance.shape.join() !== want.join()) {
          throw new Error(`BatchNormSnapshot.fromTensors: layer ${layer.name} has statistics of shape [${want}], got [${mean.shape}] and [${variance.shape}].`);
        }
        return { layer, mean: tf.clone(mean), variance: tf.clone(variance) };
      }),
    );
  }

  /** The copied statistics (mean and variance of each layer in turn); owned by the snapshot. */
  tensors(): tf.Tensor[] {
    return this.saved.flatMap((s) => [s.mean, s.variance]);
  }

  /** An independent copy (for keeping the running averages of one moment beside later ones). */
  clone(): BatchNormSnapshot {
    return new BatchNormSnapshot(this.saved.map((s) => ({ layer: s.layer, mean: tf.clone(s.mean), variance: tf.clone(s.variance) })));
  }

  /** Writes the copied statistics back into their layers (the snapshot stays usable). */
  restore(): void {
    for (const s of this.saved) {
      s.layer.movingMean.write(s.mean);
      s.layer.movingVariance.write(s.variance);
    }
  }

  dispose(): void {
    for (const s of this.saved) tf.dispose([s.mean, s.variance]);
    this.saved.length = 0;
  }
}

/** Copies every BatchNorm layer's moving statistics; the returned function puts them back once. */
export function snapshotBatchNormStats(models: tfl.LayersModel[]): () => void {
  const snap = BatchNormSnapshot.capture(models);
  return () => {
    snap.restore();
    snap.dispose();
  };
}

/**
 * Accumulates the exact mean and variance of every BatchNorm layer's input over a stream of
 * batches run in training mode (each layer normalised by its batch, as during training), then
 * writes them as the layers' moving statistics. Sums are kept in float64 on the JS side, so the
 * result is the exact average over all pixels of all images, not a running estimate.
 */
export class PopulationStatistics {
  private readonly probes: { model: tfl.LayersModel; probe: tfl.LayersModel; layers: BN[] }[];
  private readonly sums = new Map<BN, { s1: Float64Array; s2: Float64Array; n: number }>();

  constructor(models: tfl.LayersModel[]) {
    this.probes = models.map((model) => {
      const layers = batchNormLayers(model);
      const inputs = layers.map((l) => l.input as tfl.SymbolicTensor);
      // A probe shares the model's layers and weights; it only exposes the BatchNorm inputs.
      const probe = tfl.model({ inputs: model.inputs, outputs: [...model.outputs, ...inputs] });
      return { model, probe, layers };
    });
  }

  /**
   * Runs `x` through the chain of models (each one's first output feeds the next, like
   * G_E -> G_D -> E) in training mode and accumulates the statistics. Returns nothing; the
   * caller's tensors are left alone and intermediates are released.
   */
  async accumulate(x: tf.Tensor): Promise<void> {
    const out: { layer: BN; mean: tf.Tensor; meanSq: tf.Tensor; count: number }[] = [];
    tf.tidy(() => {
      let h = x;
      for (const { probe, model, layers } of this.probes) {
        // A model without BatchNorm layers has one output, which apply returns bare.
        const applied = probe.apply(h, { training: true }) as tf.Tensor | tf.Tensor[];
        const outs = Array.isArray(applied) ? applied : [applied];
        const nOut = model.outputs.length;
        layers.forEach((layer, i) => {
          const t = outs[nOut + i];
          const axes = [...Array(t.rank - 1).keys()];
          const mean = tf.keep(tf.mean(t, axes));
          const meanSq = tf.keep(tf.mean(tf.square(t), axes));
          out.push({ layer, mean, meanSq, count: t.size / t.shape[t.rank - 1] });
        });
        h = outs[0];
      }
    });
    for (const m of out) {
      const [mean, meanSq] = await Promise.all([m.mean.data(), m.meanSq.data()]);
      m.mean.dispose();
      m.meanSq.dispose();
      let acc = this.sums.get(m.layer);
      if (!acc) {
        acc = { s1: new Float64Array(mean.length), s2: new Float64Array(mean.length), n: 0 };
        this.sums.set(m.layer, acc);
      }
      for (let c = 0; c < mean.length; c++) {
        acc.s1[c] += mean[c] * m.count;
        acc.s2[c] += meanSq[c] * m.count;
      }
      acc.n += m.count;
    }
  }

  /** Writes the accumulated statistics into the layers' moving mean and variance. */
  apply(): void {
    for (const [layer, { s1, s2, n }] of this.sums) {
      if (n === 0) continue;
      const mean = new Float32Array(s1.length);
      const variance = new Float32Array(s1.length);
      for (let c = 0; c < s1.length; c++) {
        mean[c] = s1[c] / n;
        variance[c] = Math.max(0, s2[c] / n - (s1[c] / n) ** 2);
      }
      tf.tidy(() => {
        layer.movingMean.write(tf.tensor1d(mean));
        layer.movingVariance.write(tf.tensor1d(variance));
      });
    }
  }
}
