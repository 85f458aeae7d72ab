import { gunzipSync } from 'fflate';
import { fail, failWith, ValueError } from '@ganomaly/common';
import { imageSet, type ImageSet } from './imageset.js';

/** IDX magic numbers: 0x00000803 (unsigned byte, 3 dimensions) and 0x00000801 (unsigned byte, 1 dimension). */
export const IDX_IMAGES_MAGIC = 2051;
export const IDX_LABELS_MAGIC = 2049;

/** What an IDX file holds: images (magic 2051) or labels (magic 2049). */
export type IdxContent = { kind: 'images'; set: ImageSet } | { kind: 'labels'; labels: Uint8Array };

/** True when `bytes` starts with the gzip signature 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Gunzips `bytes` when they carry the gzip signature, else returns them unchanged. */
export function maybeGunzip(bytes: Uint8Array, arg: string, fn: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (e) {
    throw new ValueError(`Argument '${arg}' passed to '${fn}' starts with the gzip signature but could not be decompressed: ${(e as Error).message}.`);
  }
}

function readU32BE(b: Uint8Array, offset: number): number {
  return ((b[offset]! << 24) | (b[offset + 1]! << 16) | (b[offset + 2]! << 8) | b[offset + 3]!) >>> 0;
}

/** Copies bytes [start, end) into a fresh, plain Uint8Array (not a view on the caller's buffer, and never a Node Buffer). */
function copyBytes(b: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  out.set(b.subarray(start, end));
  return out;
}

/**
 * Parses an IDX file (the MNIST format, big-endian), gzipped or not: an image file (magic 2051,
 * count, rows, cols, then count·rows·cols bytes) gives an ImageSet with one channel; a label file
 * (magic 2049, count, then count bytes) gives the labels. The byte length must match the header
 * exactly, so a truncated download is an error that says how many bytes were expected.
 */
export function parseIdx(bytes: Uint8Array): IdxContent {
  const fn = 'parseIdx';
  if (!(bytes instanceof Uint8Array)) fail('bytes', fn, 'a Uint8Array holding an IDX file (optionally gzipped)', bytes);
  const b = maybeGunzip(bytes, 'bytes', fn);
  if (b.length < 8) failWith('bytes', fn, 'an IDX file of at least 8 bytes (magic and count)', `${b.length} bytes`);
  const magic = readU32BE(b, 0);
  const count = readU32BE(b, 4);
  if (magic === IDX_LABELS_MAGIC) {
    const expected = 8 + count;
    if (b.length !== expected) {
      failWith('bytes', fn, `an IDX label file of ${expected} bytes (8-byte header + ${count} labels)`, `${b.length} bytes${b.length < expected ? ' (truncated?)' : ''}`);
    }
    return { kind: 'labels', labels: copyBytes(b, 8, expected) };
  }
  if (magic === IDX_IMAGES_MAGIC) {
    if (b.length < 16) failWith('bytes', fn, 'an IDX image file of at least 16 bytes (magic, count, rows, cols)', `${b.length} bytes`);
    const rows = readU32BE(b, 8);
    const cols = readU32BE(b, 12);
    if (rows === 0 || cols === 0) failWith('bytes', fn, 'an IDX image file with rows > 0 and cols > 0', `rows ${rows}, cols ${cols}`);
    const expected = 16 + count * rows * cols;
    if (b.length !== expected) {
      failWith(
        'bytes',
        fn,
        `an IDX image file of ${expected} bytes (16-byte header + ${count}*${rows}*${cols} pixels)`,
        `${b.length} bytes${b.length < expected ? ' (truncated?)' : ''}`,
      );
    }
    return { kind: 'images', set: imageSet(copyBytes(b, 16, expected), { count, height: rows, width: cols, channels: 1 }) };
  }
  const hex = Array.from(b.subarray(0, 4), (x) => x.toString(16).padStart(2, '0')).join(' ');
  return failWith('bytes', fn, `an IDX file with magic number ${IDX_IMAGES_MAGIC} (images) or ${IDX_LABELS_MAGIC} (labels)`, `magic ${magic} (bytes ${hex})`);
}

/** Parses an MNIST image file and its label file (IDX, gzipped or not) into one labelled ImageSet; the counts must match. */
export function parseMnist(imagesBytes: Uint8Array, labelsBytes: Uint8Array): ImageSet {
  const fn = 'parseMnist';
  if (!(imagesBytes instanceof Uint8Array)) fail('imagesBytes', fn, 'a Uint8Array holding an IDX image file', imagesBytes);
  if (!(labelsBytes instanceof Uint8Array)) fail('labelsBytes', fn, 'a Uint8Array holding an IDX label file', labelsBytes);
  const images = parseIdx(imagesBytes);
  if (images.kind !== 'images') failWith('imagesBytes', fn, `an IDX image file (magic ${IDX_IMAGES_MAGIC})`, `a label file (magic ${IDX_LABELS_MAGIC})`);
  const labels = parseIdx(labelsBytes);
  if (labels.kind !== 'labels') failWith('labelsBytes', fn, `an IDX label file (magic ${IDX_LABELS_MAGIC})`, `an image file (magic ${IDX_IMAGES_MAGIC})`);
  if (labels.labels.length !== images.set.count) {
    failWith('labelsBytes', fn, `${images.set.count} labels, one per image in 'imagesBytes'`, `${labels.labels.length} labels`);
  }
  const s = images.set;
  return imageSet(s.pixels, { count: s.count, height: s.height, width: s.width, channels: 1, labels: labels.labels });
}
