// EGBAD's networks (shapes, the seeded dropout, serialisation) and losses and score against
// hand-worked values.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { ValueError } from '@ganomaly/common';
import { Egbad, createDetector, loadDetector, useBackend } from '@ganomaly/core';
import { images } from './helpers.js';
import { SeededDropout, buildEgbadNetworks } from '../src/detectors/egbad/networks.js';
import { biganDiscriminatorLoss, biganEncoderLoss, biganGeneratorLoss, egbadScore } from '../src/detectors/egbad/losses.js';

beforeAll(async () => {
  await useBackend('cpu');
});

const read = (t: tf.Tensor) => {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
};

describe('EGBAD networks', () => {
  it("E: x -> z, G: z -> x, D: (x, z) -> logit and features, with the code's widths scaled by baseWidth", () => {
    for (const [imageSize, channels] of [[16, 1], [32, 3]] as const) {
      const nets = buildEgbadNetworks({ imageSize, channels, latentDim: 6, baseWidth: 4, seed: 2 });
      tf.tidy(() => {
        const x = tf.randomUniform([2, imageSize, imageSize, channels], -1, 1, 'float32', 1);
        const z = nets.encoder.predict(x) as tf.Tensor;
        expect(z.shape).toEqual([2, 6]);
        const xHat = nets.generator.predict(z) as tf.Tensor;
        expect(xHat.shape).toEqual([2, imageSize, imageSize, channels]);
        expect(Math.max(...Array.from(xHat.dataSync()).map(Math.abs))).toBeLessThanOrEqual(1);
        const [logit, f] = nets.discriminator.predict([x, z]) as tf.Tensor[];
        expect(logit!.shape).toEqual([2, 1]);
        expect(f!.shape).toEqual([2, 16 * 4]);
      });
      // Widths at baseWidth 64 are the code's: E 32/64/128, G 1024, (s/4)²·128, 64; D 64, 64, 512, 1024.
      if (imageSize === 32) {
        const full = buildEgbadNetworks({ imageSize: 32, channels: 1 });
        const units = (m: tfl.LayersModel) => m.layers.map((l) => (l.getConfig() as { filters?: number; units?: number })).map((c) => c.filters ?? c.units).filter((v) => v !== undefined);
        expect(units(full.encoder)).toEqual([32, 64, 128, 200]);
        expect(units(full.generator)).toEqual([1024, 8 * 8 * 128, 64, 1]);
        expect(units(full.discriminator)).toEqual([64, 64, 512, 1024, 1]);
        for (const m of Object.values(full)) m.dispose();
      }
      for (const m of Object.values(nets)) m.dispose();
    }
  });

  it('D drops out in training only, with masks that change per call and repeat per seed', () => {
    const make = (seed: number) => {
      const input = tfl.input({ shape: [64] });
      return tfl.model({ inputs: input, outputs: new SeededDropout({ rate: 0.5, seed }).apply(input) as tfl.SymbolicTensor });
    };
    const [a, b, c] = [make(1), make(1), make(2)];
    const x = tf.ones([1, 64]);
    const mask = (m: tfl.LayersModel, training: boolean) => read(m.apply(x, { training }) as tf.Tensor).map((v) => (v > 0 ? 1 : 0));
    expect(read(a.apply(x, { training: false }) as tf.Tensor)).toEqual(Array(64).fill(1));
    const a1 = mask(a, true);
    const a2 = mask(a, true);
    expect(a1).not.toEqual(a2); // a new mask each call
    expect(mask(b, true)).toEqual(a1); // the same seed repeats the sequence
    expect(mask(b, true)).toEqual(a2);
    expect(mask(c, true)).not.toEqual(a1);
    const kept = a1.reduce((s, v) => s + v, 0);
    expect(kept).toBeGreaterThan(16);
    expect(kept).toBeLessThan(48);
    // kept values are scaled by 1 / (1 - rate)
    expect(Math.max(...read(a.apply(x, { training: true }) as tf.Tensor))).toBeCloseTo(2, 6);
    tf.dispose(x);
  });

  it('the discriminator survives serialisation (the custom dropout is registered)', async () => {
    const nets = buildEgbadNetworks({ imageSize: 16, channels: 1, latentDim: 4, baseWidth: 2, seed: 1 });
    const json = nets.discriminator.toJSON(null, false) as unknown as object;
    const copy = await tfl.models.modelFromJSON({ modelTopology: json } as never);
    copy.setWeights(nets.discriminator.getWeights());
    const x = tf.randomUniform([2, 16, 16, 1], -1, 1, 'float32', 4);
    const z = tf.randomNormal([2, 4], 0, 1, 'float32', 5);
    const [l1] = nets.discriminator.predict([x, z]) as tf.Tensor[];
    const [l2] = copy.predict([x, z]) as tf.Tensor[];
    expect(read(l2!)).toEqual(read(l1!));
    expect(copy.layers.filter((l) => l instanceof SeededDropout).map((l) => (l as SeededDropout).rate)).toEqual([0.5, 0.5, 0.5, 0.5]);
    tf.dispose([x, z]);
    for (const m of [...Object.values(nets), copy]) m.dispose();
  });

  it('rejects a dropout rate outside [0, 1)', () => {
    expect(() => buildEgbadNetworks({ imageSize: 16, channels: 1, baseWidth: 2, dropout: 1 })).toThrow(ValueError);
  });
});

