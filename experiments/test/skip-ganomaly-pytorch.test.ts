// bench/pytorch/skip_ganomaly.py, the PyTorch Skip-GANomaly that run.mjs can call like
// ganomaly.py: its networks' shapes and skip connections, the split it shares with ganomaly.py,
// the held-out calibration images, and one tiny protocol run's JSON. Skipped without the
// repository's .venv/bin/python (torch, numpy) or without MNIST in ../shared/data.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const python = path.join(root, '.venv/bin/python');
const script = path.join(root, 'bench/pytorch/skip_ganomaly.py');
const mnist = path.resolve(root, '../shared/data/mnist');
const hasTorch = fs.existsSync(python); // the repository's venv (npm run setup:python) has torch and numpy
if (!hasTorch) console.warn('skip-ganomaly-pytorch.test.ts skipped: no .venv/bin/python (npm run setup:python)');
const hasMnist = fs.existsSync(mnist);
// run.mjs imports @ganomaly/core from dist (npm run build)
const built = fs.existsSync(path.join(root, 'packages/core/dist/index.js'));

/** The unit checks below, in one Python process (torch's import costs seconds): their results by name. */
const UNIT = String.raw`
import sys, json, argparse, numpy as np, torch
from pathlib import Path
sys.path.insert(0, 'bench/pytorch')
import skip_ganomaly as s
def shapes():
    torch.manual_seed(0)
    g = s.UnetGenerator(32, 3, 4); d = s.Discriminator(32, 10, 3, 4)
    g.apply(s.init_weights); d.apply(s.init_weights)
    dc = s.SkipGanomaly(s.Config(isize=32, nc=3, ngf=4, ndf=4), torch.device('cpu')).netd
    pc, fc = dc(torch.rand(2, 3, 32, 32) * 2 - 1)
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    seen = []
    for m in g.modules():
        if isinstance(m, s.UnetSkipBlock) and not m.outermost:
            m.register_forward_hook(lambda mod, i, o: seen.append([list(i[0].shape), list(o.shape)]))
    y = g(x); p, f = d(x)
    convs = [m for m in g.modules() if isinstance(m, torch.nn.Conv2d)]
    try:
        s.UnetGenerator(16, 1, 4); small = 'built'
    except ValueError as e:
        small = str(e)
    return ({'dcgan': [type(dc).__name__, list(pc.shape), list(fc.shape)], 'y': list(y.shape), 'ymax': float(y.abs().max()), 'p': list(p.shape), 'f': list(f.shape),
      'pmin': float(p.min()), 'pmax': float(p.max()), 'blocks': seen, 'downs': len(convs), 'small': small})
def combine():
    parts = {'reconstruction_l2': np.array([1., 2., 3.]), 'features': np.array([10., 0., 5.]), 'reconstruction': np.zeros(3), 'features_l1': np.zeros(3)}
    calib = {'reconstruction_l2': np.array([1., 3.]), 'features': np.array([0., 10.]), 'reconstruction': np.zeros(2), 'features_l1': np.zeros(2)}
    res = {}
    for scaling in ('combined', 'parts'):
        m = s.SkipGanomaly(s.Config(nc=1, nz=4, ngf=2, score_scaling=scaling), torch.device('cpu'))
        raw, scaled, info = m.combine(parts, calib)
        res[scaling] = {'raw': raw.tolist(), 'scaled': scaled.tolist(), 'info': info}
    return (res)
def split():
    xtr, ytr, xte, yte = s.gan.load_mnist(Path(sys.argv[1]))
    labels = np.concatenate([ytr, yte])
    res = {}
    for cap in (200, None):
        a = argparse.Namespace(anomaly_class=3, seed=1, max_train=cap, max_test_normal=50, max_test_anomalous=40, val_normal=30 if cap else 0, calib_normal=0 if cap else 30)
        split, tr, ca, src = s.calibration_split(labels, a)
        ref = s.gan.leave_one_class_out(labels, 3, 1, cap, 50, 40)
        res[str(cap)] = {'train': len(tr), 'calib': len(ca), 'same_test': bool(np.array_equal(split.test_idx, ref.test_idx)),
          'prefix': bool(np.array_equal(tr, ref.train_idx[:len(tr)])), 'same_train': bool(np.array_equal(tr, ref.train_idx)),
          'overlap': len(set(ca) & (set(tr) | set(split.test_idx))), 'normal': bool(np.all(labels[ca] != 3)), 'src': src}
    return (res)
out = {'shapes': shapes(), 'combine': combine()}
if len(sys.argv) > 1: out['split'] = split()
print(json.dumps(out))
`;
let units: Record<string, any> | null = null;
function unit(): Record<string, any> {
  if (!units) {
    const r = spawnSync(python, ['-c', UNIT, ...(hasMnist ? [path.dirname(mnist)] : [])], { cwd: root, encoding: 'utf8', timeout: 90_000 });
    if (r.status !== 0) throw new Error(`python exited with ${r.status}:\n${r.stderr}`);
    units = JSON.parse(r.stdout) as Record<string, any>;
  }
  return units;
}

