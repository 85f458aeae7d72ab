// The `ganomaly` command line on real images: MNIST digits written as PNG (and JPEG) files.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '@ganomaly/cli';
import { ROOT, SMALL, cli, colourJpeg, digit, mnistTest, writeLayout } from './helpers.js';

let dir: string;
let layout: string;
let model: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ganomaly-cli-'));
  layout = path.join(dir, 'digits');
  await writeLayout(layout);
  model = path.join(dir, 'model');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('help, usage errors and exit codes', () => {
  it('prints help for the program and for every command', async () => {
    const top = await cli(['--help'], dir);
    expect(top.code).toBe(0);
    for (const c of ['train', 'score', 'evaluate', 'calibrate', 'info']) expect(top.stdout).toContain(c);
    expect(top.stdout).toMatch(/Exit codes: 0 ok/);
    for (const c of ['train', 'score', 'evaluate', 'calibrate', 'info']) {
      const r = await cli([c, '--help'], dir);
      expect(r.code, c).toBe(0);
      expect(r.stdout).toContain(`Usage: ganomaly ${c}`);
      if (c !== 'info') expect(r.stdout).toContain('--backend');
    }
    expect((await cli([], dir)).code).toBe(EXIT.usage);
    expect((await cli(['--version'], dir)).stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('bad command lines exit with 2 and one clear line', async () => {
    const cases: [string[], RegExp][] = [
      [['fly'], /unknown command 'fly'/],
      [['train', layout, '--epoch', '3'], /Unknown option '--epoch'.*ganomaly train --help/],
      [['train', layout, '--epochs', 'three'], /--epochs must be an integer >= 1, got 'three'/],
      [['train', layout, '--channels', '2'], /--channels must be one of auto, 1, 3/],
      [['train', layout, '--holdout', '1.5'], /--holdout must be a number between 0 and 0.9/],
      [['score', model], /Missing arguments\. Usage: ganomaly score/],
      [['train', layout, '--backend', 'nonesuch', '--out', path.join(dir, 'x')], /Unknown backend 'nonesuch'/],
      ...['0x2', '1e0', ' 2', '2.0', '0', '65'].map((w): [string[], RegExp] => [['train', layout, '--out', path.join(dir, 'w'), '--workers', w], new RegExp(`--workers must be an integer from 1 to 64 or 'auto', got '${w.replace('.', '\\.')}'`)]),
    ];
    for (const [argv, re] of cases) {
      const r = await cli(argv, dir);
      expect(r.code, argv.join(' ')).toBe(EXIT.usage);
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split('\n').length, r.stderr).toBeLessThanOrEqual(2);
    }
  });

  it('missing or empty data folders exit with 3; a folder that is not a model with 4', async () => {
    const missing = await cli(['train', path.join(dir, 'nope'), '--out', path.join(dir, 'm1'), ...SMALL], dir);
    expect(missing.code).toBe(EXIT.data);
    expect(missing.stderr).toMatch(/nope does not exist/);
    const empty = path.join(dir, 'empty');
    await mkdir(empty);
    const r = await cli(['train', empty, '--out', path.join(dir, 'm2'), ...SMALL], dir);
    expect(r.code).toBe(EXIT.data);
    expect(r.stderr).toMatch(/no (PNG or JPEG )?images/i);
    // A layout without train/normal says what the layout is, in the command's words.
    const noTrain = path.join(dir, 'no-train');
    await mkdir(path.join(noTrain, 'test/normal'), { recursive: true });
    const nt = await cli(['train', noTrain, '--out', path.join(dir, 'm4'), ...SMALL], dir);
    expect(nt.code).toBe(EXIT.data);
    expect(nt.stderr).toMatch(/no-train has no train\/normal folder of training images \(the layout is train\/normal/);
    expect(nt.stderr).not.toMatch(/Argument '/);
    const noLayout = await cli(['score', layout, path.join(layout, 'test/normal')], dir);
    expect(noLayout.code).toBe(EXIT.model);
    expect(noLayout.stderr).toMatch(/not a usable GANomaly model/);
    const noModel = await cli(['info', path.join(dir, 'missing-model')], dir);
    expect(noModel.code).toBe(EXIT.model);
  });

  it('a backend that is not installed exits with 5 and names the fix', async () => {
    // tfjs-node-gpu needs a CUDA build of TensorFlow, which no machine of this project's CI has
    // (tfjs-node itself may be there: npm run setup:tfjs-node builds it).
    const r = await cli(['train', layout, '--out', path.join(dir, 'm3'), ...SMALL, '--backend', 'node-gpu'], dir);
    expect(r.code).toBe(EXIT.backend);
    expect(r.stderr).toMatch(/npm install @tensorflow\/tfjs-node-gpu/);
  });
});

describe('train, info, score, calibrate, evaluate on an image folder', () => {
  let trained: Awaited<ReturnType<typeof cli>>;
  beforeAll(async () => {
    trained = await cli(['train', layout, '--out', model, ...SMALL], dir);
  });

  it('train: progress with ETA and losses, an epoch line with the validation AUROC, a calibrated model', async () => {
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stdout).toContain(`Model saved to ${model}`);
    // 120 training images, 12 held out, 108 / 8 = 13 batches.
    expect(trained.stderr).toMatch(/data: image folders .*: 108 training images, 12 held out for calibration, 48 labelled for validation/);
    expect(trained.stderr).toMatch(/epoch 1\/3\s+\d+% \d+\/13 {2}ETA \d+:\d\d \(all \d+:\d\d\) {2}G \d+\.\d+ D \d+\.\d+/);
    const epochLines = trained.stderr.split('\n').filter((l) => /^epoch \d\/3 {2}G /.test(l));
    expect(epochLines).toHaveLength(3);
    for (const l of epochLines) expect(l).toMatch(/val AUROC (0|1)\.\d{4}/);
    expect(trained.stderr).toMatch(/calibrated on 12 held-out normal images/);
    expect(await readdir(model)).toEqual(['metadata.json', 'model.json', 'weights.bin']);
    // The checkpoint is removed once the model is saved.
    await expect(stat(`${model}.checkpoint`)).rejects.toThrow();
  });

  it('train refuses to replace a model without --force', async () => {
    const r = await cli(['train', layout, '--out', model, ...SMALL], dir);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/already holds a model; pass --force/);
  });

  it('info describes the model, as text and JSON', async () => {
    const r = await cli(['info', model], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/GANomaly model, format \d+/);
    expect(r.stdout).toMatch(/input 16x16x1, latent 16, width 8/);
    expect(r.stdout).toMatch(/trained 3 epoch\(s\)/);
    expect(r.stdout).toMatch(/calibrated \(quantile\) on 12 images/);
    const j = JSON.parse((await cli(['info', model, '--json'], dir)).stdout);
    expect(j.epochsTrained).toBe(3);
    expect(j.config.imageSize).toBe(16);
    expect(j.checkpoint).toBe(false);
  });

  it('score writes one CSV row per image (file, score, normalized, anomaly) and JSON lines', async () => {
    const r = await cli(['score', model, path.join(layout, 'test/normal'), path.join(layout, 'test/abnormal')], dir);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('file,score,normalized,anomaly,error');
    expect(lines).toHaveLength(1 + 24 + 16);
    const rows = lines.slice(1).map((l) => l.split(','));
    for (const [file, s, n, flag, err] of rows) {
      expect(file).toMatch(/^digits\/test\/(normal|abnormal)\/mnist-\d+\.png$/);
      expect(Number.isFinite(Number(s))).toBe(true);
      expect(Number.isFinite(Number(n))).toBe(true);
      expect(['0', '1']).toContain(flag);
      expect(err).toBe('');
    }
    // The model learnt something: anomalies are flagged more often than normal images.
    const rate = (kind: string) => rows.filter((x) => x[0]!.includes(`/${kind}/`)).filter((x) => x[3] === '1').length / rows.filter((x) => x[0]!.includes(`/${kind}/`)).length;
    expect(rate('abnormal')).toBeGreaterThan(rate('normal'));
    expect(r.stderr).toMatch(/scored 40 image\(s\), \d+ flagged as anomalies/);

    const out = path.join(dir, 'scores.jsonl');
    const j = await cli(['score', model, path.join(layout, 'test/abnormal'), '--output', out], dir);
    expect(j.code).toBe(0);
    const objs = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(objs).toHaveLength(16);
    const csvScores = new Map(rows.map((x) => [x[0], Number(x[1])]));
    for (const o of objs) {
      expect(Object.keys(o)).toEqual(['file', 'score', 'normalized', 'anomaly']);
      expect(o.score).toBeCloseTo(csvScores.get(o.file)!, 6); // the same image scores the same in both runs
    }
    // .json: one JSON array with the same rows; --format overrides the extension.
    const arrayOut = path.join(dir, 'scores.json');
    expect((await cli(['score', model, path.join(layout, 'test/abnormal'), '--output', arrayOut], dir)).code).toBe(0);
    expect(JSON.parse(await readFile(arrayOut, 'utf8'))).toEqual(objs);
    const linesOut = path.join(dir, 'lines.json');
    expect((await cli(['score', model, path.join(layout, 'test/abnormal'), '--output', linesOut, '--format', 'jsonl'], dir)).code).toBe(0);
    expect((await readFile(linesOut, 'utf8')).trim().split('\n').map((l) => JSON.parse(l))).toEqual(objs);
  });

  it('score skips corrupt, unreadable and huge images with a warning, or stops on them with --strict', async () => {
    const folder = path.join(dir, 'mixed');
    await mkdir(folder);
    const set = await mnistTest();
    await writeFile(path.join(folder, 'a-colour.jpg'), colourJpeg(digit(set, 3), 28, 28));
    const good = await readFile(path.join(layout, 'test/normal', (await readdir(path.join(layout, 'test/normal')))[0]!));
    await writeFile(path.join(folder, 'b-good.png'), good);
    await writeFile(path.join(folder, 'c-truncated.png'), good.subarray(0, 40));
    await writeFile(path.join(folder, 'd-text.jpg'), 'this is not a JPEG');
    // A valid PNG signature and IHDR claiming 100000 x 100000 pixels, and no pixel data at all.
    const huge = Buffer.alloc(33);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]).copy(huge);
    huge.writeUInt32BE(100_000, 16);
    huge.writeUInt32BE(100_000, 20);
    huge[24] = 8;
    huge[25] = 2;
    await writeFile(path.join(folder, 'e-huge.png'), huge);
    await writeFile(path.join(folder, 'notes.txt'), 'ignored: not an image extension');

    const r = await cli(['score', model, folder], dir);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').slice(1);
    expect(rows).toHaveLength(5);
    const byName = Object.fromEntries(rows.map((l) => [l.split(',')[0]!.split('/').pop(), l]));
    expect(byName['a-colour.jpg']).toMatch(/^mixed\/a-colour\.jpg,\d/);
    expect(byName['b-good.png']).toMatch(/^mixed\/b-good\.png,\d/);
    for (const bad of ['c-truncated.png', 'd-text.jpg', 'e-huge.png']) expect(byName[bad]).toMatch(new RegExp(`^mixed/${bad.replace('.', '\\.')},,,,.+`));
    expect(byName['e-huge.png']).toMatch(/100000.?x.?100000/);
    expect(r.stderr.match(/^warning: /gm)?.length).toBeGreaterThanOrEqual(3);
    expect(r.stderr).toMatch(/scored 2 image\(s\).*3 skipped/);

    const strict = await cli(['score', model, folder, '--strict'], dir);
    expect(strict.code).toBe(EXIT.data);
    expect(strict.stderr).toMatch(/c-truncated\.png/);

    const onlyBad = path.join(dir, 'only-bad');
    await mkdir(onlyBad);
    await writeFile(path.join(onlyBad, 'x.png'), 'nope');
    expect((await cli(['score', model, onlyBad], dir)).code).toBe(EXIT.data);
  });

  it('calibrate fits a threshold on a plain folder of normal images and saves it with the model', async () => {
    const out = path.join(dir, 'recalibrated');
    const r = await cli(['calibrate', model, path.join(layout, 'test/normal'), '--quantile', '0.9', '--output', out], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/calibrated \(quantile 0.9\) on 24 images: threshold/);
    const meta = JSON.parse(await readFile(path.join(out, 'metadata.json'), 'utf8'));
    expect(meta.calibration).toMatchObject({ method: 'quantile', quantile: 0.9, count: 24 });
    const again = await cli(['calibrate', model, path.join(layout, 'test'), '--output', out], dir);
    expect(again.code).toBe(EXIT.usage);
    expect(again.stderr).toMatch(/already holds another model; pass --force/);
    const f1 = await cli(['calibrate', model, path.join(layout, 'test'), '--output', out, '--force'], dir);
    expect(f1.code, f1.stderr).toBe(0);
    expect(f1.stdout).toMatch(/calibrated \(f1\) on 48 images/);
    const bad = await cli(['calibrate', model, path.join(layout, 'test/normal'), '--method', 'f1', '--output', out, '--force'], dir);
    expect(bad.code).toBe(EXIT.usage);
  });

  it('evaluate prints the metrics, per anomaly class too, and writes the visual report', async () => {
    const r = await cli(['evaluate', model, layout], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/48 images \(24 normal, 24 anomalous\)/);
    expect(r.stdout).toMatch(/AUROC \d\.\d{4} {2}AP \d\.\d{4} {2}EER/);
    expect(r.stdout).toMatch(/at threshold .* \(calibration\)/);
    expect(r.stdout).toMatch(/abnormal: AUROC \d\.\d{4} \(16 images/);
    expect(r.stdout).toMatch(/zero: AUROC \d\.\d{4} \(8 images/);
    const j = JSON.parse((await cli(['evaluate', model, path.join(layout, 'test'), '--json'], dir)).stdout);
    expect(j.auroc).toBeGreaterThan(0.5);
    expect(j.perClass.map((c: { class: string }) => c.class).sort()).toEqual(['abnormal', 'zero']);

    const reportDir = path.join(dir, 'report');
    const rep = await cli(['evaluate', model, layout, '--report', reportDir, '--top-k', '4'], dir);
    expect(rep.code, rep.stderr).toBe(0);
    expect(rep.stderr).toContain(path.join(reportDir, 'index.html'));
    const html = await readFile(path.join(reportDir, 'index.html'), 'utf8');
    const links = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(links.filter((l) => l.endsWith('.png')).length).toBeGreaterThanOrEqual(5);
    for (const l of links) {
      expect(l, 'offline: no external links').not.toMatch(/^https?:/);
      await expect(stat(path.join(reportDir, decodeURIComponent(l))), l).resolves.toBeTruthy();
    }
    for (const f of (await readdir(reportDir)).filter((f) => f.endsWith('.png'))) {
      const png = PNG.sync.read(await readFile(path.join(reportDir, f)));
      expect(png.width, f).toBeGreaterThan(100);
      expect(png.height, f).toBeGreaterThan(100);
    }
    expect(html).toContain((j.auroc as number).toFixed(3));
  });

  it('evaluate needs labels: a plain folder is a usage error', async () => {
    const r = await cli(['evaluate', model, path.join(layout, 'test/normal')], dir);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/has no labels/);
  });
});

/** Whether a progress line of `epoch` at batch >= `batch` (of 13) is in `text`. */
function atBatch(text: string, epoch: number, batch: number): boolean {
  return [...text.matchAll(new RegExp(`^epoch ${epoch}/3 +\\d+% (\\d+)/13`, 'gm'))].some((m) => Number(m[1]) >= batch);
}

describe('nothing is lost by a bad command line', () => {
  it('--checkpoint equal to --out, resuming from a finished model, or an --out full of other files are refused before training', async () => {
    const out = path.join(dir, 'guard');
    const same = await cli(['train', layout, '--out', out, '--checkpoint', out, ...SMALL], dir);
    expect(same.code).toBe(EXIT.usage);
    expect(same.stderr).toMatch(/must be a folder of its own/);
    // A finished model given as the checkpoint to resume from is refused, and kept.
    const fin = await cli(['train', layout, '--out', path.join(dir, 'guard2'), '--checkpoint', model, '--resume'], dir);
    expect(fin.code).toBe(EXIT.usage);
    expect(fin.stderr).toMatch(/is a finished model, not a training checkpoint/);
    expect(await readdir(model)).toContain('weights.bin');
    const busy = path.join(dir, 'busy');
    await mkdir(busy);
    await writeFile(path.join(busy, 'notes.txt'), 'mine');
    const t0 = performance.now();
    const r = await cli(['train', layout, '--out', busy, ...SMALL], dir);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/--out .*busy is a folder with other files in it/);
    expect(r.stderr).not.toMatch(/epoch/); // refused before any training
    expect(performance.now() - t0).toBeLessThan(30_000) // no training started: loose, so that a loaded machine still meets it;
    expect(await readdir(busy)).toEqual(['notes.txt']);
  });

  it('bad model options are refused before the images are loaded', async () => {
    const r = await cli(['train', layout, '--out', path.join(dir, 'm24'), ...SMALL, '--image-size', '24'], dir);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/--image-size must be a power of two >= 16 \(16, 32, 64, ...\), but got 24/);
    expect(r.stderr).not.toMatch(/data:/);
  });

  it('a write error on --output is an error, not a silent success', async () => {
    const r = await cli(['score', model, path.join(layout, 'test/normal'), '--output', '/dev/full'], dir);
    expect(r.code).toBe(EXIT.error);
    expect(r.stderr).toMatch(/Cannot write \/dev\/full: .*ENOSPC/);
  });

  it('a layout whose test/ has no anomaly folder still trains, without validation', async () => {
    const root = path.join(dir, 'no-anomalies');
    await mkdir(path.join(root, 'train'), { recursive: true });
    await mkdir(path.join(root, 'test'), { recursive: true });
    const { cp } = await import('node:fs/promises');
    await cp(path.join(layout, 'train/normal'), path.join(root, 'train/normal'), { recursive: true });
    await cp(path.join(layout, 'test/normal'), path.join(root, 'test/normal'), { recursive: true });
    const r = await cli(['train', root, '--out', path.join(dir, 'no-anomalies-model'), ...SMALL, '--epochs', '1'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: .*test is not used for validation/);
    expect(r.stderr).not.toMatch(/val AUROC/);
  });

  it('a model with damaged weights exits 4 in info and score, not NaN scores', async () => {
    const { cp } = await import('node:fs/promises');
    const damaged = path.join(dir, 'damaged');
    await cp(model, damaged, { recursive: true });
    const w = await readFile(path.join(damaged, 'weights.bin'));
    w.fill(0xff, 200, 300);
    await writeFile(path.join(damaged, 'weights.bin'), w);
    for (const argv of [['info', damaged], ['score', damaged, path.join(layout, 'test/normal')]]) {
      const r = await cli(argv, dir);
      expect(r.code, argv[0]).toBe(EXIT.model);
      expect(r.stderr).toMatch(/weights are damaged/);
    }
  });

  it('help on an unknown command is a usage error', async () => {
    expect((await cli(['help', 'bogus'], dir)).code).toBe(EXIT.usage);
    expect((await cli(['help', 'score'], dir)).stdout).toContain('Usage: ganomaly score');
  });
});

