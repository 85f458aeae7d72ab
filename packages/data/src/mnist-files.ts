// The MNIST file names and the environment variable findMnist reads: plain values, shared by the
// Node loaders (node-datasets.ts) and the browser build.

/** The two MNIST splits: `train` (60,000 images) and `test` (the 10,000 `t10k` images). */
export type MnistSplit = 'train' | 'test';

/** Environment variable naming a folder with the MNIST IDX files; `findMnist` tries it first. */
export const MNIST_DIR_ENV = 'GANOMALY_MNIST_DIR';

/** File names tried for one MNIST file, in order: uncompressed first (faster), then gzipped; dash and dot spellings. */
export function mnistFileNames(split: MnistSplit, kind: 'images' | 'labels'): string[] {
  const prefix = split === 'train' ? 'train' : 't10k';
  const idx = kind === 'images' ? 'idx3-ubyte' : 'idx1-ubyte';
  const names = [`${prefix}-${kind}-${idx}`, `${prefix}-${kind}.${idx}`];
  return names.flatMap((n) => [n, `${n}.gz`]);
}
