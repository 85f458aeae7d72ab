// The `node` backend's compiled training step (compiled-step.ts): one TensorFlow graph per
// iteration that must compute what the eager step computes. Runs where tfjs-node loads (`npm run
// setup:tfjs-node`, which .ci/run runs); elsewhere it is skipped and the skip says why.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Ganomaly, ValueError, registerEncoder, useBackend, type Encoder, type GanomalyConfig } from '@ganomaly/core';

let reason: string | null = null;
try {
  await useBackend('node');
} catch (e) {
  reason = (e as Error).message.replace(/\s+/g, ' ');
}

const config: GanomalyConfig = { imageSize: 32, channels: 1, latentDim: 16, baseWidth: 8, seed: 5, backend: 'node', batchNormMode: 'running' };

/** Every weight of the four networks (BatchNorm running averages included), by position and layer name. */
function weightsOf(m: Ganomaly): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [k, net] of Object.entries(m.networks)) net.weights.forEach((w, i) => out.set(`${k}/${i} ${w.originalName}`, w.read().dataSync() as Float32Array));
  return out;
}

/** Largest |a - b| of each tensor relative to the largest |a| of that tensor, over all of them. */
function worstRelative(a: Map<string, Float32Array>, b: Map<string, Float32Array>): { diff: number; name: string } {
  let worst = { diff: 0, name: '' };
  expect([...b.keys()]).toEqual([...a.keys()]);
  for (const [name, va] of a) {
    const vb = b.get(name)!;
    let scale = 1e-12;
    let d = 0;
    for (let i = 0; i < va.length; i++) {
      scale = Math.max(scale, Math.abs(va[i]!));
      d = Math.max(d, Math.abs(va[i]! - vb[i]!));
    }
    if (d / scale > worst.diff) worst = { diff: d / scale, name };
  }
  return worst;
}

async function adamState(m: Ganomaly): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  const state = (m as unknown as { state: { optG: tf.Optimizer; optD: tf.Optimizer } }).state;
  for (const [k, o] of [['g', state.optG], ['d', state.optD]] as const) {
    (await o.getWeights()).forEach(async (w, i) => out.set(`${k}/${i}`, w.tensor.dataSync() as Float32Array));
  }
  return out;
}

// The same values up to float32 rounding in differently fused and ordered sums: gradients and
// running averages agree to about 1e-5 of a tensor's scale here; a wrong gradient, a missed
// BatchNorm update or a stale input moves them by percents.
const SAME_WEIGHTS = 2e-4;

