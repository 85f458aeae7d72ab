// Score components (scoreComponents), D's recomputed BatchNorm statistics, and model selection
// without test data (fit's select: 'validation'), on a tiny model and the cpu backend.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { AbortError, Ganomaly, NotCalibratedError, ValueError, data, type EpochLogs } from '@ganomaly/core';
import { TINY, images } from './helpers.js';

const BACKEND = 'cpu';

function bnLayers(m: tfl.LayersModel) {
  return m.layers.filter((l) => l.getClassName() === 'BatchNormalization') as (tfl.layers.Layer & { movingMean: tfl.LayerVariable; movingVariance: tfl.LayerVariable })[];
}

describe('scoreComponents', () => {
  let model: Ganomaly;
  let train: tf.Tensor4D;
  let x: tf.Tensor4D;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ganomaly-quality-'));

  beforeAll(async () => {
    model = await Ganomaly.create({ ...TINY, backend: BACKEND });
    train = images(16, 16, 1, 5);
    x = images(5, 16, 1, 9);
    await model.fit(train, { epochs: 1, batchSize: 8 });
  });

  afterAll(() => {
    model.dispose();
    tf.dispose([train, x]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('equals what reconstruct, score and the networks give, image by image', async () => {
    const c = await model.scoreComponents(x);
    // knn is the model's default variant 'knn'; latent is the 'mse' score.
    const scores = await model.score(x);
    expect(Array.from(c.knn!)).toEqual(Array.from(scores));
    // The same weights as an 'mse' model: its score is the latent component.
    const handler = tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }));
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(handler);
    const topology = saved!.modelTopology as { ganomaly: { config: Record<string, unknown> } };
    topology.ganomaly.config.scoreVariant = 'mse';
    const asMse = await Ganomaly.load(tf.io.fromMemory(saved!), { backend: BACKEND });
    expect(Array.from(c.latent)).toEqual(Array.from(await asMse.score(x)));
    asMse.dispose();
    // x and x̂ on the model's [-1, 1] scale, by hand.
    const rec = await model.reconstruct(x);
    const xs = await x.data();
    const rs = await rec.data();
    rec.dispose();
    const per = 16 * 16;
    for (let i = 0; i < 5; i++) {
      let l1 = 0;
      let l2 = 0;
      for (let k = i * per; k < (i + 1) * per; k++) {
        const d = xs[k]! / 127.5 - 1 - (rs[k]! / 127.5 - 1);
        l1 += Math.abs(d);
        l2 += d * d;
      }
      expect(c.reconstruction[i]).toBeCloseTo(l1 / per, 5);
      expect(c.reconstructionL2[i]).toBeCloseTo(l2 / per, 5);
    }
    // latentL1 and features from the networks themselves, in inference mode.
    const nets = model.networks;
    const [z, zHat, fx, fxHat] = tf.tidy(() => {
      const xin = tf.sub(tf.div(x, 127.5), 1) as tf.Tensor4D;
      const z = nets.encoder.apply(xin, { training: false }) as tf.Tensor;
      const xHat = nets.decoder.apply(z, { training: false }) as tf.Tensor;
      const zHat = nets.reencoder.apply(xHat, { training: false }) as tf.Tensor;
      const [, fx] = nets.discriminator.apply(xin, { training: false }) as tf.Tensor[];
      const [, fxHat] = nets.discriminator.apply(xHat, { training: false }) as tf.Tensor[];
      return [z, zHat, fx!, fxHat!];
    });
    const [zv, zh, fv, fh] = await Promise.all([z.data(), zHat.data(), fx.data(), fxHat.data()]);
    const nz = TINY.latentDim!;
    const nf = fx.size / 5;
    tf.dispose([z, zHat, fx, fxHat]);
    for (let i = 0; i < 5; i++) {
      let s = 0;
      for (let k = i * nz; k < (i + 1) * nz; k++) s += Math.abs(zv[k]! - zh[k]!);
      expect(c.latentL1[i]).toBeCloseTo(s, 4);
      let f = 0;
      for (let k = i * nf; k < (i + 1) * nf; k++) f += (fv[k]! - fh[k]!) ** 2;
      expect(c.features[i]).toBeCloseTo(f / nf, 5);
      expect(c.features[i]).toBeGreaterThan(0);
    }
  });

  it("is per image in 'population' mode and leaves no tensors behind", async () => {
    const before = tf.memory().numTensors;
    const all = await model.scoreComponents(x, { batchSize: 2 });
    const one = await model.scoreComponents(tf.tidy(() => tf.slice(x, [3], [1])));
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 1); // the slice
    expect(one.features[0]).toBeCloseTo(all.features[3]!, 6);
    expect(one.reconstruction[0]).toBeCloseTo(all.reconstruction[3]!, 6);
  });

  it("recomputes D's BatchNorm statistics over the training images (population mode)", async () => {
    const d = model.networks.discriminator;
    const bn = bnLayers(d)[0]!;
    // D's first BatchNorm layer follows conv + LeakyReLU without BatchNorm: its input does not
    // depend on the training flag, so its exact mean over the training images is easy to get.
    const probe = tfl.model({ inputs: d.inputs, outputs: bn.input as tfl.SymbolicTensor });
    const [mean, variance] = tf.tidy(() => {
      const h = probe.apply(tf.sub(tf.div(train, 127.5), 1), { training: false }) as tf.Tensor;
      const m = tf.moments(h, [0, 1, 2]);
      return [m.mean, m.variance];
    });
    const got = await bn.movingMean.read().data();
    const gotVar = await bn.movingVariance.read().data();
    const want = await mean.data();
    const wantVar = await variance.data();
    tf.dispose([mean, variance]);
    want.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 4));
    wantVar.forEach((v, i) => expect(gotVar[i]).toBeCloseTo(v, 4));
  });

  it('gives the same components after save and load (D statistics saved with the model)', async () => {
    const url = `file://${dir}/m`;
    await model.save(url);
    const loaded = await Ganomaly.load(url, { backend: BACKEND });
    try {
      const a = await model.scoreComponents(x);
      const b = await loaded.scoreComponents(x);
      expect(Array.from(b.features)).toEqual(Array.from(a.features));
      expect(Array.from(b.reconstruction)).toEqual(Array.from(a.reconstruction));
      expect(Array.from(b.latent)).toEqual(Array.from(a.latent));
    } finally {
      loaded.dispose();
    }
  });

  it("loads a training checkpoint whose running averages cover the generator chain only (saved before D's were kept)", async () => {
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = { ...a, weightData: tf.io.CompositeArrayBuffer.join(a.weightData!) };
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
      { trainingState: true },
    );
    const nets = model.networks;
    const chainTensors = 2 * [nets.encoder, nets.decoder, nets.reencoder].reduce((n, m) => n + bnLayers(m).length, 0);
    const dTensors = 2 * bnLayers(nets.discriminator).length;
    // Drop D's running averages (the last ones) from the specs and the bytes: an older checkpoint.
    const bytes = new Uint8Array(artifacts!.weightData as ArrayBuffer);
    const keep: tf.io.WeightsManifestEntry[] = [];
    const parts: Uint8Array[] = [];
    let offset = 0;
    let running = 0;
    for (const spec of artifacts!.weightSpecs!) {
      const size = spec.shape.reduce((a, b) => a * b, 1) * 4;
      const m = /^training\/running\/(\d+)$/.exec(spec.name);
      if (m) running++;
      if (!m || Number(m[1]) < chainTensors) {
        keep.push(spec);
        parts.push(bytes.subarray(offset, offset + size));
      }
      offset += size;
    }
    expect(running).toBe(chainTensors + dTensors);
    const old = { ...artifacts!, weightSpecs: keep, weightData: tf.io.CompositeArrayBuffer.join(parts.map((p) => p.slice().buffer)) };
    const loaded = await Ganomaly.load(tf.io.fromMemory(old), { backend: BACKEND });
    try {
      // The chain's running averages came back ('running' latent scores need nothing of D).
      const runningLatent = async (m: Ganomaly) => Array.from((await m.scoreComponents(x, { batchNormMode: 'running' })).latent);
      expect(await runningLatent(loaded)).toEqual(await runningLatent(model));
      expect(Array.from(await loaded.score(x))).toEqual(Array.from(await model.score(x)));
    } finally {
      loaded.dispose();
    }
  });

  it("keeps 'running' and 'batch' passes from changing the statistics", async () => {
    const a = await model.scoreComponents(x);
    await model.scoreComponents(x, { batchNormMode: 'batch' });
    const running = await model.scoreComponents(x, { batchNormMode: 'running' });
    const b = await model.scoreComponents(x);
    expect(Array.from(b.features)).toEqual(Array.from(a.features));
    // The running averages are D's own too: they give other features than the recomputed ones.
    expect(Array.from(running.features)).not.toEqual(Array.from(a.features));
  });
});