describe('Ctrl-C and --resume', () => {
  const TRAIN = (out: string) => ['train', layout, '--out', out, ...SMALL, '--val-limit', '0'];
  // Resuming takes the model settings, epochs and batch size from the checkpoint.
  const RESUME = (out: string) => ['train', layout, '--out', out, '--backend', 'wasm', '--resume'];
  let reference: Buffer;

  beforeAll(async () => {
    const out = path.join(dir, 'reference');
    const r = await cli(TRAIN(out), dir);
    expect(r.code, r.stderr).toBe(0);
    reference = await readFile(path.join(out, 'weights.bin'));
  });

  it('an interrupted run saves a checkpoint, exits 130, and --resume ends with the same model as the uninterrupted run', async () => {
    const out = path.join(dir, 'interrupted');
    const ctl = new AbortController();
    // Stop half-way through epoch 2 (the non-terminal progress prints at every quarter of an epoch).
    const r = await cli(TRAIN(out), dir, { signal: ctl.signal, onStderr: (s) => void (atBatch(s, 2, 6) && ctl.abort()) });
    expect(r.code, r.stderr).toBe(EXIT.interrupted);
    expect(r.stderr).toMatch(/Interrupted after epoch 1 and \d+\/13 batches of epoch 2; checkpoint saved to .*interrupted\.checkpoint/);
    expect(r.stderr).toMatch(/Continue with: ganomaly train .* --resume/);
    const info = await cli(['info', `${out}.checkpoint`], dir);
    expect(info.stdout).toMatch(/training checkpoint/);
    expect(info.stdout).toMatch(/trained 1 epoch\(s\) \+ \d+\/13 batches of epoch 2/);
    // Without --resume the checkpoint is not silently overwritten.
    expect((await cli(TRAIN(out), dir)).stderr).toMatch(/continue it with --resume/);

    // The printed command is the one to run.
    const printed = r.stderr.match(/Continue with: ganomaly (.*)$/m)![1]!.split(' ');
    expect(printed).toEqual(['train', layout, '--out', out, '--backend', 'wasm', '--resume']);
    const resumed = await cli(printed, dir);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming after epoch 1 \+ \d+\/13 batches, 2 epoch\(s\) to go/);
    const weights = await readFile(path.join(out, 'weights.bin'));
    expect(weights.equals(reference)).toBe(true);
  });

  it('--resume refuses other data, and model options that conflict with the checkpoint', async () => {
    const out = path.join(dir, 'other');
    const ctl = new AbortController();
    const r = await cli(TRAIN(out), dir, { signal: ctl.signal, onStderr: (s) => void (atBatch(s, 1, 3) && ctl.abort()) });
    expect(r.code).toBe(EXIT.interrupted);
    const other = path.join(dir, 'other-data');
    await mkdir(path.join(other, 'train'), { recursive: true });
    const files = (await readdir(path.join(layout, 'train/normal'))).slice(0, 50);
    await mkdir(path.join(other, 'train/normal'));
    for (const f of files) await writeFile(path.join(other, 'train/normal', f), await readFile(path.join(layout, 'train/normal', f)));
    const wrong = await cli(['train', other, '--out', out, '--backend', 'wasm', '--resume'], dir);
    expect(wrong.code).toBe(EXIT.usage);
    expect(wrong.stderr).toMatch(/was trained on other images/);
    // The run's own options are fine (fault 11); other values are refused.
    const conflict = await cli([...RESUME(out), '--image-size', '32', '--latent', '8', '--width', '16'], dir);
    expect(conflict.code).toBe(EXIT.usage);
    expect(conflict.stderr).toMatch(/--image-size was 16, --latent was 16, --width was 8; drop --image-size, --latent, --width/);
    const batch = await cli([...RESUME(out), '--batch-size', '4', '--val-limit', '0'], dir);
    expect(batch.code).toBe(EXIT.usage);
    expect(batch.stderr).toMatch(/--batch-size was 8; drop --batch-size/);
    const noCkpt = await cli(['train', layout, '--out', path.join(dir, 'never'), '--resume'], dir);
    expect(noCkpt.code).toBe(EXIT.usage);
    expect(noCkpt.stderr).toMatch(/no checkpoint at/);
  });

  it("names wasm's XNNPACK threads; --workers 2 keeps the main thread at one (real processes, default thread count)", async () => {
    execFileSync('npx', ['tsc', '-b'], { cwd: ROOT, stdio: 'pipe' });
    const bin = path.join(ROOT, 'packages/cli/dist/bin.js');
    const env = { ...process.env };
    delete env.GANOMALY_WASM_THREADS; // the test suite sets 1; a user's shell does not
    const run = (out: string, extra: string[]) =>
      spawnSync(process.execPath, [bin, 'train', layout, '--out', path.join(dir, out), ...SMALL, '--epochs', '1', '--val-limit', '0', ...extra], { cwd: dir, env, encoding: 'utf8' });
    const cores = Math.min(availableParallelism(), 8);
    const plain = run('threads-plain', []);
    expect(plain.status, plain.stderr).toBe(0);
    const line = (plain.stdout + plain.stderr).split('\n').find((l) => l.startsWith('model:'))!;
    expect(line).toContain(cores > 1 ? `backend wasm (${cores} threads);` : 'backend wasm;');
    const parallel = run('threads-workers', ['--workers', '2']);
    expect(parallel.status, parallel.stderr).toBe(0);
    expect((parallel.stdout + parallel.stderr).split('\n').find((l) => l.startsWith('model:'))).toContain('backend wasm, workers 2;');
  });

  it('a real SIGINT to the ganomaly process saves the checkpoint; resuming reproduces the uninterrupted model', async () => {
    // The bin runs from dist: build it (incremental, quick when up to date).
    execFileSync('npx', ['tsc', '-b'], { cwd: ROOT, stdio: 'pipe' });
    const out = path.join(dir, 'signalled');
    const bin = path.join(ROOT, 'packages/cli/dist/bin.js');
    const child = spawn(process.execPath, [bin, ...TRAIN(out)], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let sent = false;
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      if (!sent && atBatch(err, 1, 6)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(sent).toBe(true);
    expect(code, err).toBe(EXIT.interrupted);
    expect(err).toMatch(/Interrupted: finishing the current batch and saving a checkpoint/);
    // It stops within epoch 1, right after the batch that was running, not at the epoch's end.
    expect(err).toMatch(/Interrupted after \d+\/13 batches of epoch 1; checkpoint saved to/);
    const resumed = await cli(RESUME(out), dir);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((await readFile(path.join(out, 'weights.bin'))).equals(reference)).toBe(true);
  });
});
