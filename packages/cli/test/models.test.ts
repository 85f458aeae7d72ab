// `ganomaly train --model KIND` for each detector besides GANomaly, and the commands that load
// any kind (info, score, evaluate with --report, calibrate), on real MNIST digits written as PNG
// files (normal 1, anomalies 7 and 0); what only GANomaly does (ONNX, data-parallel workers,
// TensorBoard) fails with a message naming the kind.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '@ganomaly/cli';
import { SMALL, cli, writeLayout } from './helpers.js';

let dir: string;
let layout: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ganomaly-cli-models-'));
  layout = path.join(dir, 'digits');
  await writeLayout(layout);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('train --model', () => {
  it('refuses an unknown kind, naming the known ones, and GANomaly-only options for other kinds', async () => {
    const bad = await cli(['train', layout, '--out', path.join(dir, 'x'), '--model', 'nonesuch', ...SMALL], dir);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toMatch(/--model must be one of ganomaly, autoencoder, vae, skip-ganomaly, anogan, egbad/);
    const workers = await cli(['train', layout, '--out', path.join(dir, 'x'), '--model', 'vae', '--workers', '2', ...SMALL], dir);
    expect(workers.code).toBe(EXIT.usage);
    expect(workers.stderr).toMatch(/--workers 2: data-parallel training is GANomaly's only; --model vae does not have it/);
    const variant = await cli(['train', layout, '--out', path.join(dir, 'x'), '--model', 'autoencoder', '--score-variant', 'l1', ...SMALL], dir);
    expect(variant.code).toBe(EXIT.usage);
    expect(variant.stderr).toMatch(/--score-variant l1: the score variants are GANomaly's only; --model autoencoder/);
    // The VAE has score variants of its own: GANomaly's are refused for it, by its list.
    const vaeVariant = await cli(['train', layout, '--out', path.join(dir, 'x'), '--model', 'vae', '--score-variant', 'l1', ...SMALL], dir);
    expect(vaeVariant.code).toBe(EXIT.usage);
    expect(vaeVariant.stderr).toMatch(/--score-variant must be one of reconstruction, elbo, got 'l1'/);
    const select = await cli(['train', layout, '--out', path.join(dir, 'x'), '--model', 'skip-ganomaly', '--select', 'validation', ...SMALL], dir);
    expect(select.code).toBe(EXIT.usage);
    expect(select.stderr).toMatch(/--select validation: epoch selection is GANomaly's only/);
    const latent = await cli(['train', layout, '--out', path.join(dir, 'x'), '--model', 'skip-ganomaly', ...SMALL], dir);
    expect(latent.code).toBe(EXIT.usage);
    expect(latent.stderr).toMatch(/--latent 16: --model skip-ganomaly has no latent code/);
    const help = await cli(['train', '--help'], dir);
    expect(help.stdout).toMatch(/--model KIND\s+The detector: ganomaly, autoencoder, vae, skip-ganomaly, anogan, egbad \(default ganomaly\)/);
  });

  for (const kind of ['autoencoder', 'vae', 'skip-ganomaly', 'anogan', 'egbad']) {
    it(`${kind}: trains, saves, and info/score/evaluate/calibrate load it; export refuses it`, async () => {
      const out = path.join(dir, kind);
      // EGBAD's BiGAN is the touchy one at 45 steps: measured here, lr 2e-3 left AUROC 0.40, 1e-3 gave 0.95.
      // The VAE trains with its 'elbo' score variant (accepted for --model vae), the others with their default.
      // Skip-GANomaly has no latent code: SMALL's --latent is left out for it.
      const small = kind === 'skip-ganomaly' ? SMALL.filter((a, i) => a !== '--latent' && SMALL[i - 1] !== '--latent') : SMALL;
      const t = await cli(['train', layout, '--out', out, '--model', kind, ...small, '--lr', kind === 'egbad' ? '0.001' : '0.002', ...(kind === 'vae' ? ['--score-variant', 'elbo'] : [])], dir);
      expect(t.stderr).toContain(`model: ${kind} 16x16x1`);
      expect(t.stderr).toMatch(/epoch 3\/3 {2}\w+ \d/);
      expect(t.stderr).toMatch(/validation: AUROC \d/);
      expect(t.code, t.stderr).toBe(EXIT.ok);
      expect(await readdir(path.join(dir))).not.toContain(`${kind}.checkpoint`);

      const info = await cli(['info', out], dir);
      expect(info.code).toBe(EXIT.ok);
      expect(info.stdout).toContain(`'${kind}' detector model`);
      expect(info.stdout).toMatch(/trained 3 epoch\(s\)/);
      if (kind === 'vae') expect(info.stdout).toContain('score elbo');
      // Skip-GANomaly has no latent size to show (its loss weights' 'latent' is another thing).
      if (kind === 'skip-ganomaly') expect(info.stdout).toMatch(/input 16x16x1, width 8/);
      else expect(info.stdout).toMatch(/input 16x16x1, latent 16, width 8/);
      expect(info.stdout).toMatch(/calibrated \(quantile\)/);
      expect(JSON.parse((await cli(['info', out, '--json'], dir)).stdout).kind).toBe(kind);

      const s = await cli(['score', out, path.join(layout, 'test/normal'), '--format', 'jsonl'], dir);
      expect(s.code).toBe(EXIT.ok);
      const rows = s.stdout.trim().split('\n').map((l) => JSON.parse(l) as { score: number; anomaly: number });
      expect(rows).toHaveLength(24);
      expect(rows.every((r) => Number.isFinite(r.score) && (r.anomaly === 0 || r.anomaly === 1))).toBe(true);

      const report = path.join(dir, `${kind}-report`);
      const e = await cli(['evaluate', out, layout, '--json', ...(kind === 'vae' ? ['--report', report] : [])], dir);
      expect(e.code, e.stderr).toBe(EXIT.ok);
      const r = JSON.parse(e.stdout) as { auroc: number };
      expect(r.auroc).toBeGreaterThan(0.5);
      if (kind === 'vae') expect(await readdir(report)).toContain('index.html');

      const recal = path.join(dir, `${kind}-recal`);
      const c = await cli(['calibrate', out, path.join(layout, 'test/normal'), '--output', recal], dir);
      expect(c.code, c.stderr).toBe(EXIT.ok);
      expect((await cli(['info', recal], dir)).stdout).toContain(`'${kind}' detector model`);

      const x = await cli(['export', out, '--out', path.join(dir, `${kind}.onnx`), '--backend', 'wasm'], dir);
      expect(x.code).toBe(EXIT.model);
      expect(x.stderr).toContain(`is a '${kind}' model: ONNX export is GANomaly's only`);
    }, 120_000);
  }

  it('vae: Ctrl-C saves a checkpoint; --resume (with the checkpoint\'s kind) ends with the weights of the uninterrupted run', async () => {
    const TRAIN = (out: string) => ['train', layout, '--out', out, '--model', 'vae', ...SMALL, '--val-limit', '0'];
    const reference = path.join(dir, 'vae-reference');
    expect((await cli(TRAIN(reference), dir)).code).toBe(EXIT.ok);
    const out = path.join(dir, 'vae-interrupted');
    const ctl = new AbortController();
    const atBatch = (text: string) => [...text.matchAll(/^epoch 2\/3 +\d+% (\d+)\/13/gm)].some((m) => Number(m[1]) >= 6);
    const r = await cli(TRAIN(out), dir, { signal: ctl.signal, onStderr: (t) => void (atBatch(t) && ctl.abort()) });
    expect(r.code, r.stderr).toBe(EXIT.interrupted);
    expect((await cli(['info', `${out}.checkpoint`], dir)).stdout).toMatch(/'vae' detector training checkpoint/);
    const other = await cli(['train', layout, '--out', out, '--backend', 'wasm', '--model', 'autoencoder', '--resume'], dir);
    expect(other.code).toBe(EXIT.usage);
    expect(other.stderr).toMatch(/--resume continues the checkpoint's 'vae' model; drop --model autoencoder/);
    const printed = r.stderr.match(/Continue with: ganomaly (.*)$/m)![1]!.split(' ');
    expect(printed).not.toContain('--model');
    const resumed = await cli(printed, dir);
    expect(resumed.code, resumed.stderr).toBe(EXIT.ok);
    expect(resumed.stderr).toMatch(/resuming after epoch 1 \+ \d+\/13 batches, 2 epoch\(s\) to go/);
    expect((await readFile(path.join(out, 'weights.bin'))).equals(await readFile(path.join(reference, 'weights.bin')))).toBe(true);
  }, 120_000);
});
