import { fail, failWith } from '@ganomaly/common';
import { imageSet, type ImageSet } from './imageset.js';
import { maybeGunzip } from './idx.js';

/** CIFAR-10 class names; index = label. */
export const CIFAR10_CLASSES = Object.freeze([
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
] as const);

/** Bytes per record of the CIFAR-10 binary format: 1 label byte + 3 planes of 32x32. */
export const CIFAR10_RECORD_BYTES = 3073;

const SIDE = 32;
const PLANE = SIDE * SIDE;

/**
 * Parses CIFAR-10 binary batches (`data_batch_N.bin`, `test_batch.bin`, or any concatenation of
 * their 3073-byte records; gzipped or not) into a labelled 32x32x3 ImageSet. Each record is a
 * label byte 0..9 followed by the red, green and blue 32x32 planes; they are interleaved to NHWC.
 */
export function parseCifar10(bytes: Uint8Array): ImageSet {
  const fn = 'parseCifar10';
  if (!(bytes instanceof Uint8Array)) fail('bytes', fn, 'a Uint8Array holding CIFAR-10 binary records', bytes);
  const b = maybeGunzip(bytes, 'bytes', fn);
  if (b.length === 0 || b.length % CIFAR10_RECORD_BYTES !== 0) {
    failWith(
      'bytes',
      fn,
      `a non-empty multiple of ${CIFAR10_RECORD_BYTES} bytes (CIFAR-10 records: 1 label + 3*1024 pixels)`,
      `${b.length} bytes (${Math.floor(b.length / CIFAR10_RECORD_BYTES)} records and ${b.length % CIFAR10_RECORD_BYTES} bytes left over)`,
    );
  }
  const count = b.length / CIFAR10_RECORD_BYTES;
  const pixels = new Uint8Array(count * PLANE * 3);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const rec = i * CIFAR10_RECORD_BYTES;
    const label = b[rec]!;
    // A label > 9 usually means another layout (CIFAR-100 records have 2 label bytes).
    if (label > 9) failWith('bytes', fn, 'CIFAR-10 records with label bytes 0..9', `label ${label} in record ${i} (byte offset ${rec})`);
    labels[i] = label;
    const r = rec + 1;
    const g = r + PLANE;
    const bl = g + PLANE;
    const out = i * PLANE * 3;
    for (let p = 0; p < PLANE; p++) {
      const o = out + p * 3;
      pixels[o] = b[r + p]!;
      pixels[o + 1] = b[g + p]!;
      pixels[o + 2] = b[bl + p]!;
    }
  }
  return imageSet(pixels, { count, height: SIDE, width: SIDE, channels: 3, labels });
}
