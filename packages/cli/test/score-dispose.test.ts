// `ganomaly score -o FILE`: when scoring fails and the model's dispose rejects too (the ONNX
// scorer's dispose returns a promise), the temporary output file is removed all the same.
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('../src/shared.js', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../src/shared.js')>();
  return {
    ...orig,
    // A model whose scoring fails and whose dispose rejects.
    loadModel: async () => ({
      config: { imageSize: 16, channels: 1 },
      calibration: null,
      score: async () => {
        throw new Error('scoring failed');
      },
      predict: async () => {
        throw new Error('scoring failed');
      },
      dispose: () => Promise.reject(new Error('dispose failed')),
    }),
  };
});

const { cli, writeLayout } = await import('./helpers.js');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ganomaly-cli-dispose-'));
  await writeLayout(path.join(dir, 'layout'), { train: 2, testNormal: 2, testAbnormal: 2, testZero: 0 });
  await mkdir(path.join(dir, 'model'));
  await mkdir(path.join(dir, 'out'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('score -o with a failing dispose', () => {
  it('fails, and leaves no temporary file beside FILE', async () => {
    const r = await cli(['score', path.join(dir, 'model'), path.join(dir, 'layout/test/normal'), '-o', path.join(dir, 'out/scores.csv')], dir).catch((e: Error) => ({ code: -1, stderr: e.message }));
    expect(r.code).not.toBe(0);
    expect(await readdir(path.join(dir, 'out'))).toEqual([]);
  });
});
