// Image files and folders of them as ImageSets (Node only): listing, reading (the header first,
// to refuse over-large images before decoding), decoding, resizing. Nothing here imports node:
// modules at the top level (they are imported when called), so the package still loads in
// browsers; `webpackIgnore` keeps bundlers from resolving them.
import { fail, failWith, ImageError, ValueError } from '@ganomaly/common';
import { imageSet, type ImageSet } from './imageset.js';
import { imageError, reasonOf, tooLarge } from './image-errors.js';
import { decodeImage, checkMaxPixels, loadImageDecoders } from './image-decode.js';
import { IMAGE_EXTENSIONS, parseHeader, type HeaderResult } from './image-header.js';
import { resizeImage } from './resize.js';
import { entryName, joinPath, kindOf, nodeModules, nodePath, readAll, showPath, type FilePath, type Fs, type Path } from './node-fs.js';

/** Compares strings by Unicode code point (UTF-16 order differs for characters above U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (D800-DFFF) encode code points above FFFF: move them above E000-FFFF.
    if (x >= 0xd800) x += x <= 0xdfff ? 0x2000 : -0x800;
    if (y >= 0xd800) y += y <= 0xdfff ? 0x2000 : -0x800;
    return x - y;
  }
  return a.length - b.length;
}

export function isImageName(name: string): boolean {
  if (name.startsWith('.')) return false;
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/**
 * Non-hidden entries of a folder, split into folders and files (symbolic links followed), sorted
 * by name. Names are read as bytes: a file name that is not valid UTF-8 comes back as its bytes
 * (`rawFiles`, `rawDirs`), so that it can still be opened; `files` and `dirs` hold the names as
 * text (`showPath`).
 */
export async function entries(fs: Fs, path: Path, dir: FilePath): Promise<{ dirs: string[]; files: string[]; rawDirs: FilePath[]; rawFiles: FilePath[] }> {
  const rawDirs: FilePath[] = [];
  const raw: FilePath[] = [];
  for (const e of await fs.readdir(nodePath(dir), { withFileTypes: true, encoding: 'buffer' })) {
    const name = entryName(e.name as unknown as Uint8Array);
    const text = showPath(name);
    if (text.startsWith('.')) continue;
    let kind: 'dir' | 'file' | undefined = e.isDirectory() ? 'dir' : e.isFile() ? 'file' : undefined;
    if (e.isSymbolicLink()) kind = await kindOf(fs, joinPath(path, dir, name));
    if (kind === 'dir') rawDirs.push(name);
    else if (kind === 'file') raw.push(name);
  }
  const byText = (a: FilePath, b: FilePath) => compareCodePoints(showPath(a), showPath(b));
  rawDirs.sort(byText);
  raw.sort(byText);
  return { dirs: rawDirs.map(showPath), files: raw.map(showPath), rawDirs, rawFiles: raw };
}

export async function checkFolder(fs: Fs, path: Path, dir: unknown, arg: string, fn: string, expected: string): Promise<string> {
  if (typeof dir !== 'string' || dir === '') fail(arg, fn, expected, dir);
  const abs = path.resolve(dir);
  let st;
  try {
    st = await fs.stat(abs);
  } catch {
    throw new ValueError(`Argument '${arg}' passed to '${fn}' must be ${expected}, but ${abs} does not exist.`);
  }
  if (!st.isDirectory()) throw new ValueError(`Argument '${arg}' passed to '${fn}' must be ${expected}, but ${abs} is not a folder.`);
  return abs;
}

export async function listImages(fs: Fs, path: Path, dir: FilePath, recursive: boolean): Promise<FilePath[]> {
  // `text`: the path below `dir` as shown (for sorting); `full`: the path to open (bytes where a name is not UTF-8).
  const found: { text: string; full: FilePath }[] = [];
  const seen = new Set<string>();
  const walk = async (rel: string, full: FilePath): Promise<void> => {
    if (recursive) {
      // Symbolic links can make cycles: each real folder is visited once.
      const real = await fs.realpath(nodePath(full), { encoding: 'buffer' });
      const key = real.toString('latin1');
      if (seen.has(key)) return;
      seen.add(key);
    }
    const { rawDirs, rawFiles } = await entries(fs, path, full);
    for (const f of rawFiles) {
      const text = showPath(f);
      if (isImageName(text)) found.push({ text: rel === '' ? text : path.join(rel, text), full: joinPath(path, full, f) });
    }
    if (recursive) for (const d of rawDirs) await walk(rel === '' ? showPath(d) : path.join(rel, showPath(d)), joinPath(path, full, d));
  };
  await walk('', dir);
  found.sort((a, b) => compareCodePoints(a.text, b.text));
  return found.map((f) => f.full);
}

