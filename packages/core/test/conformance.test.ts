// One conformance suite, run against every backend this library knows. A backend that cannot be
// initialised here (tfjs-node and tfjs-node-gpu are optional and not installable on every machine)
// is skipped, and the skip names the reason.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Ganomaly, useBackend } from '@ganomaly/core';
import { images, TINY } from './helpers.js';

const BACKENDS = ['cpu', 'wasm', 'webgpu', 'node', 'node-gpu'];
const unavailable: Record<string, string | null> = {};
for (const name of BACKENDS) {
  try {
    await useBackend(name);
    unavailable[name] = null;
  } catch (e) {
    unavailable[name] = (e as Error).message.replace(/\s+/g, ' ');
  }
}

/** What one backend computes for a fixed seed and input: first losses and scores (latent; and the default 'knn' once trained). */
async function reference(backend: string) {
  const model = await Ganomaly.create({ ...TINY, backend, seed: 1, scoreVariant: 'mse' });
  const x = images(16, 16, 1, 1);
  const probe = images(4, 16, 1, 2);
  const initialScores = await model.score(probe);
  const { history } = await model.fit(x, { epochs: 2, batchSize: 8, shuffle: false });
  const trainedScores = await model.score(probe);
  const trainedKnn = (await model.scoreComponents(probe)).knn!;
  tf.dispose([x, probe]);
  model.dispose();
  return { initialScores, history, trainedScores, trainedKnn };
}

await useBackend('cpu');
const cpu = await reference('cpu');

for (const name of BACKENDS) {
  const reason = unavailable[name];
  describe.skipIf(reason !== null)(`backend ${name}${reason ? ` (skipped: ${reason})` : ''}`, () => {
    it('forward shapes of all four networks at sizes 16 and 32, RGB', async () => {
      for (const imageSize of [16, 32]) {
        const m = await Ganomaly.create({ ...TINY, imageSize, channels: 3, backend: name });
        const n = m.networks;
        tf.tidy(() => {
          const x = tf.randomUniform([2, imageSize, imageSize, 3], -1, 1);
          const z = n.encoder.predict(x) as tf.Tensor;
          expect(z.shape).toEqual([2, 1, 1, 8]);
          expect((n.decoder.predict(z) as tf.Tensor).shape).toEqual([2, imageSize, imageSize, 3]);
          expect((n.reencoder.predict(x) as tf.Tensor).shape).toEqual([2, 1, 1, 8]);
          const [p, f] = n.discriminator.predict(x) as tf.Tensor[];
          expect(p.shape).toEqual([2, 1]);
          expect(f.shape[1]).toBe(4);
        });
        m.dispose();
      }
    });

    it('a training step updates G and D, gives finite losses, and leaks nothing', async () => {
      const m = await Ganomaly.create({ ...TINY, backend: name });
      const x = images(16, 16, 1, 4);
      await m.fit(x, { epochs: 1, batchSize: 8 });
      // Asynchronous reads: GPU backends cannot read synchronously in Node.
      const g0 = await m.networks.decoder.getWeights()[0].data();
      const d0 = await m.networks.discriminator.getWeights()[0].data();
      const before = tf.memory().numTensors;
      const { history } = await m.fit(x, { epochs: 1, batchSize: 8 });
      expect(tf.memory().numTensors).toBe(before);
      // Every number of the logs, and the same losses by name, are finite.
      const { losses, ...fields } = history[0];
      expect(Object.values(fields).every((v) => Number.isFinite(v))).toBe(true);
      expect(Object.values(losses).every((v) => Number.isFinite(v))).toBe(true);
      expect(await m.networks.decoder.getWeights()[0].data()).not.toEqual(g0);
      expect(await m.networks.discriminator.getWeights()[0].data()).not.toEqual(d0);
      x.dispose();
      m.dispose();
    });

    it('scores are deterministic and per image', async () => {
      const m = await Ganomaly.create({ ...TINY, backend: name });
      const x = images(16, 16, 1, 5);
      await m.fit(x, { epochs: 1, batchSize: 8 });
      const a = await m.score(x);
      const b = await m.score(x);
      expect(b).toEqual(a);
      const one = await m.score(tf.slice(x, [5, 0, 0, 0], [1, 16, 16, 1]));
      expect(Math.abs(one[0] - a[5])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(a[5])));
      x.dispose();
      m.dispose();
    });

    it('computes what the cpu backend computes: scores and two epochs of losses', async () => {
      const r = await reference(name);
      const close = (got: number, want: number, tol: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(tol * Math.max(1e-3, Math.abs(want)));
      r.initialScores.forEach((v, i) => close(v, cpu.initialScores[i], 1e-4));
      r.history.forEach((h, e) => {
        close(h.generatorLoss, cpu.history[e].generatorLoss, 1e-3);
        close(h.discriminatorLoss, cpu.history[e].discriminatorLoss, 1e-3);
      });
      r.trainedScores.forEach((v, i) => close(v, cpu.trainedScores[i], 1e-2));
      r.trainedKnn.forEach((v, i) => close(v, cpu.trainedKnn[i]!, 1e-2));
    });
  });
}
