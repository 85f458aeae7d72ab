// AnoGAN's networks, losses (hand-worked values) and latent search: it lowers the loss, an
// image's score does not depend on its batch, it honours the abort signal and leaks no tensors.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { AbortError, ValueError } from '@ganomaly/common';
import { Anogan, createDetector, loadDetector, useBackend, type AnoganProgress } from '@ganomaly/core';
import { images } from './helpers.js';
import { buildAnoganNetworks, type AnoganNetworks } from '../src/detectors/anogan/networks.js';
import { anomalyLoss, discriminationLoss, ganDiscriminatorLoss, ganGeneratorLoss, residualLoss } from '../src/detectors/anogan/losses.js';
import { searchLatent } from '../src/detectors/anogan/search.js';

const TINY = { imageSize: 16, channels: 1, latentDim: 8, baseWidth: 4, seed: 5 };

beforeAll(async () => {
  await useBackend('cpu');
});

const read = (t: tf.Tensor) => {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
};

describe('AnoGAN networks', () => {
  it('G maps z to images in [-1, 1]; D maps images to a logit and the 4x4 feature map', () => {
    for (const imageSize of [16, 32]) {
      const nets = buildAnoganNetworks({ ...TINY, imageSize, channels: 3 });
      tf.tidy(() => {
        const z = tf.randomNormal([2, 1, 1, 8], 0, 1, 'float32', 1);
        const x = nets.generator.predict(z) as tf.Tensor;
        expect(x.shape).toEqual([2, imageSize, imageSize, 3]);
        expect(Math.max(...Array.from(x.dataSync()).map(Math.abs))).toBeLessThanOrEqual(1);
        const [logit, f] = nets.discriminator.predict(x) as tf.Tensor[];
        expect(logit!.shape).toEqual([2, 1]);
        expect(f!.shape).toEqual([2, 4, 4, 4 * 2 ** (Math.log2(imageSize) - 3)]);
      });
      nets.generator.dispose();
      nets.discriminator.dispose();
    }
  });

  it('the same seed builds the same weights; another seed others', () => {
    const a = buildAnoganNetworks(TINY);
    const b = buildAnoganNetworks(TINY);
    const c = buildAnoganNetworks({ ...TINY, seed: 6 });
    const w = (n: AnoganNetworks) => n.generator.getWeights()[0]!.dataSync()[3];
    expect(w(a)).toBe(w(b));
    expect(w(a)).not.toBe(w(c));
    for (const n of [a, b, c]) (n.generator.dispose(), n.discriminator.dispose());
  });
});

describe('AnoGAN losses', () => {
  it('GAN losses from logits: BCE(D(x), 1) + BCE(D(G(z)), 0) and BCE(D(G(z)), 1)', () => {
    // logits 0: each BCE is ln 2; real logit 2 vs 1: ln(1 + e^-2) = 0.126928; fake logit -1 vs 0: ln(1 + e^-1) = 0.313262
    expect(read(ganDiscriminatorLoss(tf.tensor2d([[0]]), tf.tensor2d([[0]])))[0]).toBeCloseTo(2 * Math.LN2, 6);
    expect(read(ganDiscriminatorLoss(tf.tensor2d([[2]]), tf.tensor2d([[-1]])))[0]).toBeCloseTo(0.126928 + 0.313262, 5);
    expect(read(ganGeneratorLoss(tf.tensor2d([[0], [2]])))[0]).toBeCloseTo((Math.LN2 + 0.126928) / 2, 5);
  });

  it('the anomaly loss is (1 − λ)·Σ|x − G(z)| + λ·Σ|f(x) − f(G(z))| per image', () => {
    // image 0: x = [1, -1, 0.5, 0], G(z) = 0 -> L_R = 2.5; f = [1, 2] vs 0 -> L_D = 3
    //   λ 0.1: 0.9·2.5 + 0.1·3 = 2.55;  image 1: x = G(z), f equal -> 0
    const x = tf.tensor4d([1, -1, 0.5, 0, 0.2, 0.2, 0.2, 0.2], [2, 2, 2, 1]);
    const gz = tf.tensor4d([0, 0, 0, 0, 0.2, 0.2, 0.2, 0.2], [2, 2, 2, 1]);
    const fx = tf.tensor2d([[1, 2], [3, 3]]);
    const fgz = tf.tensor2d([[0, 0], [3, 3]]);
    expect(read(residualLoss(x, gz))).toEqual([2.5, 0]);
    expect(read(discriminationLoss(fx, fgz))).toEqual([3, 0]);
    const l = read(anomalyLoss(x, gz, fx, fgz));
    expect(l[0]).toBeCloseTo(2.55, 6);
    expect(l[1]).toBeCloseTo(0, 6);
    expect(read(anomalyLoss(x, gz, fx, fgz, 0.5))[0]).toBeCloseTo(2.75, 6);
    expect(() => anomalyLoss(x, gz, fx, fgz, 2)).toThrow(ValueError);
    expect(() => residualLoss(x, fx)).toThrow(/'gz' passed to 'residualLoss'/);
    tf.dispose([x, gz, fx, fgz]);
  });
});