describe("fit({ select: 'validation' })", () => {
  let train: tf.Tensor4D;
  let probe: tf.Tensor4D;

  beforeAll(() => {
    train = images(20, 16, 1, 21);
    probe = images(6, 16, 1, 22);
  });

  afterAll(() => tf.dispose([train, probe]));

  it("restores the best epoch's weights: final scores equal those of that epoch's onEpochEnd", async () => {
    const model = await Ganomaly.create({ ...TINY, backend: BACKEND });
    try {
      const perEpochScores = new Map<number, Float32Array>();
      const batches = new Set<number>();
      const r = await model.fit(train, {
        epochs: 4,
        batchSize: 4,
        select: 'validation',
        onBatchEnd: (l) => void batches.add(l.batches),
        onEpochEnd: async (l: EpochLogs) => void perEpochScores.set(l.epoch, await model.score(probe)),
      });
      // 2 of the 20 images are held out: 18 train, 4 batches of 4 (the last 2 dropped).
      expect([...batches]).toEqual([4]);
      const sel = r.selection!;
      expect(sel.rule).toBe('validation');
      expect(sel.perEpoch).toEqual(r.history.map((h) => h.selectionAuroc));
      // The deprecated name holds the same value; `auroc` (the `validation` option's) is absent.
      expect(r.history.map((h) => h.validationAuroc)).toEqual(sel.perEpoch);
      expect(r.history.every((h) => h.auroc === undefined)).toBe(true);
      expect(sel.auroc).toBe(Math.max(...sel.perEpoch));
      expect(sel.epoch).toBe(sel.perEpoch.indexOf(sel.auroc) + 1);
      // This seed's best epoch is not the last, so the restore is what the check below sees.
      expect(sel.epoch).toBeLessThan(4);
      const final = await model.score(probe);
      expect(Array.from(final)).toEqual(Array.from(perEpochScores.get(sel.epoch)!));
      expect(Array.from(final)).not.toEqual(Array.from(perEpochScores.get(4)!));
      // The recomputed statistics are those of the selected epoch; the model still scores per image.
      expect(model.metadata().statistics).toBe('population');
      // Which epoch it holds is part of the model: saved, loaded, and dropped by training further.
      expect(model.selection).toEqual({ rule: 'validation', epoch: sel.epoch, auroc: sel.auroc });
      expect(model.metadata().selection).toEqual(model.selection);
      let artifacts: tf.io.ModelArtifacts | undefined;
      await model.save(
        tf.io.withSaveHandler(async (a) => {
          artifacts = { ...a, weightData: tf.io.CompositeArrayBuffer.join(a.weightData!) };
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }),
      );
      const loaded = await Ganomaly.load(tf.io.fromMemory(artifacts!), { backend: BACKEND });
      expect(loaded.selection).toEqual(model.selection);
      expect(loaded.metadata().selection).toEqual(model.selection);
      loaded.dispose();
      const meta = (artifacts!.modelTopology as { ganomaly: Record<string, unknown> }).ganomaly;
      for (const bad of [{ rule: 'best', epoch: 1, auroc: 0.5 }, { rule: 'validation', epoch: 0, auroc: 0.5 }, { rule: 'validation', epoch: 1, auroc: 2 }]) {
        const edited = { ...artifacts!, modelTopology: { ...(artifacts!.modelTopology as object), ganomaly: { ...meta, selection: bad } } };
        await expect(Ganomaly.load(tf.io.fromMemory(edited), { backend: BACKEND })).rejects.toThrow(/invalid 'selection'/);
      }
      await model.fit(train, { epochs: 1, batchSize: 4 });
      expect(model.selection).toBeNull();
      expect(model.metadata().selection).toBeUndefined();
    } finally {
      model.dispose();
    }
  });

  it('scores given selection images (labelled, or normal ones with synthetic anomalies); nothing held out', async () => {
    const model = await Ganomaly.create({ ...TINY, backend: BACKEND });
    const set = data.fromTensor(probe);
    try {
      const batches = new Set<number>();
      const r = await model.fit(train, {
        epochs: 2,
        batchSize: 4,
        select: 'validation',
        selection: { images: set, synthetic: { kinds: ['noise'] } },
        onBatchEnd: (l) => void batches.add(l.batches),
      });
      expect([...batches]).toEqual([5]);
      expect(r.selection!.perEpoch).toHaveLength(2);
      const labelled = await model.fit(train, {
        epochs: 1,
        batchSize: 4,
        select: 'validation',
        selection: { images: probe, labels: [0, 0, 0, 1, 1, 1] },
      });
      expect(labelled.history[0]!.selectionAuroc).toBeGreaterThanOrEqual(0);
      expect(labelled.selection!.epoch).toBe(3);
    } finally {
      model.dispose();
    }
  });

  it('an aborted fit keeps the weights it reached (no restore)', async () => {
    const model = await Ganomaly.create({ ...TINY, backend: BACKEND });
    try {
      const ctrl = new AbortController();
      const at = new Map<number, Float32Array>();
      const err = await model
        .fit(train, {
          epochs: 5,
          batchSize: 4,
          select: 'validation',
          signal: ctrl.signal,
          onEpochEnd: async (l) => {
            at.set(l.epoch, await model.score(probe));
            if (l.epoch === 3) ctrl.abort();
          },
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AbortError);
      expect(Array.from(await model.score(probe))).toEqual(Array.from(at.get(3)!));
      expect(tf.memory().numTensors).toBeGreaterThan(0);
    } finally {
      model.dispose();
    }
  });

  it('leaves no tensors behind', async () => {
    const model = await Ganomaly.create({ ...TINY, backend: BACKEND });
    try {
      await model.fit(train, { epochs: 1, batchSize: 4, select: 'validation' });
      const before = tf.memory().numTensors;
      await model.fit(train, { epochs: 2, batchSize: 4, select: 'validation' });
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      model.dispose();
    }
  });

  it('rejects bad selection options with the argument named', async () => {
    const model = await Ganomaly.create({ ...TINY, backend: BACKEND });
    try {
      await expect(model.fit(train, { select: 'best' as 'last' })).rejects.toThrow(/options\.select/);
      await expect(model.fit(train, { selection: { holdout: 0.2 } })).rejects.toThrow(/select: 'validation'/);
      await expect(model.fit(train, { select: 'validation', selection: { holdout: 1 } })).rejects.toThrow(/options\.selection\.holdout/);
      await expect(model.fit(train, { select: 'validation', selection: { holdout: 0.01 } })).rejects.toThrow(/at least 1 of the 20/);
      await expect(model.fit(train, { select: 'validation', selection: { labels: [0, 1] } })).rejects.toThrow(/options\.selection\.labels/);
      await expect(model.fit(train, { select: 'validation', selection: { images: probe, holdout: 0.1 } })).rejects.toThrow(ValueError);
      await expect(model.fit(train, { select: 'validation', selection: { images: probe, labels: [0, 0, 0, 0, 0, 0] } })).rejects.toThrow(/both/);
      await expect(model.fit(train, { select: 'validation', selection: { synthetic: { kinds: ['x' as 'flip'] } } })).rejects.toThrow(/kinds\[0\]/);
      expect(model.epochs).toBe(0);
    } finally {
      model.dispose();
    }
  });
});

describe('scoreVariant', () => {
  let train: tf.Tensor4D;
  let calib: tf.Tensor4D;
  let x: tf.Tensor4D;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ganomaly-variants-'));
  /** One trained model per variant, all with the same seed: the same weights. */
  const models = new Map<string, Ganomaly>();

  beforeAll(async () => {
    train = images(16, 16, 1, 31);
    calib = images(8, 16, 1, 32);
    x = images(5, 16, 1, 33);
    for (const v of ['mse', 'latent', 'l1', 'reconstruction', 'features', 'skip', 'combined'] as const) {
      const m = await Ganomaly.create({ ...TINY, backend: BACKEND, scoreVariant: v });
      await m.fit(train, { epochs: 1, batchSize: 8 });
      models.set(v, m);
    }
  });

  afterAll(() => {
    for (const m of models.values()) m.dispose();
    tf.dispose([train, calib, x]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("'latent' scores are 'mse' scores; each plain variant is its component", async () => {
    const c = await models.get('mse')!.scoreComponents(x);
    expect(Array.from(await models.get('latent')!.score(x))).toEqual(Array.from(await models.get('mse')!.score(x)));
    expect(Array.from(await models.get('latent')!.score(x))).toEqual(Array.from(c.latent));
    expect(Array.from(await models.get('l1')!.score(x))).toEqual(Array.from(c.latentL1));
    expect(Array.from(await models.get('reconstruction')!.score(x))).toEqual(Array.from(c.reconstruction));
    expect(Array.from(await models.get('features')!.score(x))).toEqual(Array.from(c.features));
  });

  it("'skip' and 'combined' need calibrate first (NotCalibratedError saying so)", async () => {
    for (const v of ['skip', 'combined']) {
      const m = models.get(v)!;
      await expect(m.score(x)).rejects.toThrow(NotCalibratedError);
      await expect(m.score(x)).rejects.toThrow(/call 'calibrate'/);
      await expect(m.evaluate(x, [0, 0, 1, 1, 1])).rejects.toThrow(NotCalibratedError);
      // The components are always there.
      expect((await m.scoreComponents(x)).latent).toHaveLength(5);
    }
  });

  it('calibrate fits the component scaling on the calibration images; scores combine it by hand', async () => {
    const cc = await models.get('mse')!.scoreComponents(calib);
    const cx = await models.get('mse')!.scoreComponents(x);
    const stats = (a: Float32Array) => {
      const mean = a.reduce((s, v) => s + v, 0) / a.length;
      return { min: Math.min(...a), max: Math.max(...a), mean, std: Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length) };
    };
    const [sl, sr, sf] = [stats(cc.latent), stats(cc.reconstruction), stats(cc.features)];
    const skip = models.get('skip')!;
    const cal = await skip.calibrate(calib);
    expect(cal.componentScaling!.count).toBe(8);
    expect(cal.componentScaling!.reconstruction.max).toBeCloseTo(sr.max, 6);
    const s = await skip.score(x);
    for (let i = 0; i < 5; i++) {
      const want = (0.9 * (cx.reconstruction[i]! - sr.min)) / (sr.max - sr.min) + (0.1 * (cx.features[i]! - sf.min)) / (sf.max - sf.min);
      expect(s[i]).toBeCloseTo(want, 4);
    }
    // The threshold is on the same scale: the 0.99 quantile of the calibration images' own skip scores.
    const own = await skip.score(calib);
    expect(cal.threshold).toBeLessThanOrEqual(Math.max(...own) + 1e-6);
    expect(cal.threshold).toBeGreaterThan(0.5);
    const combined = models.get('combined')!;
    await combined.calibrate(calib);
    const t = await combined.score(x);
    for (let i = 0; i < 5; i++) {
      const want = (cx.latent[i]! - sl.mean) / sl.std + (cx.reconstruction[i]! - sr.mean) / sr.std + (cx.features[i]! - sf.mean) / sf.std;
      expect(t[i]).toBeCloseTo(want, 3);
    }
    // With labels, the scaling is fitted on the normal (0) images only.
    const lab = await combined.calibrate(calib, { labels: [0, 0, 0, 0, 1, 1, 1, 1] });
    expect(lab.componentScaling!.count).toBe(4);
    await combined.calibrate(calib);
  });

  it("a model saved without D's recomputed statistics: 'features', 'skip', 'combined' refuse until recomputeStatistics", async () => {
    for (const v of ['mse', 'features', 'combined'] as const) {
      const m = models.get(v)!;
      if (v === 'combined' && !m.calibration) await m.calibrate(calib);
      expect(m.metadata().discriminatorStatistics).toBe('population');
      const d = path.join(dir, `old-${v}`);
      await m.save(`file://${d}`);
      // What a save before D's statistics were recomputed wrote: the same metadata without the field.
      for (const f of ['metadata.json', 'model.json']) {
        const j = JSON.parse(fs.readFileSync(path.join(d, f), 'utf8'));
        const meta = f === 'model.json' ? j.modelTopology.ganomaly : j;
        expect(meta.discriminatorStatistics).toBe('population');
        delete meta.discriminatorStatistics;
        fs.writeFileSync(path.join(d, f), JSON.stringify(j));
      }
      const loaded = await Ganomaly.load(`file://${d}`, { backend: BACKEND });
      try {
        expect(loaded.metadata().discriminatorStatistics).toBeUndefined();
        if (v === 'mse') {
          // The latent score does not read D: it scores as before.
          expect(Array.from(await loaded.score(x))).toEqual(Array.from(await m.score(x)));
          continue;
        }
        const err = await loaded.score(x).catch((e) => e);
        expect(err).toBeInstanceOf(ValueError);
        expect(err.message).toMatch(new RegExp(`scoreVariant '${v}' reads the discriminator's feature map.*call recomputeStatistics\\(trainingImages\\)`, 'i'));
        await expect(loaded.evaluate(x, [0, 0, 1, 1, 1])).rejects.toThrow(/recomputeStatistics/);
        await expect(loaded.calibrate(calib)).rejects.toThrow(/recomputeStatistics/);
        // A pass in 'batch' mode does not use the saved statistics: no refusal.
        expect((await loaded.score(x, { batchNormMode: 'batch' })).length).toBe(5);
        // The same pass as fit's (batches of 8): the same statistics, the same scores.
        await loaded.recomputeStatistics(train, 8);
        expect(loaded.metadata().discriminatorStatistics).toBe('population');
        const want = await m.score(x);
        Array.from(await loaded.score(x)).forEach((s, i) => expect(s).toBeCloseTo(want[i]!, 4));
      } finally {
        loaded.dispose();
      }
    }
  });

  it('saves the scaling with the calibration: a loaded model scores the same', async () => {
    const m = models.get('combined')!;
    if (!m.calibration) await m.calibrate(calib);
    await m.save(`file://${dir}/c`);
    const loaded = await Ganomaly.load(`file://${dir}/c`, { backend: BACKEND });
    try {
      expect(loaded.config.scoreVariant).toBe('combined');
      expect(loaded.calibration!.componentScaling).toEqual(m.calibration!.componentScaling);
      expect(Array.from(await loaded.score(x))).toEqual(Array.from(await m.score(x)));
      expect((await loaded.predict(x)).isAnomaly).toHaveLength(5);
    } finally {
      loaded.dispose();
    }
  });

  it("select: 'validation' works with every variant (the combined ones scaled on the held-out normals)", async () => {
    for (const v of ['reconstruction', 'skip', 'combined'] as const) {
      const m = await Ganomaly.create({ ...TINY, backend: BACKEND, scoreVariant: v });
      try {
        const r = await m.fit(train, { epochs: 1, batchSize: 4, select: 'validation', selection: { holdout: 0.25 } });
        const a = r.selection!.auroc;
        expect(a >= 0 && a <= 1).toBe(true);
      } finally {
        m.dispose();
      }
    }
  });

  it("exportOnnx exports 'latent' (as 'mse'), 'l1' and 'reconstruction', and names the ones it cannot express", async () => {
    const { readOnnxModelInfo } = await import('@ganomaly/onnx');
    expect(readOnnxModelInfo(await models.get('latent')!.exportOnnx()).scoreVariant).toBe('mse');
    expect(readOnnxModelInfo(await models.get('reconstruction')!.exportOnnx()).scoreVariant).toBe('reconstruction');
    for (const v of ['features', 'skip']) {
      await expect(models.get(v)!.exportOnnx()).rejects.toThrow(new RegExp(`scoreVariant '${v}' cannot be exported`));
    }
  });

  it('rejects an unknown variant with the list', async () => {
    await expect(Ganomaly.create({ ...TINY, backend: BACKEND, scoreVariant: 'psnr' as 'mse' })).rejects.toThrow(/'latent'.*'combined'/);
  });
});