describe('EGBAD losses and score', () => {
  it('BiGAN losses from logits', () => {
    // D: BCE(D(x,E(x))=0, 1) + BCE(D(G(z),z)=0, 0) = 2 ln 2;  logits 2 / -1: 0.126928 + 0.313262
    expect(read(biganDiscriminatorLoss(tf.tensor2d([[0]]), tf.tensor2d([[0]])))[0]).toBeCloseTo(2 * Math.LN2, 6);
    expect(read(biganDiscriminatorLoss(tf.tensor2d([[2]]), tf.tensor2d([[-1]])))[0]).toBeCloseTo(0.126928 + 0.313262, 5);
    // G: BCE(D(G(z),z), 1) at logit -1: ln(1 + e) = 1.313262;  E: BCE(D(x,E(x)), 0) at logit 2: 2 + ln(1 + e^-2) = 2.126928
    expect(read(biganGeneratorLoss(tf.tensor2d([[-1]])))[0]).toBeCloseTo(1.313262, 5);
    expect(read(biganEncoderLoss(tf.tensor2d([[2]])))[0]).toBeCloseTo(2.126928, 5);
  });

  it('score = α·Σ|x − x̂| + (1 − α)·L_D, feature matching or cross-entropy', () => {
    // image 0: x = [1, -1], x̂ = 0 -> 2; features [1, 2] vs 0 -> 3; α 0.9: 1.8 + 0.3 = 2.1
    // image 1: x = x̂, features equal -> 0
    const x = tf.tensor4d([1, -1, 0.5, 0.5], [2, 1, 2, 1]);
    const xHat = tf.tensor4d([0, 0, 0.5, 0.5], [2, 1, 2, 1]);
    const featuresReal = tf.tensor2d([[1, 2], [4, 4]]);
    const featuresReconstructed = tf.tensor2d([[0, 0], [4, 4]]);
    const fm = read(egbadScore({ x, xHat, featuresReal, featuresReconstructed }));
    expect(fm[0]).toBeCloseTo(2.1, 6);
    expect(fm[1]).toBeCloseTo(0, 6);
    expect(read(egbadScore({ x, xHat, featuresReal, featuresReconstructed }, 0.5))[0]).toBeCloseTo(2.5, 6);
    // cross-entropy of D(x̂, E(x)) against 1: logit 0 -> ln 2, logit 3 -> ln(1 + e^-3) = 0.048587
    const logitsReconstructed = tf.tensor2d([[0], [3]]);
    const ce = read(egbadScore({ x, xHat, logitsReconstructed }, 0.9, 'cross-entropy'));
    expect(ce[0]).toBeCloseTo(0.9 * 2 + 0.1 * Math.LN2, 6);
    expect(ce[1]).toBeCloseTo(0.1 * 0.048587, 6);
    expect(() => egbadScore({ x, xHat }, 0.9, 'fm')).toThrow(/'inputs.featuresReal'/);
    expect(() => egbadScore({ x, xHat, logitsReconstructed }, 0.9, 'l2' as never)).toThrow(/'method'/);
    expect(() => egbadScore({ x, xHat, featuresReal, featuresReconstructed }, -0.1)).toThrow(/'alpha'/);
    tf.dispose([x, xHat, featuresReal, featuresReconstructed, logitsReconstructed]);
  });
});

