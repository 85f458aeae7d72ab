// The VAE's and Skip-GANomaly's losses and scores on small tensors against values worked out by
// hand, and the shapes of their networks (the U-Net level by level).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { MAX_PARAMETERS, SkipGanomaly, ValueError, Vae, estimateModelSize, useBackend } from '@ganomaly/core';
import { klDivergence, reconstructionError, reparameterize, vaeLoss, vaeScore } from '../src/detectors/vae/losses.js';
import { bceFake, bceReal, discriminatorLosses, generatorLosses, skipGanomalyScore } from '../src/detectors/skip-ganomaly/losses.js';
import { buildUnet, unetSize, unetWidths } from '../src/detectors/skip-ganomaly/networks.js';
import { estimateSkipGanomalySize } from '../src/detectors/skip-ganomaly/detector.js';
import { TINY } from './helpers.js';

await useBackend('cpu');
const v = (t: tf.Tensor) => Array.from(t.dataSync());

describe('vae losses', () => {
  // Image 0: x − x̂ = [-1, 0, 0, 1] -> Σ² = 2, mean² = 0.5. Image 1: x − x̂ = [2, 0, 0, 0] -> 4, 1.
  const x = tf.tensor4d([0, 1, 0, 0, 1, 0, 0, 0], [2, 2, 2, 1]);
  const xHat = tf.tensor4d([1, 1, 0, -1, -1, 0, 0, 0], [2, 2, 2, 1]);
  // Image 0: μ = [0, 1], log σ² = [0, ln 2]: terms 1 + 0 − 0 − 1 = 0 and 1 + ln 2 − 1 − 2 = ln 2 − 2,
  // KL = −½(ln 2 − 2) = 1 − ln(2)/2. Image 1: μ = 0, log σ² = 0: KL = 0.
  const mean = tf.tensor4d([0, 1, 0, 0], [2, 1, 1, 2]);
  const logVar = tf.tensor4d([0, Math.LN2, 0, 0], [2, 1, 1, 2]);
  const kl0 = 1 - Math.LN2 / 2;

  it('reconstruction error and KL per image', () => {
    expect(v(reconstructionError(x, xHat))).toEqual([2, 4]);
    const kl = v(klDivergence(mean, logVar));
    expect(kl[0]).toBeCloseTo(kl0, 6);
    expect(kl[1]).toBeCloseTo(0, 7);
  });

  it('the loss is the batch mean of w_rec·Σ(x − x̂)² + w_kl·KL', () => {
    const l = vaeLoss(x, xHat, mean, logVar, { reconstruction: 1, kl: 2 });
    expect(l.reconstruction.dataSync()[0]).toBeCloseTo(3, 6);
    expect(l.kl.dataSync()[0]).toBeCloseTo(kl0 / 2, 6);
    expect(l.loss.dataSync()[0]).toBeCloseTo(3 + kl0, 6);
  });

  it('scores: mean (x − x̂)², or the negative ELBO', () => {
    expect(v(vaeScore(x, xHat, mean, logVar, 'reconstruction', { reconstruction: 1, kl: 1 }))).toEqual([0.5, 1]);
    const elbo = v(vaeScore(x, xHat, mean, logVar, 'elbo', { reconstruction: 1, kl: 1 }));
    expect(elbo[0]).toBeCloseTo(2 + kl0, 6);
    expect(elbo[1]).toBeCloseTo(4, 6);
  });

  it('reparameterisation: z = μ + σ·ε with ε of the given seed', () => {
    const z = v(reparameterize(mean, logVar, 42));
    const eps = v(tf.randomNormal([2, 1, 1, 2], 0, 1, 'float32', 42));
    const sigma = [1, Math.SQRT2, 1, 1];
    const mu = [0, 1, 0, 0];
    z.forEach((zi, i) => expect(zi).toBeCloseTo(mu[i]! + sigma[i]! * eps[i]!, 5));
    expect(v(reparameterize(mean, logVar, 42))).toEqual(z);
  });

  it('networks: the encoder gives mean and log-variance, the decoder images', async () => {
    const m = await Vae.create({ ...TINY, backend: 'cpu' });
    tf.tidy(() => {
      const [mu, lv] = m.networks.encoder!.predict(tf.zeros([3, 16, 16, 1])) as tf.Tensor[];
      expect(mu!.shape).toEqual([3, 1, 1, 8]);
      expect(lv!.shape).toEqual([3, 1, 1, 8]);
      expect((m.networks.decoder!.predict(mu!) as tf.Tensor).shape).toEqual([3, 16, 16, 1]);
    });
    m.dispose();
  });
});