/**
 * The image files (IMAGE_EXTENSIONS, any case) directly in `dir`, or in it and all its
 * subfolders with `recursive`, sorted by path in plain code-point order (the same on every
 * machine; no locale, no natural-number sort: `img10.png` comes before `img2.png`). Hidden files
 * and folders (names starting with '.', e.g. `.DS_Store`, `._x.png`) are left out. Paths are
 * `dir` joined with the file's path below it. A file name that is not valid UTF-8 (which a string
 * cannot hold) comes as a Uint8Array of the path's bytes: `loadImageFiles` and `detectChannels`
 * read it, `showPath` prints it (`\xNN` for each invalid byte). `dir` itself may be such bytes
 * (e.g. a class folder listed as bytes); its files then come as bytes too. ValueError when `dir`
 * is missing or not a folder. Node only.
 */
export async function listImageFiles(dir: FilePath, options: { recursive?: boolean } = {}): Promise<FilePath[]> {
  const fn = 'listImageFiles';
  if (options === null || typeof options !== 'object') fail('options', fn, 'an object {recursive?}', options);
  const recursive = options.recursive ?? false;
  if (typeof recursive !== 'boolean') fail('options.recursive', fn, 'a boolean', recursive);
  const { fs, path } = await nodeModules();
  if (typeof dir === 'string') await checkFolder(fs, path, dir, 'dir', fn, 'an existing folder');
  else await checkByteFolder(fs, dir, fn);
  return listImages(fs, path, dir, recursive);
}

/** `checkFolder` for a folder given by its bytes (a name that is not valid UTF-8); messages name it with `showPath`. */
async function checkByteFolder(fs: Fs, dir: unknown, fn: string): Promise<void> {
  if (!(dir instanceof Uint8Array) || dir.length === 0) fail('dir', fn, 'an existing folder', dir);
  const st = await fs.stat(nodePath(dir)).catch(() => null);
  if (st?.isDirectory()) return;
  throw new ValueError(`Argument 'dir' passed to '${fn}' must be an existing folder, but ${showPath(dir)} ${st ? 'is not a folder' : 'does not exist'}.`);
}

/** Options of `loadImageFiles`, `loadImageFolder` and `loadFolderDataset`. */
export interface LoadImagesOptions {
  /** Side of the square images returned, in pixels. */
  imageSize: number;
  /** 1 (grey) or 3 (RGB). */
  channels: 1 | 3;
  /** Default false: corrupt/unreadable/too-large files are skipped and reported through onWarning and `skipped`; true: the first one throws its ImageError. */
  strict?: boolean;
  /** Largest width·height decoded; default DEFAULT_MAX_PIXELS (40,000,000). */
  maxPixels?: number;
  /** Called with one sentence per skipped file (and, for folder data sets, per ignored folder). */
  onWarning?: (message: string) => void;
  /** Called after each file, loaded or skipped. */
  onProgress?: (done: number, total: number) => void;
}

/** What `loadImageFiles` returns. */
export interface LoadedImages {
  /** The loaded images: imageSize x imageSize x channels, no labels (except a folder data set's test set). */
  set: ImageSet;
  /** The files loaded, in the order of `set`, as text (`showPath`: a name that is not valid UTF-8 has `\xNN` escapes). */
  files: string[];
  /** The files skipped (not in `set`) and why. */
  skipped: { file: string; reason: string }[];
}

export interface CheckedLoadOptions {
  imageSize: number;
  channels: 1 | 3;
  strict: boolean;
  maxPixels: number;
  onWarning?: (message: string) => void;
  onProgress?: (done: number, total: number) => void;
}