function memory(): tf.io.IOHandler {
  let saved: tf.io.ModelArtifacts | undefined;
  return {
    save: async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    },
    load: async () => saved!,
  };
}

describe('the Egbad detector', () => {
  const TINY = { imageSize: 16, channels: 1, latentDim: 8, baseWidth: 4, seed: 3, backend: 'cpu', learningRate: 2e-4 };
  let x: tf.Tensor4D;
  beforeAll(() => {
    x = images(12, 16, 1, 4);
  });

  it("is created by kind with the authors' defaults; checks its keys", async () => {
    const d = (await createDetector('egbad', { imageSize: 16, channels: 1, baseWidth: 2, backend: 'cpu' })) as Egbad;
    expect(d).toBeInstanceOf(Egbad);
    expect(d.config).toMatchObject({ latentDim: 200, learningRate: 1e-5, alpha: 0.9, scoreMethod: 'fm', dropout: 0.5, beta1: 0.5 });
    d.dispose();
    await expect(Egbad.create({ ...TINY, scoreMethod: 'l2' } as object)).rejects.toThrow(/'config.scoreMethod'/);
    await expect(Egbad.create({ ...TINY, alpha: -1 })).rejects.toThrow(ValueError);
  });

  it('trains E, G and D deterministically, scores per image, reconstructs, and leaks nothing', async () => {
    const [a, b] = [await Egbad.create(TINY), await Egbad.create(TINY)];
    await a.fit(x, { epochs: 1, batchSize: 4 });
    const before = tf.memory().numTensors;
    const ha = (await a.fit(x, { epochs: 2, batchSize: 4 })).history;
    expect(tf.memory().numTensors).toBe(before);
    await b.fit(x, { epochs: 1, batchSize: 4 });
    const hb = (await b.fit(x, { epochs: 2, batchSize: 4 })).history;
    expect(Object.keys(ha[0]!.losses)).toEqual(['generator', 'encoder', 'discriminator']);
    expect(hb.map((h) => h.losses)).toEqual(ha.map((h) => h.losses)); // seeded noise and dropout
    const all = await a.score(x);
    expect(all).toHaveLength(12);
    const few = await a.score(tf.slice(x, [5, 0, 0, 0], [1, 16, 16, 1]) as tf.Tensor4D);
    expect(few[0]).toBeCloseTo(all[5]!, 4);
    // 'batch' BatchNorm mode normalises by the batch but keeps D's dropout off: deterministic
    const batch = await a.score(x, { batchNormMode: 'batch' });
    expect(await a.score(x, { batchNormMode: 'batch' })).toEqual(batch);
    expect(Array.from(batch)).not.toEqual(Array.from(all));
    const rec = await a.reconstruct(x);
    expect(rec.shape).toEqual([12, 16, 16, 1]);
    rec.dispose();
    b.dispose();
    // saved and loaded (the seeded dropout layers included): the same scores
    const h = memory();
    await a.save(h);
    const ce = await Egbad.load(h, { backend: 'cpu' });
    expect(await ce.score(x)).toEqual(all);
    ce.dispose();
    a.dispose();
  });

  it('save and load give the same scores; loadDetector returns an Egbad; the score variant is a config key', async () => {
    const m = await Egbad.create({ ...TINY, scoreMethod: 'cross-entropy' });
    await m.fit(x, { epochs: 1, batchSize: 4 });
    await m.calibrate(x);
    const h = memory();
    await m.save(h);
    const loaded = await loadDetector(h, { backend: 'cpu' });
    expect(loaded).toBeInstanceOf(Egbad);
    expect(loaded.config).toEqual(m.config);
    expect(loaded.calibration).toEqual(m.calibration);
    const s = await m.score(x);
    expect(await loaded.score(x)).toEqual(s);
    // fm on the same weights: another score
    const fm = memory();
    await m.save(fm);
    const artifacts = await fm.load!();
    (artifacts.modelTopology as { ganomaly: { config: { scoreMethod: string } } }).ganomaly.config.scoreMethod = 'fm';
    const asFm = await Egbad.load({ load: async () => artifacts } as tf.io.IOHandler, { backend: 'cpu' });
    expect(Array.from(await asFm.score(x))).not.toEqual(Array.from(s));
    for (const d of [m, loaded, asFm]) d.dispose();
  });
});
