// run.mjs resumes an interrupted sweep: stop after the first record, run again, and only the
// missing run is done; the file ends with exactly one record per run. Runs the built library
// (packages/*/dist, via node_modules/@ganomaly/core) on a tiny setting.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readJsonl, runKey } from '../lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const runMjs = path.resolve(here, '../run.mjs');
const built = fs.existsSync(path.resolve(here, '../../packages/core/dist/index.js'));
if (!built) console.warn('resume.test.ts skipped: packages are not built (run `npm run build`); run.mjs imports @ganomaly/core from dist');

const tiny = ['--dataset', 'mnist', '--impl', 'ganomaly', '--classes', '0,1', '--seeds', '0', '--epochs', '1', '--max-train', '64', '--max-test-normal', '32', '--max-test-anomalous', '32', '--width', '4', '--latent', '8', '--batch', '32'];

function run(args: string[]) {
  const r = spawnSync(process.execPath, [runMjs, ...args], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`run.mjs exited with ${r.status}:\n${r.stderr}`);
  return r.stderr;
}

describe.skipIf(!built)('run.mjs resume', () => {
  it('does only the missing run after an interruption', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exp-resume-'));
    const out = path.join(dir, 'r.jsonl');
    try {
      const first = run([...tiny, '--out', out, '--stop-after', '1']);
      expect(first).toMatch(/2 run\(s\) planned, 0 already in .*, 2 to do/);
      expect(first).toMatch(/--stop-after 1: stopping with 1 run\(s\) left/);
      let recs = readJsonl(out).records;
      expect(recs).toHaveLength(1);
      expect(recs[0]).toMatchObject({ impl: 'ganomaly', dataset: 'mnist', anomaly_class: 0, seed: 0 });

      const second = run([...tiny, '--out', out]);
      expect(second).toMatch(/2 run\(s\) planned, 1 already in .*, 1 to do/);
      expect(second).toMatch(/anomaly class 1 seed 0/);
      expect(second).not.toMatch(/anomaly class 0 seed 0/);
      recs = readJsonl(out).records;
      expect(recs.map((r) => r.anomaly_class)).toEqual([0, 1]);
      expect(new Set(recs.map(runKey)).size).toBe(2);

      const third = run([...tiny, '--out', out]);
      expect(third).toMatch(/2 already in .*, 0 to do/);
      expect(readJsonl(out).records).toHaveLength(2);

      // a record has the fields the summary and the report use
      const r = recs[1];
      expect(r.split).toEqual({ normal_pool: 70000 - 7877, anomaly_pool: 7877, train: 64, test_normal: 32, test_anomalous: 32 });
      expect(r.per_epoch_auroc).toHaveLength(1);
      expect(r.auroc).toBeCloseTo(r.per_epoch_auroc[0], 12); // population mode: evaluate = the epoch's validation
      expect(r.best_epoch_auroc).toBe(Math.max(...r.per_epoch_auroc));
      expect(Object.keys(r.auroc_by_bn_mode).sort()).toEqual(['batch', 'population', 'running']);
      expect(r.f1_threshold).toMatchObject({ source: 'phi', phi: 0.2 });
      for (const k of ['average_precision', 'f1', 'eer', 'train_seconds']) expect(Number.isFinite(r[k])).toBe(true);

      // another config is another experiment
      const other = spawnSync(process.execPath, [runMjs, ...tiny, '--out', out, '--epochs', '2', '--list'], { encoding: 'utf8' });
      expect(other.stdout.trim().split('\n')).toEqual(['todo  ganomaly mnist class 0 seed 0', 'todo  ganomaly mnist class 1 seed 0']);
      const same = spawnSync(process.execPath, [runMjs, ...tiny, '--out', out, '--list'], { encoding: 'utf8' });
      expect(same.stdout.trim().split('\n')).toEqual(['done  ganomaly mnist class 0 seed 0', 'done  ganomaly mnist class 1 seed 0']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--test-every last scores the test set once, after the last epoch, and keeps it apart from per-epoch records', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exp-last-'));
    const out = path.join(dir, 'r.jsonl');
    try {
      const args = [...tiny.filter((_, i) => i < 4 || i > 5), '--classes', '0', '--epochs', '2', '--model', 'autoencoder', '--out', out];
      run([...args, '--test-every', 'last']);
      const [r] = readJsonl(out).records;
      expect(r.config.test_every).toBe('last');
      expect(r.per_epoch_auroc[0]).toBeNull();
      expect(r.per_epoch_auroc[1]).toBe(r.auroc);
      expect(r.auroc).toBeGreaterThanOrEqual(0);
      // The default (every epoch) is another experiment: it is still to do.
      const list = spawnSync(process.execPath, [runMjs, ...args, '--list'], { encoding: 'utf8' });
      expect(list.stdout.trim()).toBe('todo  ganomaly mnist class 0 seed 0');
      const bad = spawnSync(process.execPath, [runMjs, ...tiny, '--test-every', 'last', '--out', out], { encoding: 'utf8' });
      expect(bad.status).toBe(2);
      expect(bad.stderr).toContain('--test-every last is implemented for the library');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('--list shows which runs are done', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exp-list-'));
    const out = path.join(dir, 'r.jsonl');
    try {
      const r = spawnSync(process.execPath, [runMjs, ...tiny, '--out', out, '--list'], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stdout.trim().split('\n')).toEqual(['todo  ganomaly mnist class 0 seed 0', 'todo  ganomaly mnist class 1 seed 0']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
