// The GANomaly authors' folder layout (root/train/normal, root/test/normal, root/test/abnormal)
// as a labelled data set (Node only; node: modules are imported when called).
import { fail, ValueError } from '@ganomaly/common';
import { imageSet } from './imageset.js';
import { IMAGE_EXTENSIONS } from './image-header.js';
import { joinPath, kindOf, nodeModules, showPath, type FilePath } from './node-fs.js';
import { checkLoadOptions, entries, isImageName, listImages, loadChecked, type LoadImagesOptions, type LoadedImages } from './node-image-files.js';

/** A data set in the GANomaly authors' folder layout, loaded. */
export interface FolderDataset {
  /** The images of train/normal (unlabelled). Empty (count 0) when only the test split was asked for. */
  train: LoadedImages;
  /** The images of test/ with labels 0 (normal) and 1 (anomaly); absent when there is no test/ folder or only `train` was asked for. */
  test?: LoadedImages & {
    /** 0 normal, 1 anomaly, per loaded image; the same array as `set.labels`. */
    labels: Uint8Array;
    /** The folder name (class) of each loaded image: 'normal', 'abnormal', ... */
    classes: string[];
  };
}

const LAYOUT =
  'root/train/normal/ with the training images (.png, .jpg, .jpeg), and optionally root/test/normal/ plus one or more anomaly folders such as root/test/abnormal/';

function layoutError(fn: string, problem: string): ValueError {
  return new ValueError(`Argument 'root' passed to '${fn}' must be a data set folder laid out as ${LAYOUT}, but ${problem}.`);
}

/**
 * Loads a data set in the layout of the GANomaly authors' custom data sets (torchvision
 * ImageFolder under train/ and test/):
 *
 *     root/train/normal/*.png          training images (normal only)
 *     root/test/normal/*.png           label 0
 *     root/test/abnormal/*.png         label 1; every other folder under test/ is an anomaly class too
 *
 * - train/: only `normal` is used; other folders and loose files are ignored with a warning.
 * - test/ (optional unless `split` is 'test'): `normal` is label 0, every other folder label 1,
 *   its name kept per image in `classes`. Images come in ImageFolder order: class folders sorted
 *   by name (so `abnormal` before `normal`), files sorted by path within each.
 * - Class folders are searched recursively (as ImageFolder does); hidden entries are ignored.
 * - `split`: 'both' (default), 'train' (no test) or 'test' (train/ not needed; `train` is empty).
 * - Progress counts the files of both splits together.
 * - ValueError (naming the path and the expected layout): root missing, no train/normal,
 *   train/normal without images, test/ without normal/ or without any anomaly folder with
 *   images, test/normal without images. Unusable image files are skipped (or thrown with
 *   `strict`) as in `loadImageFiles`.
 *
 * Node only.
 */
