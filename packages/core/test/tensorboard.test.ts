// fit({ tensorBoard }) writes TensorBoard event files through tfjs-node; they are read back with
// TensorBoard's own event reader (.venv/bin/python, `npm run setup:python`). On a backend that is
// not tfjs-node's, fit refuses with the fix.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Ganomaly, ValueError, useBackend } from '@ganomaly/core';
import { images, TINY } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const python = path.join(root, '.venv/bin/python');
let noNode: string | null = null;
try {
  await useBackend('node');
} catch (e) {
  noNode = (e as Error).message.replace(/\s+/g, ' ');
}
const noReader = !existsSync(python)
  ? `no ${python} (npm run setup:python makes it)`
  : spawnSync(python, ['-c', 'import tensorboard'], { encoding: 'utf8' }).status !== 0
    ? `${python} cannot import tensorboard`
    : null;
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('fit({ tensorBoard })', () => {
  it('on a backend other than node, refuses with the fix', async () => {
    const m = await Ganomaly.create({ ...TINY, backend: 'cpu' });
    const x = images(8);
    const err = await m.fit(x, { epochs: 1, tensorBoard: '/tmp/unused' }).catch((e) => e);
    expect(err).toBeInstanceOf(ValueError);
    expect(err.message).toMatch(/needs the 'node' backend.*this model runs on 'cpu'.*backend: 'node'.*npm install @tensorflow\/tfjs-node.*npm run setup:tfjs-node/);
    expect(m.epochs).toBe(0);
    x.dispose();
    m.dispose();
  });

  it.skipIf(noNode !== null)(`on node, a fit that fails its argument checks opens no log (nothing written, nothing left open)${noNode ? ` (skipped: ${noNode})` : ''}`, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ganomaly-tb-'));
    dirs.push(dir);
    const m = await Ganomaly.create({ ...TINY, backend: 'node' });
    const x = images(8);
    for (const bad of [{ epochs: 0 }, { batchSize: -1 }, { workers: 0 }]) {
      await expect(m.fit(x, { ...bad, tensorBoard: dir })).rejects.toThrow(ValueError);
    }
    await expect(m.fit(images(1), { epochs: 1, tensorBoard: dir })).rejects.toThrow(ValueError);
    expect(await readdir(dir)).toEqual([]);
    x.dispose();
    m.dispose();
  });

  it.skipIf(noNode !== null)(`on node, writes losses per batch and epoch, the validation AUROC and the learning rate${noNode ? ` (skipped: ${noNode})` : ''}`, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ganomaly-tb-'));
    dirs.push(dir);
    const m = await Ganomaly.create({ ...TINY, backend: 'node' });
    const x = images(32, 16, 1, 7);
    const v = images(8, 16, 1, 8);
    const batchLosses: number[] = [];
    const { history } = await m.fit(x, {
      epochs: 2,
      batchSize: 8,
      validation: { images: v, labels: [0, 0, 0, 0, 1, 1, 1, 1] },
      // Given selection images: nothing is held out, so the 4 batches an epoch stay.
      select: 'validation',
      selection: { images: v },
      tensorBoard: dir,
      onBatchEnd: (l) => void batchLosses.push(l.generatorLoss),
    });
    tf.dispose([x, v]);
    m.dispose();
    const files = (await readdir(dir)).filter((f) => f.startsWith('events.out.tfevents.'));
    expect(files.length).toBeGreaterThan(0);
    if (noReader) {
      console.log(`event files written; not read back: ${noReader}`);
      return;
    }
    const read = spawnSync(python, ['-c', `
import json, sys
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.util.tensor_util import make_ndarray
acc = EventAccumulator(sys.argv[1], size_guidance={'scalars': 0, 'tensors': 0})
acc.Reload()
out = {}
for tag in acc.Tags()['tensors']:
    out[tag] = [[e.step, float(make_ndarray(e.tensor_proto))] for e in acc.Tensors(tag)]
for tag in acc.Tags()['scalars']:
    out[tag] = [[e.step, e.value] for e in acc.Scalars(tag)]
print(json.dumps(out))`, dir], { encoding: 'utf8' });
    expect(read.status, read.stderr).toBe(0);
    const got = JSON.parse(read.stdout) as Record<string, [number, number][]>;
    // 32 images / 8 = 4 batches an epoch, 2 epochs: steps 1..8.
    expect(got['batch/generator_loss'].map(([s]) => s)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    got['batch/generator_loss'].forEach(([, val], i) => expect(val).toBeCloseTo(batchLosses[i], 4));
    expect(got['batch/discriminator_loss']).toHaveLength(8);
    for (const [tag, key] of [
      ['epoch/generator_loss', 'generatorLoss'],
      ['epoch/discriminator_loss', 'discriminatorLoss'],
      ['epoch/contextual_loss', 'contextualLoss'],
      ['epoch/validation_auroc', 'auroc'],
      ['epoch/selection_auroc', 'selectionAuroc'],
    ] as const) {
      expect(got[tag].map(([s]) => s)).toEqual([1, 2]);
      got[tag].forEach(([, val], i) => expect(val).toBeCloseTo(history[i][key] as number, 4));
    }
    expect(got['epoch/learning_rate'].map(([, val]) => val)).toEqual([expect.closeTo(2e-4, 9), expect.closeTo(2e-4, 9)]);
  });
});
