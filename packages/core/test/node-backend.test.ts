// The `node` backend (tfjs-node: native TensorFlow) on real data, and models moving between it and
// wasm. Runs where tfjs-node loads (`npm install @tensorflow/tfjs-node`, or `npm run
// setup:tfjs-node`, which .ci/run runs); elsewhere it is skipped and the skip says why.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Ganomaly, data, useBackend } from '@ganomaly/core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
let reason: string | null = null;
try {
  await useBackend('node');
} catch (e) {
  reason = (e as Error).message.replace(/\s+/g, ' ');
}

/**
 * Largest difference between two score lists, relative to the largest score. The same weights
 * scored on two backends differ only by float32 rounding in differently ordered sums (oneDNN's
 * convolutions against XNNPACK's): about 1e-6 of the score's scale was measured here (see the
 * tests), so 1e-4 leaves two orders of magnitude of room and still catches any real difference
 * (a wrong layout, a missed batch-norm statistic, a stale weight), which moves scores by percents.
 */
function maxRelativeDiff(a: number[], b: number[]): number {
  const scale = Math.max(...a.map(Math.abs));
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]))) / scale;
}
const SAME_SCORES = 1e-4;

describe.skipIf(reason !== null)(`backend node on MNIST${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let test: data.ImageSet;
  let dir: string;
  const digits = (d: number, from: number, count: number) => data.indicesWhere(test, (l) => l === d).slice(from, from + count);

  beforeAll(async () => {
    const mnist = await data.findMnist({ dirs: [path.join(root, '../shared/data/mnist')], loadTrain: false });
    test = mnist.test;
    dir = await mkdtemp(path.join(os.tmpdir(), 'ganomaly-node-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // The learning test of learning.test.ts (digit 1 normal, digit 0 anomalous, 3 epochs, width 16,
  // latent 32), trained on node; then the saved model is loaded on wasm and must score the same.
  it('learns what normal looks like (AUROC > 0.95), and wasm scores the saved model the same', async () => {
    const model = await Ganomaly.create({ imageSize: 32, channels: 1, latentDim: 32, baseWidth: 16, seed: 0, backend: 'node' });
    expect(model.backend).toBe('node');
    const train = data.subset(test, digits(1, 0, 600));
    const evalSet = data.subset(test, [...digits(1, 600, 200), ...digits(0, 0, 200)]);
    const labels = [...Array(200).fill(0), ...Array(200).fill(1)];
    const before = tf.memory().numTensors;
    // The node backend's default: each iteration one compiled TensorFlow graph (compiled-step.test.ts).
    expect((await model.fit(train, { epochs: 3, batchSize: 64 })).trainingStep).toBe('compiled');
    expect(tf.memory().numTensors - before).toBeLessThan(200);
    const r = await model.evaluate(evalSet, labels);
    expect(r.auroc).toBeGreaterThan(0.95);
    const onNode = await model.score(evalSet);
    await model.save(`file://${path.join(dir, 'from-node')}`);
    model.dispose();

    const wasm = await Ganomaly.load(`file://${path.join(dir, 'from-node')}`, { backend: 'wasm' });
    expect(wasm.backend).toBe('wasm');
    const onWasm = await wasm.score(evalSet);
    wasm.dispose();
    console.log(`node -> wasm: max relative score difference ${maxRelativeDiff(onNode, onWasm).toExponential(2)}`);
    expect(maxRelativeDiff(onNode, onWasm)).toBeLessThan(SAME_SCORES);
  }, 240_000);

  it('a model trained on wasm scores the same on node', async () => {
    const model = await Ganomaly.create({ imageSize: 32, channels: 1, latentDim: 16, baseWidth: 8, seed: 1, backend: 'wasm' });
    const train = data.subset(test, digits(7, 0, 256));
    const probe = data.subset(test, [...digits(7, 256, 64), ...digits(3, 0, 64)]);
    await model.fit(train, { epochs: 2, batchSize: 64 });
    const onWasm = await model.score(probe);
    await model.save(`file://${path.join(dir, 'from-wasm')}`);
    model.dispose();

    const node = await Ganomaly.load(`file://${path.join(dir, 'from-wasm')}`, { backend: 'node' });
    expect(node.backend).toBe('node');
    const onNode = await node.score(probe);
    node.dispose();
    console.log(`wasm -> node: max relative score difference ${maxRelativeDiff(onWasm, onNode).toExponential(2)}`);
    expect(maxRelativeDiff(onWasm, onNode)).toBeLessThan(SAME_SCORES);
  }, 120_000);
});
