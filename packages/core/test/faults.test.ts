// Fault cases of the library (issue #17; the table is docs/faults.md): concurrent use of one model,
// dispose during fit, absurd sizes, damaged weights, and what a killed save leaves behind.
import * as tf from '@tensorflow/tfjs-core';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusyError, DisposedError, Ganomaly, MAX_PARAMETERS, ModelFormatError, ValueError, estimateModelSize, recoverInterruptedSave, useBackend } from '@ganomaly/core';
import { TINY, images } from './helpers.js';

const BACKEND = 'wasm';
let dir: string;
let train: tf.Tensor4D;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ganomaly-faults-'));
  await useBackend(BACKEND);
  train = images(32, 16, 1, 21);
});

afterAll(async () => {
  tf.dispose(train);
  await rm(dir, { recursive: true, force: true });
});

describe('fault 8: concurrent use of one model', () => {
  it('a second fit while one trains rejects with a BusyError; the first trains its epochs', async () => {
    const m = await Ganomaly.create({ ...TINY, backend: BACKEND });
    try {
      const first = m.fit(train, { epochs: 1, batchSize: 8 });
      await expect(m.fit(train, { epochs: 1, batchSize: 8 })).rejects.toThrow(BusyError);
      await first;
      expect(m.epochs).toBe(1);
      // Settled: the next fit runs.
      await m.fit(train, { epochs: 1, batchSize: 8 });
      expect(m.epochs).toBe(2);
    } finally {
      m.dispose();
    }
  });

  it('score, save and calibrate during fit reject with a BusyError; inside fit callbacks they run', async () => {
    const m = await Ganomaly.create({ ...TINY, backend: BACKEND });
    try {
      let saved = false;
      const fitting = m.fit(train, {
        epochs: 1,
        batchSize: 8,
        onEpochEnd: async () => {
          await m.save(`file://${path.join(dir, 'from-callback')}`);
          saved = true;
        },
      });
      await expect(m.score(train)).rejects.toThrow(BusyError);
      await expect(m.score(train)).rejects.toThrow(/while this model is training/);
      await expect(m.save(`file://${path.join(dir, 'during')}`)).rejects.toThrow(BusyError);
      await expect(m.calibrate(train)).rejects.toThrow(BusyError);
      // exportOnnx and recomputeStatistics are guarded too (not "statistics were not recomputed").
      await expect(m.exportOnnx()).rejects.toThrow(BusyError);
      await expect(m.recomputeStatistics(train)).rejects.toThrow(BusyError);
      await fitting;
      expect(saved).toBe(true);
      expect((await m.score(train)).length).toBe(32);
      // fit while a score runs is refused too.
      const scoring = m.score(train);
      await expect(m.fit(train, { epochs: 1 })).rejects.toThrow(BusyError);
      await scoring;
    } finally {
      m.dispose();
    }
  });

  it('dispose() inside onBatchEnd ends fit with a DisposedError and releases the tensors', async () => {
    const before = tf.memory().numTensors;
    const m = await Ganomaly.create({ ...TINY, backend: BACKEND });
    let batches = 0;
    const err = await m
      .fit(train, {
        epochs: 2,
        batchSize: 8,
        onBatchEnd: () => {
          if (++batches === 2) m.dispose();
        },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DisposedError);
    expect(batches).toBe(2);
    expect(m.isDisposed).toBe(true);
    await expect(m.score(train)).rejects.toThrow(DisposedError);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('fault 7: sizes that cannot be built', () => {
  it('create({ imageSize: 1024 }) fails at once with a ValueError naming the limit', async () => {
    const t = performance.now();
    const err = await Ganomaly.create({ imageSize: 1024, backend: BACKEND }).catch((e: unknown) => e);
    expect(performance.now() - t).toBeLessThan(20_000) // building it would take minutes: loose, so that a loaded machine still meets it;
    expect(err).toBeInstanceOf(ValueError);
    expect((err as Error).message).toMatch(/at most 200 million parameters \(the limit of this library\), but imageSize 1024, baseWidth 64, latentDim 100 gives about 2\.\d+ G parameters/);
    // Small widths at large sizes are bounded by their activations.
    await expect(Ganomaly.create({ imageSize: 2048, baseWidth: 8, backend: BACKEND })).rejects.toThrow(/MiB of training activations per image/);
  });

  it('the estimate is the real parameter count (within 0.5%)', async () => {
    for (const extra of [{ imageSize: 16, baseWidth: 8 }, { imageSize: 64, baseWidth: 12, latentDim: 20 }]) {
      const m = await Ganomaly.create({ ...TINY, ...extra, backend: BACKEND });
      const real = Object.values(m.networks).reduce((s, n) => s + n.countParams(), 0);
      const est = estimateModelSize(m.config).parameters;
      expect(Math.abs(est - real) / real).toBeLessThan(5e-3);
      expect(est).toBeLessThan(MAX_PARAMETERS);
      m.dispose();
    }
  });
});

describe('fault 6: damaged weights', () => {
  it('flipped bytes in weights.bin fail at load through the checksum in the metadata', async () => {
    const m = await Ganomaly.create({ ...TINY, backend: BACKEND });
    const target = path.join(dir, 'flipped');
    await m.save(`file://${target}`);
    m.dispose();
    const meta = JSON.parse(await readFile(path.join(target, 'metadata.json'), 'utf8'));
    expect(meta.weightsSha256).toMatch(/^[0-9a-f]{64}$/);
    const w = await readFile(path.join(target, 'weights.bin'));
    w[100] ^= 0x01; // a finite value stays finite
    await writeFile(path.join(target, 'weights.bin'), w);
    await expect(Ganomaly.load(`file://${target}`, { backend: BACKEND })).rejects.toThrow(ModelFormatError);
    await expect(Ganomaly.load(`file://${target}`, { backend: BACKEND })).rejects.toThrow(/do not match the checksum/);
  });

  it('finite weights that give non-finite scores are an unusable model (ModelFormatError), not NaN scores', async () => {
    const m = await Ganomaly.create({ ...TINY, backend: BACKEND });
    // Trained, so that the default 'knn' score has its memory of training codes (saved after the networks' weights).
    await m.fit(train, { epochs: 1, batchSize: 8 });
    const target = path.join(dir, 'huge');
    await m.save(`file://${target}`);
    m.dispose();
    // Weights too large for float32 arithmetic, with no checksum (as a model saved elsewhere).
    const w = await readFile(path.join(target, 'weights.bin'));
    const f = new Float32Array(w.buffer, w.byteOffset, w.byteLength / 4);
    f.fill(3e38, 0, 2000);
    await writeFile(path.join(target, 'weights.bin'), w);
    const meta = JSON.parse(await readFile(path.join(target, 'metadata.json'), 'utf8'));
    delete meta.weightsSha256;
    await writeFile(path.join(target, 'metadata.json'), JSON.stringify(meta));
    const json = JSON.parse(await readFile(path.join(target, 'model.json'), 'utf8'));
    delete json.modelTopology.ganomaly.weightsSha256;
    await writeFile(path.join(target, 'model.json'), JSON.stringify(json));
    const loaded = await Ganomaly.load(`file://${target}`, { backend: BACKEND });
    try {
      await expect(loaded.score(train)).rejects.toThrow(ModelFormatError);
      await expect(loaded.score(train)).rejects.toThrow(/non-finite anomaly scores/);
      await expect(loaded.calibrate(train)).rejects.toThrow(ModelFormatError);
      await expect(loaded.evaluate(train, Array.from({ length: 32 }, (_, i) => i % 2))).rejects.toThrow(ModelFormatError);
    } finally {
      loaded.dispose();
    }
  });
});

describe('fault 5: what a killed save leaves behind', () => {
  const DEAD = 2 ** 22 + 12345; // above Linux's default pid_max: no such process
  async function saved(name: string, seed = TINY.seed): Promise<string> {
    const m = await Ganomaly.create({ ...TINY, seed, backend: BACKEND });
    const t = path.join(dir, name);
    await m.save(`file://${t}`);
    m.dispose();
    return t;
  }

  it('killed between the two renames with a complete new folder: the next load finishes the swap', async () => {
    const old = await saved('swap-old');
    // Another seed: the new model's weights differ, so the test tells a finished swap from a rollback.
    const fresh = await saved('swap-new', 99);
    const oldWeights = await readFile(path.join(old, 'weights.bin'));
    const newWeights = await readFile(path.join(fresh, 'weights.bin'));
    expect(newWeights.equals(oldWeights)).toBe(false);
    const target = path.join(dir, 'swap');
    const stamp = `${DEAD}-${Date.now()}-abc123`;
    await rm(target, { recursive: true, force: true });
    await mkdir(path.dirname(target), { recursive: true });
    await import('node:fs/promises').then((fs) => Promise.all([fs.rename(old, `${target}.old-${stamp}`), fs.rename(fresh, `${target}.tmp-${stamp}`)]));
    const m = await Ganomaly.load(`file://${target}`, { backend: BACKEND });
    m.dispose();
    const left = (await readdir(dir)).filter((e) => e.startsWith('swap'));
    expect(left).toEqual(['swap']);
    expect((await readFile(path.join(target, 'weights.bin'))).equals(newWeights)).toBe(true);
  });

  it('with an incomplete new folder it rolls back to the old model; stale temporaries are removed; a live process is left alone', async () => {
    const old = await saved('roll-old');
    const oldWeights = await readFile(path.join(old, 'weights.bin'));
    const target = path.join(dir, 'roll');
    const stamp = `${DEAD}-${Date.now()}-def456`;
    const fs = await import('node:fs/promises');
    await fs.rename(old, `${target}.old-${stamp}`);
    await mkdir(`${target}.tmp-${stamp}`);
    await writeFile(path.join(`${target}.tmp-${stamp}`, 'weights.bin'), 'half');
    const stale = `${target}.tmp-${DEAD}-${Date.now() - 1000}-aaaaaa`;
    await mkdir(stale);
    const live = `${target}.tmp-${process.ppid}-${Date.now()}-bbbbbb`;
    await mkdir(live);
    const notes = await recoverInterruptedSave(target);
    expect(notes.join('\n')).toMatch(/rolled back an interrupted save/);
    expect((await readFile(path.join(target, 'weights.bin'))).equals(oldWeights)).toBe(true);
    const left = (await readdir(dir)).filter((e) => e.startsWith('roll')).sort();
    expect(left).toEqual(['roll', path.basename(live)]);
    await rm(live, { recursive: true });
  });
});
