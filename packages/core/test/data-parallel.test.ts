// Data-parallel training, fit(images, { workers }): the training workers run from the built package
// (dist/train-worker.js), so, like parallel.test.ts, each case runs in a child Node process that
// imports the build, as an app would (test/fixtures/data-parallel-cases.mjs). A case never calls
// process.exit: a worker thread left running would keep its process alive past the timeout.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const built = existsSync(path.join(repo, 'packages/core/dist/train-worker.js'));

async function run(name: string, timeoutMs: number): Promise<any> {
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(here, 'fixtures/data-parallel-cases.mjs'), name], {
    cwd: repo,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 16 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop()!);
}

describe.skipIf(!built)(`data-parallel training${built ? '' : ' (skipped: packages are not built; run npm run build)'}`, () => {
  it('workers: 1 is the plain path, and a one-shard data-parallel step equals the plain step bit for bit', async () => {
    const r = await run('plain', 60_000);
    expect(r.workers1).toBe(r.plain);
    expect(r.oneShard).toBe(r.plain);
  }, 90_000);

  it("averages the shards' gradients by shard size: equal to in-process references, not to the full-batch gradient (ghost BatchNorm)", async () => {
    const r = await run('gradients', 60_000);
    for (const key of ['threads2', 'threads3']) {
      const g = r[key];
      expect(g.tensors).toBe(22);
      // The all-reduce against each shard's gradients computed here, averaged in float64.
      expect(g.errPerShardMean).toBeLessThan(1e-5);
      // ... and against one gradient of the size-weighted sum of the shards' losses.
      expect(g.errJointGradient).toBeLessThan(1e-5);
      g.losses.forEach((v: number, k: number) => expect(v).toBeCloseTo(g.meanLosses[k], 6));
      expect(g.losses[0]).toBeCloseTo(g.jointLosses[0], 4);
      expect(g.losses[1]).toBeCloseTo(g.jointLosses[1], 5);
      // Each shard's BatchNorm normalises by its own statistics: the references above can fail.
      expect(g.diffFullBatchNorm).toBeGreaterThan(1e-3);
    }
    expect(r.threads2.sizes).toEqual([6, 6]);
    expect(r.threads3.sizes).toEqual([3, 4, 4]);
  }, 90_000);

  it('is deterministic, and a run aborted mid-epoch and resumed from a checkpoint ends with the uninterrupted weights (also with D re-initialisations)', async () => {
    const r = await run('resume', 120_000);
    for (const key of ['plain', 'resets']) {
      const c = r[key];
      expect(c.aborted).toBe(true);
      expect(c.partial).toMatchObject({ epoch: 1, nextBatch: 3, batches: 5 });
      expect(c.deterministic).toBe(true);
      expect(c.resumedEqual).toBe(true);
      expect(c.epochs).toEqual([1, 2]);
      expect(c.lossesEqual).toBe(true);
      expect(c.parallel).toMatchObject({ workers: 2, timings: { steps: 10 } });
    }
    expect(r.plain.resets).toEqual([0, 0]);
    // A threshold above any loss: D is re-initialised after every batch, from the batch's mean D loss.
    expect(r.resets.resets).toEqual([5, 5]);
  }, 150_000);

  it('leaks no tensors and stops its workers after success, abort, callback errors and a crashed worker; resolves auto; refuses bad options and non-Node runtimes', async () => {
    const r = await run('cleanup', 60_000);
    expect(r.openAfterFirst).toBe(0);
    expect(r.callbacks).toEqual([1, 2, 3, 4, 'e2', 1, 2, 3, 4, 'e3']);
    expect(r.parallel.workers).toBe(2);
    expect(r.parallel.startupSeconds).toBeGreaterThan(0);
    expect(r.leakedAfterFit).toBe(0);
    expect(r.abort).toMatchObject({ isAbortError: true, open: 0, leaked: 0 });
    expect(r.abort.message).toMatch(/2 of 4 batches/);
    expect(r.callbackError).toEqual({ message: 'callback failed', open: 0, leaked: 0 });
    expect(r.crash).toMatchObject({ leaked: 0, closed: true, open: 0 });
    expect(r.crash.message).toMatch(/training worker exited/);
    const auto = Math.min(r.auto.cores, 4);
    expect(r.auto).toMatchObject({ batch32: Math.min(auto, 2), batch16: 1, wasm64: auto, cpu64: auto, webgpu64: 1, node64: 1 });
    expect(r.badOptions).toHaveLength(5);
    for (const b of r.badOptions) {
      expect(b.isValueError).toBe(true);
      expect(b.message).toMatch(/options\.workers.*a positive integer or 'auto'/);
    }
    expect(r.browser.isValueError).toBe(true);
    expect(r.browser.message).toMatch(/worker_threads/);
    expect(r.open).toBe(0);
    expect(r.leaked).toBe(0);
  }, 90_000);

  it('learns real digits as well as one thread does (MNIST, 2 epochs: AUROC within 0.03 of workers: 1, both > 0.95)', async () => {
    const r = await run('mnist', 240_000);
    const [one, two] = [r.workers1, r.workers2];
    expect(one.auroc).toBeGreaterThan(0.95);
    expect(two.auroc).toBeGreaterThan(0.95);
    expect(Math.abs(two.auroc - one.auroc)).toBeLessThan(0.03);
    // Validation after every epoch works with workers; after the last epoch it scores the final model.
    expect(two.validation).toHaveLength(2);
    expect(two.validation[1]).toBeCloseTo(two.auroc, 10);
    expect(two.parallel.workers).toBe(2);
    // Not the same numbers (ghost BatchNorm), but close: the loss curves agree to a few percent.
    two.losses.forEach((v: number, i: number) => expect(Math.abs(v - one.losses[i]) / one.losses[i]).toBeLessThan(0.05));
  }, 300_000);
});