export function checkLoadOptions(options: unknown, fn: string): CheckedLoadOptions {
  if (options === null || typeof options !== 'object') fail('options', fn, 'an object {imageSize, channels, strict?, maxPixels?, onWarning?, onProgress?}', options);
  const o = options as Partial<LoadImagesOptions>;
  const { imageSize, channels, strict = false, onWarning, onProgress } = o;
  if (typeof imageSize !== 'number' || !Number.isInteger(imageSize) || imageSize <= 0) fail('options.imageSize', fn, 'a positive integer', imageSize);
  if (channels !== 1 && channels !== 3) fail('options.channels', fn, '1 (grey) or 3 (RGB)', channels);
  if (typeof strict !== 'boolean') fail('options.strict', fn, 'a boolean', strict);
  const maxPixels = checkMaxPixels(o.maxPixels, 'options.maxPixels', fn);
  if (onWarning !== undefined && typeof onWarning !== 'function') fail('options.onWarning', fn, 'a function (message) => void', onWarning);
  if (onProgress !== undefined && typeof onProgress !== 'function') fail('options.onProgress', fn, 'a function (done, total) => void', onProgress);
  return { imageSize, channels, strict, maxPixels, onWarning, onProgress };
}

/** Bytes read first; enough for the headers of nearly every file (JPEG EXIF blocks can be longer). */
const HEAD_BYTES = 65536;

/** The first bytes of a file (all of it when `all` or when the JPEG frame header lies further in). */
async function readHead(fs: Fs, file: FilePath): Promise<{ bytes: Uint8Array; size: number }> {
  const fh = await fs.open(nodePath(file), 'r');
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw Object.assign(new Error('is a folder'), { code: 'EISDIR' });
    const n = Math.min(st.size, HEAD_BYTES);
    const bytes = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const { bytesRead } = await fh.read(bytes, got, n - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return { bytes: bytes.subarray(0, got), size: st.size };
  } finally {
    await fh.close();
  }
}

/** A file system error as an ImageError naming the file; anything else unchanged. */
function asImageError(e: unknown, file: string): unknown {
  if (e instanceof ImageError) return e;
  const err = e as { code?: unknown; message?: unknown } | null;
  if (err && typeof err.code === 'string') return imageError(`unreadable (${err.code === 'EISDIR' ? 'EISDIR: a folder, not a file' : String(err.message)})`, file);
  return e;
}

/** Reads a whole image file, refusing it from its header first when it is over the pixel limit. */
async function readImageFile(fs: Fs, file: FilePath, maxPixels: number): Promise<Uint8Array> {
  const { bytes, size } = await readHead(fs, file);
  const r = parseHeader(bytes);
  if (r.ok && r.header.width * r.header.height > maxPixels) throw tooLarge(r.header, maxPixels, showPath(file));
  return size <= bytes.length ? bytes : readAll(fs, file);
}

/**
 * Reads, decodes and resizes image files into one unlabelled ImageSet of
 * imageSize x imageSize x channels images, in the order of `files`. Files are read and decoded
 * one at a time, so memory holds one full-size image plus the resized set. Files that cannot be
 * used (unreadable, neither PNG nor JPEG, corrupt, truncated, over `maxPixels`) are skipped with
 * a warning, or with `strict` the first one throws its ImageError. ImageError when no file could
 * be loaded; ValueError for an empty list. Node only.
 */
export async function loadImageFiles(files: readonly FilePath[], options: LoadImagesOptions): Promise<LoadedImages> {
  const fn = 'loadImageFiles';
  if (!Array.isArray(files) || !files.every(isFilePath)) fail('files', fn, 'an array of file paths (strings, or Uint8Arrays of path bytes)', files);
  if (files.length === 0) failWith('files', fn, 'a non-empty array of image file paths', 'an empty array');
  const o = checkLoadOptions(options, fn);
  return loadChecked(files, o);
}

/** A non-empty path string, or a non-empty Uint8Array of path bytes. */
function isFilePath(f: unknown): f is FilePath {
  return (typeof f === 'string' || f instanceof Uint8Array) && f.length > 0;
}

