// The detector interface, the registry and the shared base, checked through the autoencoder (the
// smallest detector) and GANomaly: creation by kind, shapes, the loss against hand-worked values,
// save/load equality, loadDetector dispatch (old GANomaly saves without a kind included),
// checkpoints, abort, and the errors.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { AbortError, Anogan, Autoencoder, Egbad, Ganomaly, ModelFormatError, SkipGanomaly, UnknownNameError, ValueError, Vae, createDetector, detectorKinds, loadDetector, type Detector } from '@ganomaly/core';
import { reconstructionLoss, reconstructionScore } from '../src/detectors/autoencoder/losses.js';
import { images, TINY } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ganomaly-detectors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const url = (name: string) => `file://${path.join(dir, name)}`;

/** A memory IOHandler: what save wrote, for load (and for editing the metadata in between). */
function memory() {
  const box: { artifacts?: tf.io.ModelArtifacts } = {};
  const handler: tf.io.IOHandler = {
    save: async (a) => {
      box.artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    },
    load: async () => box.artifacts!,
  };
  return { handler, box };
}

describe('the registry', () => {
  it('lists the kinds, ganomaly first', () => {
    expect(detectorKinds()[0]).toBe('ganomaly');
    expect(detectorKinds()).toEqual(expect.arrayContaining(['autoencoder', 'vae', 'skip-ganomaly']));
  });

  it('creates by kind, and names the known kinds for an unknown one', async () => {
    const ae = await createDetector('autoencoder', { ...TINY, backend: 'cpu' });
    expect(ae).toBeInstanceOf(Autoencoder);
    expect(ae.kind).toBe('autoencoder');
    ae.dispose();
    const g = await createDetector('ganomaly', { ...TINY, backend: 'cpu' });
    expect(g).toBeInstanceOf(Ganomaly);
    expect(g.kind).toBe('ganomaly');
    g.dispose();
    await expect(createDetector('vae-typo', {})).rejects.toThrow(UnknownNameError);
    await expect(createDetector('vae-typo', {})).rejects.toThrow(/'ganomaly', 'autoencoder', 'vae', 'skip-ganomaly'/);
  });

  it('rejects unknown config keys and bad values with a ValueError', async () => {
    await expect(Autoencoder.create({ ...TINY, latentDimm: 3 } as object)).rejects.toThrow(/unknown key 'latentDimm'/);
    await expect(Autoencoder.create({ ...TINY, imageSize: 20 })).rejects.toThrow(ValueError);
    await expect(Autoencoder.create({ ...TINY, lossWeights: { adversarial: 1 } } as object)).rejects.toThrow(/lossWeights/);
  });
});

