import { describe, it, expect } from 'vitest';
import path from 'node:path';
import { gzipSync } from 'fflate';
import { ValueError } from '@ganomaly/common';
import { parseCifar10, loadCifar10, CIFAR10_CLASSES, CIFAR10_RECORD_BYTES, type ImageSet } from '@ganomaly/data';
import { CIFAR_DIR, HAS_CIFAR, counts10 } from './helpers.js';

const CIFAR_SKIP = `skipped when the CIFAR-10 subset is absent from ${CIFAR_DIR}`;

/** Two records whose R, G, B planes hold distinct, position-dependent values. */
function twoRecords(): Uint8Array {
  const b = new Uint8Array(2 * CIFAR10_RECORD_BYTES);
  for (let i = 0; i < 2; i++) {
    const rec = i * CIFAR10_RECORD_BYTES;
    b[rec] = i === 0 ? 6 : 9;
    for (let p = 0; p < 1024; p++) {
      b[rec + 1 + p] = (p + i) % 256; // red
      b[rec + 1 + 1024 + p] = (p * 3 + 1) % 256; // green
      b[rec + 1 + 2048 + p] = 255 - ((p + 7 * i) % 256); // blue
    }
  }
  return b;
}

describe('parseCifar10 on hand-built records', () => {
  it('turns R, G, B planes into interleaved NHWC pixels', () => {
    const s = parseCifar10(twoRecords());
    expect(s).toMatchObject({ count: 2, height: 32, width: 32, channels: 3 });
    expect(Array.from(s.labels!)).toEqual([6, 9]);
    // Image 0, pixel (0,0) and (0,1); image 1, pixel (y=2, x=5) = plane index 69.
    expect(Array.from(s.pixels.subarray(0, 6))).toEqual([0, 1, 255, 1, 4, 254]);
    const p = 69;
    const at = (1 * 1024 + p) * 3;
    expect(Array.from(s.pixels.subarray(at, at + 3))).toEqual([(p + 1) % 256, (p * 3 + 1) % 256, 255 - ((p + 7) % 256)]);
    // Every pixel of both images, against the formula.
    for (let i = 0; i < 2; i++) {
      for (let q = 0; q < 1024; q++) {
        const o = (i * 1024 + q) * 3;
        if (s.pixels[o] !== (q + i) % 256 || s.pixels[o + 1] !== (q * 3 + 1) % 256 || s.pixels[o + 2] !== 255 - ((q + 7 * i) % 256)) {
          throw new Error(`wrong pixel ${q} of image ${i}`);
        }
      }
    }
  });

  it('reads gzipped records too', () => {
    expect(Array.from(parseCifar10(gzipSync(twoRecords())).pixels)).toEqual(Array.from(parseCifar10(twoRecords()).pixels));
  });

  it('rejects lengths that are not a multiple of 3073, empty input and bad labels', () => {
    const b = twoRecords();
    expect(() => parseCifar10(b.subarray(0, b.length - 1))).toThrow(ValueError);
    expect(() => parseCifar10(b.subarray(0, b.length - 1))).toThrow(/multiple of 3073 bytes.*but got 6145 bytes \(1 records and 3072 bytes left over\)/);
    expect(() => parseCifar10(new Uint8Array(0))).toThrow(/non-empty multiple/);
    const bad = twoRecords();
    bad[CIFAR10_RECORD_BYTES] = 10;
    expect(() => parseCifar10(bad)).toThrow(/label bytes 0..9.*label 10 in record 1/);
    expect(() => parseCifar10('x' as unknown as Uint8Array)).toThrow(/'bytes' passed to 'parseCifar10'/);
  });

  it('names the ten classes in label order', () => {
    expect(CIFAR10_CLASSES).toEqual(['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
  });
});

describe('real CIFAR-10 subset (shared/data/cifar10)', () => {
  let cache: Promise<[ImageSet, ImageSet]> | undefined;
  const load = () =>
    (cache ??= Promise.all([
      loadCifar10(path.join(CIFAR_DIR, 'data_batch_1_first4000.bin')),
      loadCifar10(path.join(CIFAR_DIR, 'test_batch_first1000.bin')),
    ]));

  it.skipIf(!HAS_CIFAR)(`has 4000 + 1000 labelled 32x32x3 images with the README class counts (${CIFAR_SKIP})`, async () => {
    const [train, test] = await load();
    expect(train).toMatchObject({ count: 4000, height: 32, width: 32, channels: 3 });
    expect(test.count).toBe(1000);
    expect(counts10(train.labels!)).toEqual([396, 366, 420, 384, 422, 393, 414, 385, 407, 413]);
    expect(counts10(test.labels!)).toEqual([103, 89, 100, 103, 90, 86, 112, 102, 106, 109]);
  });

  it.skipIf(!HAS_CIFAR)(`label sequences and first pixels match the original batches (${CIFAR_SKIP})`, async () => {
    const [train, test] = await load();
    expect(Array.from(train.labels!.subarray(0, 10))).toEqual([6, 9, 9, 4, 1, 1, 2, 7, 8, 3]);
    expect(Array.from(test.labels!.subarray(0, 10))).toEqual([3, 8, 8, 0, 6, 6, 1, 6, 3, 1]);
    expect(Array.from(train.pixels.subarray(0, 9))).toEqual([59, 62, 63, 43, 46, 45, 50, 48, 43]);
    expect(Array.from(test.pixels.subarray(0, 9))).toEqual([158, 112, 49, 159, 111, 47, 165, 116, 51]);
  });

  it('loadCifar10 names a missing file', async () => {
    await expect(loadCifar10(path.join(CIFAR_DIR, 'no_such_batch.bin'))).rejects.toThrow(/'file' passed to 'loadCifar10'.*no_such_batch\.bin does not exist/);
  });
});