describe.skipIf(reason !== null)(`compiled training step on node${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let dir: string;
  // Made in beforeAll: the describe body runs also where the suite is skipped (no tfjs-node).
  let train: tf.Tensor4D;
  beforeAll(async () => {
    train = tf.tidy(() => tf.round(tf.randomUniform([56, 32, 32, 1], 0, 255, 'float32', 11)));
    dir = await mkdtemp(path.join(os.tmpdir(), 'ganomaly-compiled-'));
  });
  afterAll(async () => {
    train?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function trainBoth(extra: Partial<GanomalyConfig> = {}, epochs = 1) {
    const eager = await Ganomaly.create({ ...config, ...extra });
    const compiled = await Ganomaly.create({ ...config, ...extra });
    const lossesE: number[][] = [];
    const lossesC: number[][] = [];
    // Two fits, batches of 16 then of 24 (fit drops a last partial batch): 3 + 2 iterations, two graphs.
    const fitBoth = async (batchSize: number) => {
      const rE = await eager.fit(train, { epochs, batchSize, shuffle: false, compiledStep: false, onBatchEnd: (l) => void lossesE.push(Object.values(l.losses)) });
      const rC = await compiled.fit(train, { epochs, batchSize, shuffle: false, onBatchEnd: (l) => void lossesC.push(Object.values(l.losses)) });
      return { rE, rC };
    };
    await fitBoth(16);
    const before = tf.memory().numTensors;
    const { rE, rC } = await fitBoth(24);
    return { eager, compiled, rE, rC, lossesE, lossesC, leaked: tf.memory().numTensors - before };
  }

  /** Trainable weights, running averages. */
  const part = (m: Map<string, Float32Array>, moving: boolean) => new Map([...m].filter(([k]) => k.includes('moving') === moving));
  /** How many weights differ by more than a tenth of one Adam step (lr 2e-4): Adam's update is
   * about lr whatever the gradient's size, so a weight with a wrong gradient moves by about lr. */
  function offByStep(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
    let off = 0;
    for (const [k, v] of a) v.forEach((x, i) => void (Math.abs(x - b.get(k)![i]!) > 2e-5 && off++));
    return off;
  }

  it("one iteration: the same gradients (in Adam's moments), running averages and weights as the eager step", async () => {
    const eager = await Ganomaly.create(config);
    const compiled = await Ganomaly.create(config);
    const one = tf.slice(train, 0, 16);
    await eager.fit(one, { epochs: 1, batchSize: 16, compiledStep: false });
    expect((await compiled.fit(one, { epochs: 1, batchSize: 16 })).trainingStep).toBe('compiled');
    one.dispose();
    // After one step the first moment is (1 - beta1)·gradient and the second (1 - beta2)·gradient²:
    // every gradient of G and D, compared directly (1e-5 of each tensor's scale measured here).
    const m = worstRelative(await adamState(eager), await adamState(compiled));
    const [we, wc] = [weightsOf(eager), weightsOf(compiled)];
    const r = worstRelative(part(we, true), part(wc, true));
    console.log(`compiled vs eager, 1 step: moments ${m.diff.toExponential(2)} (${m.name}), running averages ${r.diff.toExponential(2)} (${r.name})`);
    expect(m.diff).toBeLessThan(SAME_WEIGHTS);
    expect(r.diff).toBeLessThan(SAME_WEIGHTS);
    expect(offByStep(part(we, false), part(wc, false))).toBe(0);
    eager.dispose();
    compiled.dispose();
  }, 60_000);

  it('five iterations over two batch sizes: the same losses, running averages and weights, no tensors left', async () => {
    const { eager, compiled, rE, rC, lossesE, lossesC, leaked } = await trainBoth();
    expect(rE.trainingStep).toBe('eager');
    expect(rC.trainingStep).toBe('compiled');
    expect(lossesC.length).toBe(5);
    lossesC.forEach((l, i) => l.forEach((v, j) => expect(Math.abs(v - lossesE[i]![j]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(lossesE[i]![j]!)))));
    const [we, wc] = [weightsOf(eager), weightsOf(compiled)];
    const r = worstRelative(part(we, true), part(wc, true));
    console.log(`compiled vs eager, 5 steps: running averages ${r.diff.toExponential(2)} (${r.name}), weights off by > lr/10: ${offByStep(part(we, false), part(wc, false))}`);
    expect(r.diff).toBeLessThan(SAME_WEIGHTS);
    expect(offByStep(part(we, false), part(wc, false))).toBe(0);
    // Adam's iteration count moved as the eager step moves it (getWeights()[0]).
    const b = await adamState(compiled);
    expect([b.get('g/0')![0], b.get('d/0')![0]]).toEqual([5, 5]);
    // No tensors left behind by the compiled fit (its results are assigned, not added).
    expect(leaked).toBeLessThanOrEqual(0);
    eager.dispose();
    compiled.dispose();
  }, 120_000);

  it('follows the eager step through discriminator resets (the state lives in the variables)', async () => {
    // A threshold above any loss: D is re-initialised after every iteration.
    const { eager, compiled, rC } = await trainBoth({ discriminatorResetThreshold: 1e9 });
    expect(rC.trainingStep).toBe('compiled');
    expect(rC.history[0]!.discriminatorResets).toBe(2); // the second fit's two iterations
    const [we, wc] = [weightsOf(eager), weightsOf(compiled)];
    expect(worstRelative(part(we, true), part(wc, true)).diff).toBeLessThan(SAME_WEIGHTS);
    expect(offByStep(part(we, false), part(wc, false))).toBe(0);
    eager.dispose();
    compiled.dispose();
  }, 120_000);

  it('a training checkpoint saved from compiled training resumes to the same weights', async () => {
    const a = await Ganomaly.create(config);
    await a.fit(train, { epochs: 1, batchSize: 16, shuffle: false });
    await a.save(`file://${path.join(dir, 'ckpt')}`, { trainingState: true });
    const b = await Ganomaly.load(`file://${path.join(dir, 'ckpt')}`, { backend: 'node' });
    const ra = await a.fit(train, { epochs: 1, batchSize: 16, shuffle: false });
    const rb = await b.fit(train, { epochs: 1, batchSize: 16, shuffle: false });
    expect([ra.trainingStep, rb.trainingStep]).toEqual(['compiled', 'compiled']);
    expect(worstRelative(weightsOf(a), weightsOf(b)).diff).toBeLessThan(1e-5);
    a.dispose();
    b.dispose();
  }, 120_000);

  it('dispose closes its TensorFlow sessions', async () => {
    const backend = tf.backend() as unknown as { getNumOfSavedModels(): number };
    const before = backend.getNumOfSavedModels();
    const m = await Ganomaly.create(config);
    await m.fit(train, { epochs: 1, batchSize: 16, shuffle: false });
    await m.fit(train, { epochs: 1, batchSize: 24, shuffle: false });
    expect(backend.getNumOfSavedModels()).toBe(before + 2); // one session per batch size
    m.dispose();
    expect(backend.getNumOfSavedModels()).toBe(before);
  }, 60_000);

  it('networks with a layer it does not translate train with the eager step; compiledStep: true says why', async () => {
    const biased: Encoder = {
      name: 'compiled-test-biased',
      build: (o) => {
        const input = tfl.input({ shape: [o.imageSize, o.imageSize, o.channels] });
        const x = tfl.layers.conv2d({ filters: 4, kernelSize: 4, strides: 4, useBias: true, name: `${o.name}_c` }).apply(input) as tfl.SymbolicTensor;
        const z = tfl.layers.conv2d({ filters: o.latentDim, kernelSize: o.imageSize / 4, useBias: false, name: `${o.name}_z` }).apply(x) as tfl.SymbolicTensor;
        return tfl.model({ inputs: input, outputs: z, name: o.name });
      },
    };
    registerEncoder(biased);
    const m = await Ganomaly.create({ ...config, encoder: 'compiled-test-biased' });
    expect((await m.fit(train, { epochs: 1, batchSize: 16 })).trainingStep).toBe('eager');
    const err = await m.fit(train, { epochs: 1, batchSize: 16, compiledStep: true }).catch((e) => e);
    expect(err).toBeInstanceOf(ValueError);
    expect(err.message).toMatch(/compiledStep.*cannot run here: layer encoder\/encoder_c \(Conv2D\) has no graph translation/);
    m.dispose();
  }, 60_000);

  it('compiledStep: true fails clearly where it cannot run: another backend, data-parallel workers', async () => {
    const cpu = await Ganomaly.create({ ...config, backend: 'cpu', baseWidth: 4 });
    const small = tf.slice(train, 0, 8);
    await expect(cpu.fit(small, { epochs: 1, batchSize: 8, compiledStep: true })).rejects.toThrow(/cannot run here: the backend is 'cpu', not tfjs-node's 'tensorflow'/);
    cpu.dispose();
    const node = await Ganomaly.create(config);
    await expect(node.fit(small, { epochs: 1, batchSize: 4, workers: 2, compiledStep: true })).rejects.toThrow(/data-parallel training runs the eager step/);
    node.dispose();
    small.dispose();
  }, 60_000);

  it('falls back to the eager step, with a warning, when TensorFlow cannot load the graph', async () => {
    const backend = tf.backend() as unknown as { loadSavedModelMetaGraph(p: string, t: string): number };
    const load = vi.spyOn(backend, 'loadSavedModelMetaGraph').mockImplementation(() => {
      throw new Error('Failed to load SavedModel: op not registered');
    });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const m = await Ganomaly.create(config);
      const r = await m.fit(train, { epochs: 1, batchSize: 16, shuffle: false });
      expect(r.trainingStep).toBe('eager');
      expect(r.history[0]!.generatorLoss).toBeGreaterThan(0);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/could not be loaded into TensorFlow \(Failed to load SavedModel: op not registered\); training goes on with the eager step/);
      m.dispose();
    } finally {
      load.mockRestore();
      warn.mockRestore();
    }
  }, 60_000);
});
