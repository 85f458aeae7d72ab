// ScoringPool runs worker_threads from the built package (dist/score-worker.js), so this test
// drives it from a child Node process that imports the build, as an app would.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const built = existsSync(path.join(repo, 'packages/core/dist/score-worker.js'));

const script = `
import * as tf from '@tensorflow/tfjs-core';
import { Ganomaly, ScoringPool, data } from '@ganomaly/core';
const m = await Ganomaly.create({ imageSize: 16, channels: 1, latentDim: 8, baseWidth: 4, seed: 2, backend: 'wasm' });
const imgs = (n, seed) => tf.tidy(() => tf.round(tf.randomUniform([n, 16, 16, 1], 0, 255, 'float32', seed)));
await m.fit(imgs(32, 1), { epochs: 1, batchSize: 16 });
const set = data.fromTensor(imgs(37, 2));
const one = await m.score(set);
const pool = await ScoringPool.create(m, { workers: 2 });
const many = await pool.score(set);
const tensorScores = await pool.score(imgs(5, 3));
await pool.close();
const closed = await pool.score(set).then(() => 'no error', (e) => e.message);
const bm = await Ganomaly.create({ imageSize: 16, channels: 1, latentDim: 8, baseWidth: 4, batchNormMode: 'batch', backend: 'wasm' });
const batchErr = await ScoringPool.create(bm).then(() => 'no error', (e) => e.message);
console.log(JSON.stringify({ one: [...one], many: [...many], size: pool.size, tensorCount: tensorScores.length, closed, batchErr }));
process.exit(0);
`;

describe.skipIf(!built)(`ScoringPool${built ? '' : ' (skipped: packages are not built; run npm run build)'}`, () => {
  it('scores on two workers exactly as one call does, in order; refuses batch mode and use after close', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
    const r = JSON.parse(out.trim().split('\n').filter((l) => l.startsWith('{')).pop()!);
    expect(r.many).toHaveLength(37);
    expect(r.many).toEqual(r.one);
    expect(r.tensorCount).toBe(5);
    expect(r.size).toBe(0);
    expect(r.closed).toMatch(/called after close\(\)/);
    expect(r.batchErr).toMatch(/needs per-image scores, but the model's batchNormMode is 'batch'/);
  });
});