describe('AnoGAN latent search', () => {
  let nets: AnoganNetworks;
  let x: tf.Tensor4D;
  let z0: tf.Tensor;
  beforeAll(() => {
    nets = buildAnoganNetworks(TINY);
    // Images G can make (from other codes), and one random image it cannot.
    x = tf.tidy(() => tf.concat([nets.generator.predict(tf.randomNormal([3, 1, 1, 8], 0, 1, 'float32', 9)) as tf.Tensor4D, tf.randomUniform([1, 16, 16, 1], -1, 1, 'float32', 3)]));
    z0 = tf.randomNormal([1, 1, 1, 8], 0, 1, 'float32', 1);
  });

  it('lowers every image\'s loss, reports progress, and leaves only z behind', async () => {
    const before = tf.memory().numTensors;
    const seen: number[] = [];
    const r = await searchLatent(nets, x, { steps: 30, learningRate: 0.05, z0, onStep: (s) => void seen.push(s) });
    expect(seen).toEqual([10, 20, 30]);
    expect(r.z.shape).toEqual([4, 1, 1, 8]);
    // An untrained G barely depends on z: the images it made get a little closer (-20 % at
    // least); the random image, far from anything G makes, must not get worse.
    for (let i = 0; i < 3; i++) expect(r.loss[i]!).toBeLessThan(r.initialLoss[i]! * 0.8);
    expect(r.loss[3]!).toBeLessThanOrEqual(r.initialLoss[3]!);
    expect(tf.memory().numTensors - before).toBe(1);
    r.z.dispose();
  });

  it('an image scores the same alone as in a batch (searches are independent)', async () => {
    const all = await searchLatent(nets, x, { steps: 10, learningRate: 0.05, z0 });
    const one = tf.slice(x, [2, 0, 0, 0], [1, 16, 16, 1]);
    const alone = await searchLatent(nets, one, { steps: 10, learningRate: 0.05, z0 });
    expect(alone.loss[0]).toBeCloseTo(all.loss[2]!, 3);
    tf.dispose([all.z, alone.z, one]);
  });

  it('honours the abort signal between steps and cleans up', async () => {
    const before = tf.memory().numTensors;
    const stop = new AbortController();
    let steps = 0;
    const run = searchLatent(nets, x, {
      steps: 500,
      learningRate: 0.05,
      z0,
      progressEvery: 5,
      signal: stop.signal,
      onStep: (s) => {
        steps = s;
        if (s === 10) stop.abort();
      },
    });
    await expect(run).rejects.toThrow(AbortError);
    expect(steps).toBe(10);
    expect(tf.memory().numTensors).toBe(before);
    const aborted = new AbortController();
    aborted.abort();
    await expect(searchLatent(nets, x, { steps: 5, learningRate: 0.05, z0, signal: aborted.signal })).rejects.toThrow(AbortError);
  });

  it('checks its options', async () => {
    await expect(searchLatent(nets, x, { steps: 1.5, learningRate: 0.05, z0 })).rejects.toThrow(/'options.steps'/);
    await expect(searchLatent(nets, x, { steps: 1, learningRate: -1, z0 })).rejects.toThrow(/'options.learningRate'/);
    const bad = tf.zeros([1, 1, 1, 3]);
    await expect(searchLatent(nets, x, { steps: 1, learningRate: 0.05, z0: bad })).rejects.toThrow(/'options.z0'.*\[1,1,1,8\]/);
    bad.dispose();
  });
});