describe('autoencoder', () => {
  it('loss and score against hand-worked values', () => {
    // x - x̂ per image: [1, -2, 0, 3] and [0.5, 0.5, -0.5, 0.5] -> means of |.|: 1.5 and 0.5; batch mean 1.0.
    const x = tf.tensor4d([0, 0, 1, 1, 0, 0, 0, 0], [2, 2, 2, 1]);
    const xHat = tf.tensor4d([-1, 2, 1, -2, -0.5, -0.5, 0.5, -0.5], [2, 2, 2, 1]);
    expect(reconstructionLoss(x, xHat).dataSync()[0]).toBeCloseTo(1.0, 6);
    expect(Array.from(reconstructionScore(x, xHat).dataSync())).toEqual([1.5, 0.5]);
    tf.dispose([x, xHat]);
  });

  it('networks, scores and reconstructions have the right shapes; fit trains without leaks', async () => {
    const m = await Autoencoder.create({ ...TINY, channels: 3, backend: 'cpu' });
    const n = m.networks;
    tf.tidy(() => {
      const z = n.encoder!.predict(tf.zeros([2, 16, 16, 3])) as tf.Tensor;
      expect(z.shape).toEqual([2, 1, 1, 8]);
      expect((n.decoder!.predict(z) as tf.Tensor).shape).toEqual([2, 16, 16, 3]);
    });
    const x = images(12, 20, 1, 4); // resized and converted to 16x16 RGB by the model
    await m.fit(x, { epochs: 1, batchSize: 4 });
    const w0 = await n.decoder!.getWeights()[0]!.data();
    const before = tf.memory().numTensors;
    const { history } = await m.fit(x, { epochs: 2, batchSize: 4 });
    expect(tf.memory().numTensors).toBe(before);
    expect(history.map((h) => h.epoch)).toEqual([2, 3]);
    expect(Object.keys(history[0]!.losses)).toEqual(['reconstruction']);
    expect(Number.isFinite(history[1]!.losses.reconstruction)).toBe(true);
    expect(await n.decoder!.getWeights()[0]!.data()).not.toEqual(w0);
    const s = await m.score(x);
    expect(s.length).toBe(12);
    // Per image: scoring a subset gives the same scores.
    const few = tf.slice(x, [0], [3]);
    expect(Array.from(await m.score(few))).toEqual(Array.from(s.slice(0, 3)).map((v) => expect.closeTo(v, 6)));
    const r = await m.reconstruct(x);
    expect(r.shape).toEqual([12, 16, 16, 3]);
    tf.dispose([x, few, r]);
    m.dispose();
    expect(m.isDisposed).toBe(true);
    await expect(m.score(x)).rejects.toThrow(/disposed/);
  });

  it('concurrent fit is refused (BusyError); bad inputs fail clearly', async () => {
    const m = await Autoencoder.create({ ...TINY, backend: 'cpu' });
    const x = images(8, 16, 1, 8);
    const first = m.fit(x, { epochs: 1, batchSize: 4 });
    await expect(m.fit(x, { epochs: 1 })).rejects.toThrow(/already training/);
    await first;
    await expect(m.fit(x, { workers: 2 })).rejects.toThrow(/only GANomaly trains data-parallel/);
    // GANomaly's epoch selection is refused by name, not ignored (select: 'last' is what every detector does).
    const sel = await m.fit(x, { epochs: 1, select: 'validation' } as object).catch((e) => e);
    expect(sel).toBeInstanceOf(ValueError);
    expect(sel.message).toMatch(/'options\.select'.*'autoencoder' detector keeps the last epoch/);
    await expect(m.fit(x, { epochs: 1, selection: { holdout: 0.2 } } as object)).rejects.toThrow(/'options\.selection'.*'autoencoder' detector/);
    expect(m.epochs).toBe(1);
    await expect(m.score(tf.zeros([2, 2]) as unknown as tf.Tensor4D)).rejects.toThrow(ValueError);
    await expect(m.predict(x)).rejects.toThrow(/calibrate/);
    tf.dispose(x);
    m.dispose();
  });
});

const CLASSES = { autoencoder: Autoencoder, vae: Vae, 'skip-ganomaly': SkipGanomaly, anogan: Anogan, egbad: Egbad } as const;
type Kind = keyof typeof CLASSES;
/** Per-kind settings that keep these tests to seconds: AnoGAN's search shortened; Skip-GANomaly refuses TINY's latentDim (it has no latent code). */
const EXTRA: Partial<Record<Kind, object>> = { anogan: { searchSteps: 10 }, 'skip-ganomaly': { latentDim: undefined } };
type Base = Detector & { info: Record<string, unknown> | null; interruptedEpoch: unknown; networks: Record<string, { getWeights(): tf.Tensor[] }> };