describe.skipIf(!hasTorch)('bench/pytorch/skip_ganomaly.py', () => {
  it('builds the U-Net (skips at every scale) and both discriminators with the expected shapes', () => {
    const r = unit().shapes;
    expect(r.y).toEqual([2, 3, 32, 32]);
    // the default D is GANomaly's (the library's): features = the last LeakyReLU, 4x4x(4·4)
    expect(r.dcgan).toEqual(['Discriminator', [2], [2, 16, 4, 4]]);
    expect(r.ymax).toBeLessThanOrEqual(1);
    expect(r.p).toEqual([2]);
    expect(r.f).toEqual([2, 10, 1, 1]);
    expect(r.pmin).toBeGreaterThan(0);
    expect(r.pmax).toBeLessThan(1);
    expect(r.downs).toBe(5); // log2(32) stride-2 convs down to 1x1
    // Each inner level returns its input concatenated with its up path: channels = in + out of
    // the up conv (= in), at sizes 16, 8, 4, 2 (innermost first in hook order).
    expect(r.blocks).toEqual([
      [[2, 32, 2, 2], [2, 64, 2, 2]],
      [[2, 16, 4, 4], [2, 32, 4, 4]],
      [[2, 8, 8, 8], [2, 16, 8, 8]],
      [[2, 4, 16, 16], [2, 8, 16, 16]],
    ]);
    expect(r.small).toMatch(/power of two >= 32/);
  });

  it('combines 0.9·rec + 0.1·features and scales on the calibration images, by hand', () => {
    const r = unit().combine;
    // raw = 0.9·[1, 2, 3] + 0.1·[10, 0, 5] = [1.9, 1.8, 3.2]; calibration raw [0.9, 3.7]
    r.combined.raw.forEach((v: number, i: number) => expect(v).toBeCloseTo([1.9, 1.8, 3.2][i]!, 12));
    expect(r.combined.info).toEqual({ min: 0.9, max: 3.7 });
    r.combined.scaled.forEach((v: number, i: number) => expect(v).toBeCloseTo(([1.9, 1.8, 3.2][i]! - 0.9) / 2.8, 12));
    // parts: rec' = (r − 1)/2 = [0, 0.5, 1], features' = f/10 = [1, 0, 0.5] -> [0.1, 0.45, 0.95]
    r.parts.scaled.forEach((v: number, i: number) => expect(v).toBeCloseTo([0.1, 0.45, 0.95][i]!, 12));
    expect(r.parts.info).toEqual({ reconstruction: { min: 1, max: 3 }, features: { min: 0, max: 10 } });
  });

  it.skipIf(!hasMnist)('uses ganomaly.py\'s split and holds out calibration images that are neither trained on nor tested', () => {
    const r = unit().split;
    // capped: the training set is ganomaly.py's exactly, the calibration images follow it
    expect(r['200']).toMatchObject({ train: 200, calib: 30, same_test: true, same_train: true, overlap: 0, normal: true });
    expect(r['200'].src).toMatch(/after the 200 training images/);
    // uncapped: the last 30 of the training prefix are held out
    const n = Math.floor((70000 - 7141) * 0.8);
    expect(r.None).toMatchObject({ train: n - 30, calib: 30, same_test: true, prefix: true, same_train: false, overlap: 0, normal: true });
  });

  it.skipIf(!hasMnist)('serves a tiny protocol run (the fields run.mjs reads) and reports a bad one', () => {
    const args = ['protocol', '--dataset', 'mnist', '--anomaly-class', '1', '--seed', '0', '--epochs', '2', '--max-train', '64',
      '--max-test-normal', '32', '--max-test-anomalous', '32', '--ngf', '4', '--nz', '8', '--batch', '32', '--threads', '1',
      '--val-normal', '40', '--w-enc', '2', '--components', '--data-dir', path.dirname(mnist)];
    const input = `${JSON.stringify(args)}\n${JSON.stringify(['protocol', '--isize', '16'])}\n`;
    const r = spawnSync(python, [script, 'serve'], { cwd: root, encoding: 'utf8', timeout: 90_000, input });
    if (r.status !== 0) throw new Error(`skip_ganomaly.py serve exited with ${r.status}:\n${r.stderr}`);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[1].error).toMatch(/exit --isize: isize must be a power of two >= 32/);
    const res = lines[0].ok;
    expect(res).toMatchObject({ system: 'pytorch', model: 'skip-ganomaly', dataset: 'mnist', anomaly_class: 1, seed: 0, epochs: 2 });
    expect(res.split).toEqual({ normal_pool: 70000 - 7877, anomaly_pool: 7877, train: 64, test_normal: 32, test_anomalous: 32, val_normal: 40 });
    expect(res.per_epoch_auroc).toHaveLength(2);
    expect(res.auroc).toBe(res.per_epoch_auroc[1]);
    expect(Object.keys(res.auroc_by_bn_mode).sort()).toEqual(['batch', 'population', 'running']);
    expect(res.auroc_by_bn_mode.population).toBe(res.auroc);
    for (const v of Object.values(res.auroc_by_bn_mode) as number[]) expect(v >= 0 && v <= 1).toBe(true);
    expect(res.history.map((h: { epoch: number }) => h.epoch)).toEqual([1, 2]);
    for (const h of res.history) for (const k of ['g', 'd', 'adv', 'con', 'lat']) expect(Number.isFinite(h[k])).toBe(true);
    expect(res.config).toMatchObject({ w_adv: 1, w_con: 50, w_lat: 2, d_lat: true, rec_weight: 0.9, score_scaling: 'combined', netd: 'dcgan', nz: 8, ngf: 4, ndf: 4, bn_mode: 'population' });
    expect(res.test_labels).toEqual([...Array(32).fill(0), ...Array(32).fill(1)]);
    expect(res.test_scores).toHaveLength(64);
    // the score is 0.9·rec² + 0.1·features², scaled with the held-out normal images' min and max
    const last = res.components[1];
    expect(res.components.map((c: { epoch: number }) => c.epoch)).toEqual([1, 2]);
    expect(Object.keys(last.test).sort()).toEqual(['features', 'features_l1', 'reconstruction', 'reconstruction_l2']);
    expect(last.val_normal.features).toHaveLength(40);
    const calRaw = last.val_normal.reconstruction_l2.map((v: number, i: number) => 0.9 * v + 0.1 * last.val_normal.features[i]);
    const { min, max, count } = res.calibration;
    expect(count).toBe(40);
    expect(min).toBeCloseTo(Math.min(...calRaw), 12);
    expect(max).toBeCloseTo(Math.max(...calRaw), 12);
    res.test_scores_raw.forEach((raw: number, i: number) => {
      expect(raw).toBeCloseTo(0.9 * last.test.reconstruction_l2[i] + 0.1 * last.test.features[i], 12);
      expect(res.test_scores[i]).toBeCloseTo((raw - min) / (max - min), 9);
    });
    expect(res.test_labels_components).toEqual(res.test_labels);
  });

  it.skipIf(!hasMnist || !built)("is what run.mjs --impl pytorch --model skip-ganomaly runs (not GANomaly's script)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exp-skip-'));
    const out = path.join(dir, 'r.jsonl');
    try {
      const r = spawnSync(process.execPath, [path.join(root, 'experiments/run.mjs'), '--impl', 'pytorch', '--model', 'skip-ganomaly', '--dataset', 'mnist',
        '--classes', '1', '--seeds', '0', '--epochs', '1', '--max-train', '64', '--val-normal', '32', '--max-test-normal', '32', '--max-test-anomalous', '32',
        '--width', '4', '--latent', '8', '--batch', '32', '--threads', '1', '--python', python, '--data-dir', path.dirname(mnist), '--out', out], { encoding: 'utf8', timeout: 90_000 });
      if (r.status !== 0) throw new Error(`run.mjs exited with ${r.status}:\n${r.stderr}`);
      const rec = JSON.parse(fs.readFileSync(out, 'utf8').trim());
      expect(rec).toMatchObject({ impl: 'pytorch', anomaly_class: 1, seed: 0, config: { model: 'skip-ganomaly', val_normal: 32 } });
      expect(rec.calibration).toMatchObject({ count: 32, scaling: 'combined' });
      expect(rec.split).toMatchObject({ train: 64, val_normal: 32, test_normal: 32, test_anomalous: 32 });
      expect(rec.auroc_recomputed).toBeCloseTo(rec.auroc, 9);
      expect(rec.history[0]).toHaveProperty('lat'); // Skip-GANomaly's losses, not GANomaly's 'enc'
      expect(rec.history[0]).not.toHaveProperty('enc');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