/** A memory IOHandler: what save wrote, for load. */
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

describe('the Anogan detector', () => {
  const FAST = { ...TINY, backend: 'cpu', searchSteps: 6 };
  let m: Anogan;
  let x: tf.Tensor4D;
  beforeAll(async () => {
    m = (await createDetector('anogan', FAST)) as Anogan;
    x = images(12, 16, 1, 4);
    await m.fit(x, { epochs: 1, batchSize: 4 });
  });

  it('is created by kind with the paper\'s λ and the documented search defaults; checks its keys', async () => {
    expect(m).toBeInstanceOf(Anogan);
    expect(m.kind).toBe('anogan');
    const d = await Anogan.create({ ...TINY, backend: 'cpu' });
    expect(d.config).toMatchObject({ lambda: 0.1, searchSteps: 100, searchLearningRate: 0.1, latentDim: 8 });
    d.dispose();
    await expect(Anogan.create({ ...TINY, searchSteps: 2.5 })).rejects.toThrow(/'config.searchSteps'.*integer >= 0/);
    await expect(Anogan.create({ ...TINY, lambda: 1.5 })).rejects.toThrow(ValueError);
    await expect(Anogan.create({ ...TINY, searchLr: 1 } as object)).rejects.toThrow(/unknown key 'searchLr'/);
  });

  it('trains (G and D losses), scores per image, reconstructs, and leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const { history } = await m.fit(x, { epochs: 1, batchSize: 4 });
    expect(Object.keys(history[0]!.losses)).toEqual(['generator', 'discriminator']);
    const all = await m.score(x);
    expect(all).toHaveLength(12);
    for (const v of all) expect(v).toBeGreaterThan(0);
    const few = await m.score(tf.slice(x, [3, 0, 0, 0], [2, 16, 16, 1]) as tf.Tensor4D);
    expect(few[0]).toBeCloseTo(all[3]!, 3);
    expect(few[1]).toBeCloseTo(all[4]!, 3);
    const rec = await m.reconstruct(x);
    expect(rec.shape).toEqual([12, 16, 16, 1]);
    const v = rec.dataSync();
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThanOrEqual(255);
    rec.dispose();
    // (the slice above is the caller's) and 'few' is a plain array
    expect(tf.memory().numTensors - before).toBe(1);
  });

  it('reports the search\'s progress and stops on abort', async () => {
    const seen: AnoganProgress[] = [];
    await m.score(x, { batchSize: 8, onProgress: (p) => void seen.push(p) });
    // 6 steps per batch, reported after step 6 (the last); two batches (8 + 4 images)
    expect(seen).toEqual([
      { step: 6, steps: 6, batchImages: 8, imagesDone: 0, images: 12 },
      { step: 6, steps: 6, batchImages: 4, imagesDone: 8, images: 12 },
    ]);
    const before = tf.memory().numTensors;
    const stop = new AbortController();
    const slow = await Anogan.create({ ...FAST, searchSteps: 1000 });
    let calls = 0;
    const run = slow.score(x, {
      signal: stop.signal,
      onProgress: () => {
        if (++calls === 2) stop.abort();
      },
    });
    await expect(run).rejects.toThrow(AbortError);
    expect(calls).toBe(2); // stopped 10 steps after the first report, 980 steps early
    slow.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('save and load give the same scores; loadDetector returns an Anogan', async () => {
    await m.calibrate(x);
    const h = memory();
    await m.save(h);
    const a = await loadDetector(h, { backend: 'cpu' });
    expect(a).toBeInstanceOf(Anogan);
    expect(a.config).toEqual(m.config);
    expect(a.calibration).toEqual(m.calibration);
    expect(await a.score(x)).toEqual(await m.score(x));
    a.dispose();
  });
});