describe.each(Object.keys(CLASSES) as Kind[])('%s through the interface', (kind) => {
  it('save and load (file://) give the same model; loadDetector returns its class; Ganomaly.load refuses it', async () => {
    const m = (await createDetector(kind, { ...TINY, ...EXTRA[kind], backend: 'cpu', seed: 5 })) as Base;
    const x = images(16, 16, 1, 6);
    await m.fit(x, { epochs: 1, batchSize: 8 });
    await m.calibrate(x);
    await m.save(url(kind), { info: { note: 'test' } });
    const a = (await loadDetector(url(kind), { backend: 'cpu' })) as Base;
    const b = (await CLASSES[kind].load(url(kind), { backend: 'cpu' })) as Base;
    expect(a).toBeInstanceOf(CLASSES[kind]);
    for (const loaded of [a, b]) {
      expect(loaded.kind).toBe(kind);
      expect(loaded.config).toEqual(m.config);
      expect(loaded.epochs).toBe(1);
      expect(loaded.calibration).toEqual(m.calibration);
      expect(loaded.info).toEqual({ note: 'test' });
      expect(await loaded.score(x)).toEqual(await m.score(x));
      const [r1, r2] = [await loaded.reconstruct!(x), await m.reconstruct!(x)];
      expect(await r1.data()).toEqual(await r2.data());
      tf.dispose([r1, r2]);
    }
    expect(a.metadata().kind).toBe(kind);
    await expect(Ganomaly.load(url(kind), { backend: 'cpu' })).rejects.toThrow(new RegExp(`'${kind}' detector.*loadDetector`));
    const other = kind === 'autoencoder' ? Vae : Autoencoder;
    await expect(other.load(url(kind), { backend: 'cpu' })).rejects.toThrow(ModelFormatError);
    tf.dispose(x);
    [m, a, b].forEach((d) => d.dispose());
  });

  it('a checkpoint saved mid-epoch goes on to the same weights as training that never stopped', async () => {
    const x = images(16, 16, 1, 7);
    const straight = (await createDetector(kind, { ...TINY, ...EXTRA[kind], backend: 'cpu' })) as Base;
    await straight.fit(x, { epochs: 2, batchSize: 4 });
    const stopped = (await createDetector(kind, { ...TINY, ...EXTRA[kind], backend: 'cpu' })) as Base;
    const stop = new AbortController();
    await expect(
      stopped.fit(x, { epochs: 2, batchSize: 4, signal: stop.signal, onBatchEnd: (l) => void (l.epoch === 2 && l.batch === 2 && stop.abort()) }),
    ).rejects.toThrow(AbortError);
    expect(stopped.epochs).toBe(1);
    const { handler } = memory();
    await stopped.save(handler, { trainingState: true });
    const resumed = (await loadDetector(handler, { backend: 'cpu' })) as Base;
    expect(resumed.interruptedEpoch).toMatchObject({ epoch: 2, nextBatch: 2 });
    await resumed.fit(x, { epochs: 1, batchSize: 4 });
    expect(resumed.epochs).toBe(2);
    for (const key of Object.keys(straight.networks)) {
      const wa = straight.networks[key]!.getWeights().map((w) => Array.from(w.dataSync()));
      const wb = resumed.networks[key]!.getWeights().map((w) => Array.from(w.dataSync()));
      expect(wb, key).toEqual(wa);
    }
    // Without the training state (fresh Adam moments) the same run ends elsewhere: the check above can fail.
    const plain = memory();
    await stopped.save(plain.handler);
    const fresh = (await loadDetector(plain.handler, { backend: 'cpu' })) as Base;
    await fresh.fit(x, { epochs: 1, batchSize: 4, restartEpoch: true });
    const first = Object.keys(straight.networks)[0]!;
    expect(fresh.networks[first]!.getWeights().map((w) => Array.from(w.dataSync()))).not.toEqual(straight.networks[first]!.getWeights().map((w) => Array.from(w.dataSync())));
    tf.dispose(x);
    [straight, stopped, resumed, fresh].forEach((d) => d.dispose());
  });
});

describe('GANomaly through the interface', () => {
  it('saves its kind; a save without one (before detectors) loads as GANomaly; Autoencoder.load refuses it', async () => {
    // Untrained: the latent score ('knn' has no training codes yet).
    const g = await Ganomaly.create({ ...TINY, backend: 'cpu', scoreVariant: 'mse' });
    const { handler, box } = memory();
    await g.save(handler);
    const meta = (box.artifacts!.modelTopology as { ganomaly: Record<string, unknown> }).ganomaly;
    expect(meta.kind).toBe('ganomaly');
    delete meta.kind;
    const loaded = await loadDetector(handler, { backend: 'cpu' });
    expect(loaded).toBeInstanceOf(Ganomaly);
    const x = images(4, 16, 1, 9);
    expect(await loaded.score(x)).toEqual(await g.score(x));
    await expect(Autoencoder.load(handler, { backend: 'cpu' })).rejects.toThrow(ModelFormatError);
    await expect(Autoencoder.load(handler, { backend: 'cpu' })).rejects.toThrow(/'ganomaly' detector, not 'autoencoder'.*loadDetector/);
    meta.kind = 'no-such-detector';
    await expect(loadDetector(handler, { backend: 'cpu' })).rejects.toThrow(/'no-such-detector' detector, which this library does not know/);
    tf.dispose(x);
    g.dispose();
    loaded.dispose();
  });
});