export async function loadChecked(files: readonly FilePath[], o: CheckedLoadOptions, progressOffset = 0, progressTotal = files.length): Promise<LoadedImages> {
  const { fs } = await nodeModules();
  await loadImageDecoders();
  const per = o.imageSize * o.imageSize * o.channels;
  const pixels = new Uint8Array(files.length * per);
  const loaded: string[] = [];
  const skipped: { file: string; reason: string }[] = [];
  for (let i = 0; i < files.length; i++) {
    const raw = files[i]!;
    const file = showPath(raw);
    try {
      const bytes = await readImageFile(fs, raw, o.maxPixels);
      const image = decodeImage(bytes, { maxPixels: o.maxPixels, file });
      pixels.set(resizeImage(image, o.imageSize, o.channels), loaded.length * per);
      loaded.push(file);
    } catch (e) {
      const err = asImageError(e, file);
      if (!(err instanceof ImageError) || o.strict) throw err;
      const reason = reasonOf(err);
      skipped.push({ file, reason });
      o.onWarning?.(`Skipped ${file}: ${reason}.`);
    }
    o.onProgress?.(progressOffset + i + 1, progressTotal);
  }
  if (loaded.length === 0) {
    const shown = skipped.slice(0, 3).map((s) => `${s.file}: ${s.reason}`);
    const more = skipped.length > 3 ? `; and ${skipped.length - 3} more` : '';
    throw new ImageError(`None of the ${files.length} image file${files.length === 1 ? '' : 's'} could be loaded (${shown.join('; ')}${more}).`, showPath(files[0]!));
  }
  const set = imageSet(loaded.length === files.length ? pixels : pixels.slice(0, loaded.length * per), {
    count: loaded.length,
    height: o.imageSize,
    width: o.imageSize,
    channels: o.channels,
  });
  return { set, files: loaded, skipped };
}

/**
 * `loadImageFiles` on the images of a folder (`listImageFiles` order; subfolders too with
 * `recursive`). ValueError naming the folder when it is missing, not a folder, or holds no
 * .png/.jpg/.jpeg file; ImageError when none of its images could be loaded. Node only.
 */
export async function loadImageFolder(dir: string, options: LoadImagesOptions & { recursive?: boolean }): Promise<LoadedImages> {
  const fn = 'loadImageFolder';
  const o = checkLoadOptions(options, fn);
  const recursive = options.recursive ?? false;
  if (typeof recursive !== 'boolean') fail('options.recursive', fn, 'a boolean', recursive);
  const { fs, path } = await nodeModules();
  const abs = await checkFolder(fs, path, dir, 'dir', fn, 'a folder of image files');
  const files = await listImages(fs, path, dir, recursive);
  if (files.length === 0) {
    throw new ValueError(
      `Argument 'dir' passed to '${fn}' must be a folder of image files (${IMAGE_EXTENSIONS.join(', ')}), but ${abs} holds none${recursive ? ', in any subfolder either' : ' (subfolders are not searched without the recursive option)'}.`,
    );
  }
  return loadChecked(files, o);
}

/**
 * 1 when every file's header (no decoding) says grey (grey PNG, grey+alpha PNG, 1-component
 * JPEG), else 3; for the CLI's `--channels auto`. Stops at the first colour image. Files whose
 * header cannot be read are left out (loading skips them too); ImageError when no file has a
 * readable header, ValueError for an empty list. Node only.
 */
export async function detectChannels(files: readonly FilePath[]): Promise<1 | 3> {
  const fn = 'detectChannels';
  if (!Array.isArray(files) || !files.every(isFilePath)) fail('files', fn, 'an array of file paths (strings, or Uint8Arrays of path bytes)', files);
  if (files.length === 0) failWith('files', fn, 'a non-empty array of image file paths', 'an empty array');
  const { fs } = await nodeModules();
  let readable = 0;
  let firstProblem = '';
  for (const file of files) {
    let r: HeaderResult;
    try {
      const { bytes, size } = await readHead(fs, file);
      r = parseHeader(bytes);
      if (!r.ok && r.truncated && size > bytes.length) r = parseHeader(await readAll(fs, file));
    } catch (e) {
      const err = asImageError(e, showPath(file));
      if (!(err instanceof ImageError)) throw err;
      firstProblem ||= `${showPath(file)}: ${reasonOf(err)}`;
      continue;
    }
    if (!r.ok) {
      firstProblem ||= `${showPath(file)}: ${r.reason}`;
      continue;
    }
    readable++;
    if (r.header.channels !== 1) return 3;
  }
  if (readable === 0) throw new ImageError(`None of the ${files.length} files has a readable PNG or JPEG header (${firstProblem}).`, showPath(files[0]!));
  return 1;
}
