// Training checkpoints: a model stopped mid-training, saved with its training state, loaded and
// fitted on must end with exactly the weights of a run that never stopped (same seed).
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortError, Ganomaly, ModelFormatError, ValueError, type CreateOptions } from '@ganomaly/core';
import { images } from './helpers.js';

const BACKEND = 'wasm';
const OPTS: CreateOptions = { imageSize: 16, channels: 1, latentDim: 8, baseWidth: 4, seed: 5, backend: BACKEND };
const FIT = { epochs: 2, batchSize: 16 };

let dir: string;
let train: tf.Tensor4D;
let test: tf.Tensor4D;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ganomaly-ckpt-'));
  await tf.ready();
  train = images(80, 16, 1, 11); // 5 batches per epoch
  test = images(12, 16, 1, 12);
});

afterAll(async () => {
  tf.dispose([train, test]);
  await rm(dir, { recursive: true, force: true });
});

/** Every weight of the four networks, flattened in order. */
function allWeights(m: Ganomaly): Float32Array[] {
  const n = m.networks;
  return [n.encoder, n.decoder, n.reencoder, n.discriminator].flatMap((net) => net.getWeights().map((w) => w.dataSync() as Float32Array));
}

function expectIdentical(a: Float32Array[], b: Float32Array[]): void {
  expect(a.length).toBe(b.length);
  a.forEach((w, i) => {
    let diff = 0;
    for (let k = 0; k < w.length; k++) diff = Math.max(diff, Math.abs(w[k] - b[i][k]));
    expect(diff, `weight tensor ${i}`).toBe(0);
  });
}

/** Trains `FIT` without stopping; returns weights, scores and history. */
async function uninterrupted(extra: CreateOptions = {}) {
  const m = await Ganomaly.create({ ...OPTS, ...extra });
  const { history } = await m.fit(train, FIT);
  const out = { weights: allWeights(m), scores: await m.score(test), history };
  m.dispose();
  return out;
}

/**
 * Trains `FIT`, aborting when `stopAt(epoch, batch)` says so, saves a checkpoint (with or without
 * training state), loads it into a fresh model and trains on to the same total number of epochs.
 */
async function interrupted(stopAt: (epoch: number, batch: number) => boolean, name: string, opts: { trainingState?: boolean; extra?: CreateOptions } = {}) {
  const m = await Ganomaly.create({ ...OPTS, ...opts.extra });
  const ctl = new AbortController();
  const err = await m
    .fit(train, { ...FIT, signal: ctl.signal, onBatchEnd: ({ epoch, batch }) => void (stopAt(epoch, batch) && ctl.abort()) })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(AbortError);
  const where = `file://${path.join(dir, name)}`;
  await m.save(where, { trainingState: opts.trainingState ?? true });
  const partial = m.interruptedEpoch;
  m.dispose();
  const r = await Ganomaly.load(where, { backend: BACKEND });
  expect(r.interruptedEpoch).toEqual(opts.trainingState === false ? null : partial);
  const { history } = await r.fit(train, { ...FIT, epochs: FIT.epochs - r.epochs });
  const out = { weights: allWeights(r), scores: await r.score(test), history, partial };
  r.dispose();
  return out;
}

