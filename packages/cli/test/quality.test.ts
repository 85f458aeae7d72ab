// `ganomaly train --select validation --score-variant V` end to end on MNIST digits written as
// PNG files, and what `ganomaly info` shows of them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '@ganomaly/cli';
import { SMALL, cli, writeLayout } from './helpers.js';

let dir: string;
let layout: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ganomaly-cli-quality-'));
  layout = path.join(dir, 'digits');
  await writeLayout(layout);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('train --select validation --score-variant', () => {
  it('selects an epoch on the held-out normals and their synthetic anomalies, scores with the variant, and info shows both', async () => {
    const out = path.join(dir, 'combined');
    const r = await cli(['train', layout, '--out', out, ...SMALL, '--select', 'validation', '--holdout', '0.2', '--score-variant', 'combined'], dir);
    expect(r.code, r.stderr).toBe(0);
    // 120 training images, 24 held out (the selection set's normal images, and the calibration set).
    expect(r.stderr).toMatch(/96 training images, 24 held out for calibration/);
    const epochLines = r.stderr.split('\n').filter((l) => /^epoch \d\/3 {2}G /.test(l));
    expect(epochLines).toHaveLength(3);
    for (const l of epochLines) expect(l).toMatch(/selection AUROC (0|1)\.\d{4}/);
    const kept = /selected epoch (\d) of 3 \(selection AUROC (\d\.\d{4})/.exec(r.stderr);
    expect(kept, r.stderr).not.toBeNull();
    // The kept epoch is the one with the best selection AUROC of the epoch lines.
    const per = epochLines.map((l) => Number(/selection AUROC (\d\.\d{4})/.exec(l)![1]));
    expect(Number(kept![2])).toBe(Math.max(...per));
    expect(per[Number(kept![1]) - 1]).toBe(Math.max(...per));
    const info = await cli(['info', out], dir);
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toMatch(/score combined/);
    expect(info.stdout).toMatch(new RegExp(`selection: validation, epoch ${kept![1]} kept, selection AUROC ${kept![2]}`));
    expect(info.stdout).toMatch(/calibrated \(quantile\) on 24 images/);
    const j = JSON.parse((await cli(['info', out, '--json'], dir)).stdout);
    expect(j.calibration.componentScaling.count).toBe(24);
    expect(j.info.selection.epoch).toBe(Number(kept![1]));
    // The saved model scores with its variant (the scaling came with it).
    const s = await cli(['score', out, path.join(layout, 'test/normal'), '--format', 'json'], dir);
    expect(s.code, s.stderr).toBe(0);
  }, 120_000);

  it('refuses what cannot work, before training', async () => {
    const out = path.join(dir, 'refused');
    const noHoldout = await cli(['train', layout, '--out', out, ...SMALL, '--select', 'validation', '--holdout', '0'], dir);
    expect(noHoldout.code).toBe(EXIT.usage);
    expect(noHoldout.stderr).toMatch(/--select validation .*--holdout > 0/);
    const skip = await cli(['train', layout, '--out', out, ...SMALL, '--score-variant', 'skip', '--holdout', '0'], dir);
    expect(skip.code).toBe(EXIT.usage);
    expect(skip.stderr).toMatch(/--score-variant skip .*--holdout > 0/);
    const bad = await cli(['train', layout, '--out', out, ...SMALL, '--score-variant', 'psnr'], dir);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toMatch(/--score-variant must be one of mse, l1, latent, reconstruction, features, skip, combined/);
    const sel = await cli(['train', layout, '--out', out, ...SMALL, '--select', 'best'], dir);
    expect(sel.code).toBe(EXIT.usage);
    expect(sel.stderr).toMatch(/--select must be one of last, validation/);
  });
});