export async function loadFolderDataset(root: string, options: LoadImagesOptions & { split?: 'train' | 'test' | 'both' }): Promise<FolderDataset> {
  const fn = 'loadFolderDataset';
  const o = checkLoadOptions(options, fn);
  const split = options.split ?? 'both';
  if (split !== 'train' && split !== 'test' && split !== 'both') fail('options.split', fn, "'train', 'test' or 'both'", split);
  const { fs, path } = await nodeModules();
  if (typeof root !== 'string' || root === '') fail('root', fn, `a data set folder laid out as ${LAYOUT}`, root);
  const abs = path.resolve(root);
  const rootKind = await kindOf(fs, abs);
  if (rootKind !== 'dir') throw layoutError(fn, rootKind === undefined ? `${abs} does not exist` : `${abs} is not a folder`);
  const warn = (m: string) => o.onWarning?.(m);
  const list = (names: string[]) => (names.length ? names.join(', ') : 'nothing');

  let trainFiles: FilePath[] = [];
  if (split !== 'test') {
    const trainDir = path.join(root, 'train');
    if ((await kindOf(fs, trainDir)) !== 'dir') throw layoutError(fn, `${abs} has no train/ folder (it holds: ${list((await entries(fs, path, abs)).dirs.map((d) => d + '/'))})`);
    const { dirs, files } = await entries(fs, path, trainDir);
    if (!dirs.includes('normal')) throw layoutError(fn, `${path.resolve(trainDir)} has no normal/ folder (it holds: ${list([...dirs.map((d) => d + '/'), ...files])})`);
    for (const d of dirs) if (d !== 'normal') warn(`Ignored ${path.join(trainDir, d)}: training uses only train/normal/ (GANomaly trains on normal images only).`);
    const loose = files.filter(isImageName);
    if (loose.length) warn(`Ignored ${loose.length} image file${loose.length === 1 ? '' : 's'} directly in ${trainDir}: training images go into train/normal/.`);
    const normalDir = path.join(trainDir, 'normal');
    trainFiles = await listImages(fs, path, normalDir, true);
    if (trainFiles.length === 0) throw layoutError(fn, `${path.resolve(normalDir)} holds no image files (${IMAGE_EXTENSIONS.join(', ')})`);
  }

  let testFiles: FilePath[] = [];
  const classOf = new Map<string, string>();
  const testDir = path.join(root, 'test');
  const hasTest = split !== 'train' && (await kindOf(fs, testDir)) === 'dir';
  if (split === 'test' && !hasTest) throw layoutError(fn, `${abs} has no test/ folder`);
  if (hasTest) {
    const { dirs, rawDirs, files } = await entries(fs, path, testDir);
    const absTest = path.resolve(testDir);
    if (!dirs.includes('normal')) throw layoutError(fn, `${absTest} has no normal/ folder (it holds: ${list([...dirs.map((d) => d + '/'), ...files])})`);
    if (dirs.length === 1) throw layoutError(fn, `${absTest} has no anomaly folder (such as abnormal/) next to normal/`);
    const loose = files.filter(isImageName);
    if (loose.length) warn(`Ignored ${loose.length} image file${loose.length === 1 ? '' : 's'} directly in ${testDir}: test images go into test/normal/ or an anomaly folder such as test/abnormal/.`);
    let anomalies = 0;
    for (const [k, d] of dirs.entries()) {
      // By its bytes: a class folder whose name is not valid UTF-8 is labelled with its \xNN text.
      const classFiles = await listImages(fs, path, joinPath(path, testDir, rawDirs[k]!), true);
      if (classFiles.length === 0) {
        if (d === 'normal') throw layoutError(fn, `${path.join(absTest, d)} holds no image files (${IMAGE_EXTENSIONS.join(', ')})`);
        warn(`Ignored ${path.join(testDir, d)}: no image files in it.`);
        continue;
      }
      if (d !== 'normal') anomalies += classFiles.length;
      for (const f of classFiles) classOf.set(showPath(f), d);
      testFiles.push(...classFiles);
    }
    if (anomalies === 0) throw layoutError(fn, `the anomaly folders of ${absTest} (${list(dirs.filter((d) => d !== 'normal').map((d) => d + '/'))}) hold no image files`);
  }

  const total = trainFiles.length + testFiles.length;
  const train: LoadedImages = trainFiles.length
    ? await loadChecked(trainFiles, o, 0, total)
    : { set: imageSet(new Uint8Array(0), { count: 0, height: o.imageSize, width: o.imageSize, channels: o.channels }), files: [], skipped: [] };
  if (!hasTest) return { train };
  const loaded = await loadChecked(testFiles, o, trainFiles.length, total);
  const classes = loaded.files.map((f) => classOf.get(f)!);
  const labels = Uint8Array.from(classes, (c) => (c === 'normal' ? 0 : 1));
  const normals = labels.length - labels.reduce((a, b) => a + b, 0);
  if (normals === 0 || normals === labels.length) {
    warn(`The loaded test set of ${path.resolve(testDir)} has ${normals === 0 ? 'no normal' : 'no anomalous'} images left after skipping unusable files; scores such as AUC need both.`);
  }
  const set = imageSet(loaded.set.pixels, { count: loaded.set.count, height: o.imageSize, width: o.imageSize, channels: o.channels, labels });
  return { train, test: { set, files: loaded.files, skipped: loaded.skipped, labels, classes } };
}

/** True when `root` has a train/normal or test/normal folder (the authors' layout, see `loadFolderDataset`). Node only. */
export async function isFolderDataset(root: string): Promise<boolean> {
  if (typeof root !== 'string' || root === '') fail('root', 'isFolderDataset', 'a folder path', root);
  const { fs, path } = await nodeModules();
  return (await kindOf(fs, path.join(root, 'train', 'normal'))) === 'dir' || (await kindOf(fs, path.join(root, 'test', 'normal'))) === 'dir';
}