describe('training checkpoints', () => {
  let reference: Awaited<ReturnType<typeof uninterrupted>>;
  beforeAll(async () => {
    reference = await uninterrupted();
  });

  it('resuming mid-epoch gives exactly the weights, scores and epoch losses of an uninterrupted run', async () => {
    const r = await interrupted((e, b) => e === 1 && b === 3, 'mid-epoch');
    expect(r.partial).toMatchObject({ epoch: 1, nextBatch: 3, batches: 5, batchSize: 16, count: 80 });
    expectIdentical(r.weights, reference.weights);
    expect(Array.from(r.scores)).toEqual(Array.from(reference.scores));
    // The interrupted epoch is logged once, when it completes, with the losses of all its batches.
    expect(r.history.map((h) => h.epoch)).toEqual([1, 2]);
    expect(r.history.map((h) => h.generatorLoss)).toEqual(reference.history.map((h) => h.generatorLoss));
    expect(r.history.map((h) => h.discriminatorLoss)).toEqual(reference.history.map((h) => h.discriminatorLoss));
  });

  it('resuming in the second epoch and at an epoch boundary is exact too', async () => {
    const late = await interrupted((e, b) => e === 2 && b === 1, 'second-epoch');
    expectIdentical(late.weights, reference.weights);
    const boundary = await interrupted((e, b) => e === 1 && b === 5, 'boundary');
    expect(boundary.partial).toBeNull(); // the abort was seen before epoch 2's first batch
    expectIdentical(boundary.weights, reference.weights);
    expect(boundary.history.map((h) => h.epoch)).toEqual([2]);
  });

  it('the discriminator-reset counter is part of the state (re-initialisations are seeded by it)', async () => {
    // A threshold above any BCE loss makes D re-initialise after every batch.
    const extra = { discriminatorResetThreshold: 1e6 };
    const ref = await uninterrupted(extra);
    expect(ref.history[0].discriminatorResets).toBe(5);
    const r = await interrupted((e, b) => e === 1 && b === 2, 'resets', { extra });
    expectIdentical(r.weights, ref.weights);
  });

  it('without the training state the run is not reproduced (the check above can fail)', async () => {
    const r = await interrupted((e, b) => e === 1 && b === 3, 'no-state', { trainingState: false });
    const differs = r.weights.some((w, i) => w.some((v, k) => v !== reference.weights[i][k]));
    expect(differs).toBe(true);
  });

  it('an abort from a timer (or a signal handler) lands mid-epoch, not at the end of the epoch', async () => {
    const m = await Ganomaly.create(OPTS);
    const ctl = new AbortController();
    const err = await m
      .fit(train, { ...FIT, signal: ctl.signal, onBatchEnd: ({ batch }) => void (batch === 1 && setTimeout(() => ctl.abort(), 0)) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    // Without a turn of the event loop per batch, the timer would only fire after batch 5 of 5.
    expect(m.interruptedEpoch?.epoch).toBe(1);
    expect(m.interruptedEpoch!.nextBatch).toBeLessThan(5);
    m.dispose();
  });

  it('fitting on other images or another batch size refuses to continue the interrupted epoch; restartEpoch drops it', async () => {
    const m = await Ganomaly.create(OPTS);
    const ctl = new AbortController();
    await m.fit(train, { ...FIT, signal: ctl.signal, onBatchEnd: ({ batch }) => void (batch === 2 && ctl.abort()) }).catch(() => undefined);
    expect(m.interruptedEpoch?.nextBatch).toBe(2);
    await expect(m.fit(train, { epochs: 1, batchSize: 8 })).rejects.toThrow(ValueError);
    await expect(m.fit(train, { epochs: 1, batchSize: 8 })).rejects.toThrow(/interrupted epoch 1 \(stopped after batch 2 of 5\).*restartEpoch/);
    const sub = tf.slice(train, 0, 64);
    await expect(m.fit(sub, FIT)).rejects.toThrow(/80 images/);
    sub.dispose();
    const { history } = await m.fit(train, { epochs: 1, batchSize: 8, restartEpoch: true });
    expect(history[0].epoch).toBe(1);
    expect(m.interruptedEpoch).toBeNull();
    m.dispose();
  });

  it('a corrupt training state is a ModelFormatError, and the plain model loads without one', async () => {
    const m = await Ganomaly.create(OPTS);
    await m.fit(train, { epochs: 1, batchSize: 16 });
    const good = path.join(dir, 'corrupt');
    await m.save(`file://${good}`, { trainingState: true });
    m.dispose();
    const metaFile = path.join(good, 'model.json');
    const json = JSON.parse(await readFile(metaFile, 'utf8'));
    json.modelTopology.ganomaly.training.optimizers.generator.tensors = 4;
    await writeFile(metaFile, JSON.stringify(json));
    await expect(Ganomaly.load(`file://${good}`, { backend: BACKEND })).rejects.toThrow(ModelFormatError);
    await expect(Ganomaly.load(`file://${good}`, { backend: BACKEND })).rejects.toThrow(/training state .* corrupt: invalid generator optimizer/);
  });

  it('save and load with training state leak no tensors', async () => {
    const m = await Ganomaly.create(OPTS);
    await m.fit(train, { epochs: 1, batchSize: 16 });
    const before = tf.memory().numTensors;
    const where = `file://${path.join(dir, 'leak')}`;
    await m.save(where, { trainingState: true });
    expect(tf.memory().numTensors).toBe(before);
    const r = await Ganomaly.load(where, { backend: BACKEND });
    r.dispose();
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });
});
