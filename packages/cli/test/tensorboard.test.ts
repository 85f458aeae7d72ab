// `ganomaly train --backend node --tensorboard DIR`, where tfjs-node loads (npm run setup:tfjs-node
// in CI), and --tensorboard's refusal on a backend that cannot write the event files.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '@ganomaly/cli';
import { isTfjsNodeAvailable } from '@ganomaly/backend-node';
import { cli, writeLayout } from './helpers.js';

const node = await isTfjsNodeAvailable();
const TINY = ['--image-size', '16', '--width', '4', '--latent', '8', '--batch-size', '8', '--epochs', '2'];
let dir: string;
let layout: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ganomaly-cli-tb-'));
  layout = path.join(dir, 'digits');
  await writeLayout(layout, { train: 40, testNormal: 8, testAbnormal: 8, testZero: 0 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ganomaly train --tensorboard', () => {
  it('on wasm: a usage error (exit 2) that names the fix, before any data is read', async () => {
    const r = await cli(['train', layout, '--out', path.join(dir, 'm1'), ...TINY, '--backend', 'wasm', '--tensorboard', path.join(dir, 'tb1')], dir);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/--tensorboard needs the node backend.*would run on wasm.*npm run setup:tfjs-node.*--backend node/);
  });

  it.skipIf(!node)('on node: trains with the compiled step, says the backend and the step, and writes an event file', async () => {
    const tb = path.join(dir, 'tb2');
    const r = await cli(['train', layout, '--out', path.join(dir, 'm2'), ...TINY, '--backend', 'node', '--tensorboard', tb], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/backend node/);
    expect(r.stderr).toMatch(/training step: one compiled TensorFlow graph per batch/);
    expect((await readdir(tb)).some((f) => f.startsWith('events.out.tfevents.'))).toBe(true);
  }, 120_000);
});