describe('skip-ganomaly losses', () => {
  it('BCE as PyTorch: −mean log p for real, −mean log(1 − p) for fake, logs clamped at −100', () => {
    const expected = (Math.LN2 + 2 * Math.LN2) / 2; // −(ln ½ + ln ¼)/2
    expect(bceReal(tf.tensor1d([0.5, 0.25])).dataSync()[0]).toBeCloseTo(expected, 6);
    expect(bceFake(tf.tensor1d([0.5, 0.75])).dataSync()[0]).toBeCloseTo(expected, 6);
    expect(bceReal(tf.tensor1d([0])).dataSync()[0]).toBeCloseTo(100, 4);
  });

  it('generator: w_adv·BCE(D(x̂), 1) + w_con·mean|x − x̂| + w_lat·mean (f(x) − f(x̂))²', () => {
    const x = tf.tensor4d([0, 1, 0, 0], [1, 2, 2, 1]);
    const xHat = tf.tensor4d([1, 1, 0, -1], [1, 2, 2, 1]); // |x − x̂| = [1, 0, 0, 1]: mean 0.5
    const pred = tf.tensor1d([0.5]); // BCE(0.5, 1) = ln 2
    const fr = tf.tensor2d([[1, 2]]);
    const ff = tf.tensor2d([[0, 4]]); // ((1)² + (−2)²)/2 = 2.5
    const l = generatorLosses(x, xHat, pred, fr, ff, { adversarial: 1, contextual: 50, latent: 2 });
    expect(l.adversarial.dataSync()[0]).toBeCloseTo(Math.LN2, 6);
    expect(l.contextual.dataSync()[0]).toBeCloseTo(0.5, 6);
    expect(l.latent.dataSync()[0]).toBeCloseTo(2.5, 6);
    expect(l.loss.dataSync()[0]).toBeCloseTo(Math.LN2 + 25 + 5, 5);
    // D: BCE(D(x), 1) + BCE(D(x̂), 0) + w_lat·latent = ln 2 + ln 2 + 2·2.5.
    expect(discriminatorLosses(tf.tensor1d([0.5]), tf.tensor1d([0.5]), fr, ff, { adversarial: 1, contextual: 50, latent: 2 }).dataSync()[0]).toBeCloseTo(2 * Math.LN2 + 5, 5);
  });

  it('score: λ·mean (x − x̂)² + (1 − λ)·mean (f(x) − f(x̂))² per image', () => {
    const x = tf.tensor4d([0, 1, 0, 0, 0, 0, 0, 0], [2, 2, 2, 1]);
    const xHat = tf.tensor4d([1, 1, 0, -1, 0, 0, 0, 2], [2, 2, 2, 1]); // means of squares: 0.5, 1
    const fr = tf.tensor4d([1, 2, 0, 0], [2, 1, 1, 2]);
    const ff = tf.tensor4d([0, 4, 0, 3], [2, 1, 1, 2]); // 2.5, 4.5
    const s = v(skipGanomalyScore(x, xHat, fr, ff, 0.9));
    expect(s[0]).toBeCloseTo(0.9 * 0.5 + 0.1 * 2.5, 6);
    expect(s[1]).toBeCloseTo(0.9 * 1 + 0.1 * 4.5, 6);
  });

  it('the U-Net: log2(size) stride-2 levels of widths ngf·min(2^i, 8), skips concatenated at every scale', () => {
    expect(unetWidths(32, 64)).toEqual([64, 128, 256, 512, 512]);
    expect(unetWidths(64, 64)).toEqual([64, 128, 256, 512, 512, 512]);
    const g = buildUnet({ imageSize: 32, channels: 3, baseWidth: 4, batchNormMomentum: 0.9, batchNormEpsilon: 1e-5, seed: 1 });
    expect(g.outputs[0]!.shape).toEqual([null, 32, 32, 3]);
    const downs = g.layers.filter((l) => l.getClassName() === 'Conv2D').map((l) => l.outputShape as number[]);
    expect(downs.map((s) => [s[1], s[3]])).toEqual([[16, 4], [8, 8], [4, 16], [2, 32], [1, 32]]);
    const ups = g.layers.filter((l) => l.getClassName() === 'Conv2DTranspose').map((l) => l.outputShape as number[]);
    expect(ups.map((s) => [s[1], s[3]])).toEqual([[2, 32], [4, 16], [8, 8], [16, 4], [32, 3]]);
    const skips = g.layers.filter((l) => l.getClassName() === 'Concatenate').map((l) => l.outputShape as number[]);
    expect(skips.map((s) => [s[1], s[3]])).toEqual([[2, 64], [4, 32], [8, 16], [16, 8]]);
    // The innermost level has no BatchNorm on its way down; every other down and up conv but the last has one.
    expect(g.layers.filter((l) => l.getClassName() === 'BatchNormalization').length).toBe(3 + 4);
    g.dispose();
  });

  it("the size check counts the U-Net's parameters (not the DCGAN networks'), and refuses a U-Net too large", async () => {
    for (const c of [{ imageSize: 16, channels: 1, baseWidth: 4 }, { imageSize: 32, channels: 3, baseWidth: 8 }]) {
      const g = buildUnet({ ...c, batchNormMomentum: 0.9, batchNormEpsilon: 1e-5, seed: 1 });
      expect(unetSize(c).parameters).toBe(g.countParams());
      g.dispose();
    }
    // imageSize 32, baseWidth 512: the DCGAN estimate (GANomaly's four networks) stays under the
    // limit, but the U-Net's widths (512 ... 4096) give about a billion parameters (concatenated on the way up).
    const big = { imageSize: 32, channels: 1, latentDim: 100, baseWidth: 512, extraLayers: 0 };
    expect(estimateModelSize(big).parameters).toBeLessThan(MAX_PARAMETERS);
    expect(unetSize(big).parameters).toBeGreaterThan(MAX_PARAMETERS);
    const err = await SkipGanomaly.create({ imageSize: 32, baseWidth: 512, backend: 'cpu' }).catch((e) => e);
    expect(err).toBeInstanceOf(ValueError);
    expect(err.message).toMatch(/'SkipGanomaly\.create' must give a model of at most 200 million parameters .*Skip-GANomaly's U-Net G and D at imageSize 32, baseWidth 512 gives about [\d.]+ [MG] parameters/);
    // A large image at a small width is fine for the U-Net (its widths stop at 8x).
    expect(estimateSkipGanomalySize({ ...big, imageSize: 256, baseWidth: 16 } as never).parameters).toBeLessThan(MAX_PARAMETERS);
  });

  it('refuses latentDim and extraLayers (the U-Net uses neither) when created; a saved model with them still loads', async () => {
    await expect(SkipGanomaly.create({ ...TINY, backend: 'cpu' })).rejects.toThrow(/'config\.latentDim' passed to 'SkipGanomaly\.create' is 8, but Skip-GANomaly has no latent code/);
    await expect(SkipGanomaly.create({ ...TINY, latentDim: undefined, extraLayers: 1, backend: 'cpu' })).rejects.toThrow(/'config\.extraLayers' passed to 'SkipGanomaly\.create' is 1/);
    (await SkipGanomaly.create({ ...TINY, latentDim: 100, extraLayers: 0, backend: 'cpu' })).dispose();
    // What an earlier version saved (latentDim 8 in the config): load accepts it.
    const m = await SkipGanomaly.create({ ...TINY, latentDim: undefined, backend: 'cpu' });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await m.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    m.dispose();
    const meta = (artifacts!.modelTopology as { ganomaly: { config: Record<string, unknown> } }).ganomaly;
    meta.config.latentDim = 8;
    const loaded = await SkipGanomaly.load(tf.io.fromMemory(artifacts!), { backend: 'cpu' });
    expect(loaded.config.latentDim).toBe(8);
    loaded.dispose();
  });

  it('networks: G maps images to images, D gives [probability, features]', async () => {
    const m = await SkipGanomaly.create({ ...TINY, latentDim: undefined, backend: 'cpu' });
    tf.tidy(() => {
      const x = tf.zeros([2, 16, 16, 1]);
      expect((m.networks.generator!.predict(x) as tf.Tensor).shape).toEqual([2, 16, 16, 1]);
      const [p, f] = m.networks.discriminator!.predict(x) as tf.Tensor[];
      expect(p!.shape).toEqual([2, 1]);
      expect(f!.shape).toEqual([2, 4, 4, 8]);
    });
    expect(m.config.lossWeights).toEqual({ adversarial: 1, contextual: 50, latent: 1 });
    expect(m.config.scoreWeight).toBe(0.9);
    m.dispose();
  });
});
