// File names that are not valid UTF-8 (issue #17, fault 12): listed as bytes, read, shown with \xNN.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { detectChannels, listImageFiles, loadFolderDataset, loadImageFiles, loadImageFolder, showPath } from '@ganomaly/data';

const { PNG } = createRequire(import.meta.url)('pngjs') as typeof import('pngjs');

/** A w x w grey PNG of one value. */
function greyPng(w: number, value: number): Buffer {
  const png = new PNG({ width: w, height: w, colorType: 0, inputColorType: 0, bitDepth: 8 });
  png.data = Buffer.alloc(w * w, value);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, bitDepth: 8 });
}

const bytes = (dir: string, ...parts: (string | number[])[]) => Buffer.concat([Buffer.from(dir + path.sep), ...parts.map((p) => Buffer.from(p as string))]);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ganomaly-bytenames-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('showPath', () => {
  it('keeps valid UTF-8 (a BOM, multi-byte characters) and escapes each invalid byte as \\xNN', () => {
    expect(showPath('/a/b.png')).toBe('/a/b.png');
    expect(showPath(Buffer.from('é€😀.png'))).toBe('é€😀.png');
    expect(showPath(Buffer.from([0xef, 0xbb, 0xbf, 0x61]))).toBe('\uFEFFa');
    expect(showPath(Buffer.from([0x61, 0xff, 0x62]))).toBe('a\\xFFb');
    // A lone continuation byte, a truncated 3-byte sequence, an overlong '/', a UTF-16 surrogate.
    expect(showPath(Buffer.from([0x80, 0xe2, 0x82, 0x41, 0xc0, 0xaf, 0xed, 0xa0, 0x80]))).toBe('\\x80\\xE2\\x82A\\xC0\\xAF\\xED\\xA0\\x80');
  });
});

describe('a file name with byte 0xFF', () => {
  it('is listed as its bytes, loaded and decoded, and named with \\xFF in what comes back', async () => {
    const flat = path.join(dir, 'flat');
    await mkdir(path.join(flat, 'sub'), { recursive: true });
    writeFileSync(bytes(flat, 'a.png'), greyPng(8, 10));
    writeFileSync(bytes(flat, 'b', [0xff], '.png'), greyPng(8, 200));
    writeFileSync(bytes(flat, 'c.png'), greyPng(8, 30));
    writeFileSync(bytes(path.join(flat, 'sub'), [0xfe], 'd.png'), greyPng(8, 99));
    const files = await listImageFiles(flat);
    expect(files.map(showPath)).toEqual([path.join(flat, 'a.png'), path.join(flat, 'b\\xFF.png'), path.join(flat, 'c.png')]);
    expect(typeof files[0]).toBe('string');
    expect(files[1]).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(files[1] as Uint8Array).equals(bytes(flat, 'b', [0xff], '.png'))).toBe(true);
    const r = await loadImageFiles(files, { imageSize: 4, channels: 1 });
    expect(r.skipped).toEqual([]);
    expect(r.files).toEqual(files.map(showPath));
    expect(Array.from(r.set.pixels.subarray(16, 32))).toEqual(Array(16).fill(200));
    expect(await detectChannels([files[1]!])).toBe(1);
    // A folder whose own name is not UTF-8 is descended into by its bytes.
    const odd = Buffer.concat([Buffer.from(flat + path.sep), Buffer.from([0xe9]), Buffer.from('t')]);
    await mkdir(odd);
    writeFileSync(Buffer.concat([odd, Buffer.from('/e.png')]), greyPng(8, 77));
    const deep = await loadImageFolder(flat, { imageSize: 4, channels: 1, recursive: true });
    // Sorted by the shown text: '\\' (5C) before letters.
    expect(deep.files).toEqual([path.join(flat, '\\xE9t', 'e.png'), ...files.map(showPath), path.join(flat, 'sub', '\\xFEd.png')]);
    expect(deep.set.pixels[0]).toBe(77);
    expect(deep.set.pixels[4 * 16]).toBe(99);
  });

  it('in a folder data set: trained on, and labelled by its folder in the test set', async () => {
    const root = path.join(dir, 'layout');
    for (const d of ['train/normal', 'test/normal', 'test/abnormal']) await mkdir(path.join(root, d), { recursive: true });
    writeFileSync(bytes(path.join(root, 'train/normal'), 'n', [0xff], '.png'), greyPng(8, 1));
    writeFileSync(bytes(path.join(root, 'test/normal'), 'ok.png'), greyPng(8, 2));
    writeFileSync(bytes(path.join(root, 'test/abnormal'), 'x', [0xff, 0xfe], '.png'), greyPng(8, 3));
    const odd = bytes(path.join(root, 'test'), 'sp', [0xe9], 'cial');
    await mkdir(odd);
    writeFileSync(Buffer.concat([odd, Buffer.from('/y.png')]), greyPng(8, 4));
    const ds = await loadFolderDataset(root, { imageSize: 4, channels: 1 });
    expect(ds.train.files).toEqual([path.join(root, 'train/normal/n\\xFF.png')]);
    expect(ds.train.set.pixels[0]).toBe(1);
    expect(ds.test!.files).toEqual([path.join(root, 'test/abnormal/x\\xFF\\xFE.png'), path.join(root, 'test/normal/ok.png'), path.join(root, 'test/sp\\xE9cial/y.png')]);
    expect(ds.test!.classes).toEqual(['abnormal', 'normal', 'sp\\xE9cial']);
    expect(Array.from(ds.test!.labels)).toEqual([1, 0, 1]);
    expect(ds.test!.set.pixels[32]).toBe(4);
    expect(ds.test!.set.pixels[0]).toBe(3);
  });

  it('a folder given by its bytes is listed (recursively too); a missing one or a file is a ValueError naming it with \\xNN', async () => {
    const cls = bytes(dir, 'cls', [0xff]);
    await mkdir(Buffer.concat([cls, Buffer.from('/inner')]), { recursive: true });
    writeFileSync(Buffer.concat([cls, Buffer.from('/b.png')]), greyPng(8, 5));
    writeFileSync(Buffer.concat([cls, Buffer.from('/a.png')]), greyPng(8, 6));
    writeFileSync(Buffer.concat([cls, Buffer.from('/inner/c.png')]), greyPng(8, 7));
    const top = await listImageFiles(cls);
    expect(top.map(showPath)).toEqual([path.join(dir, 'cls\\xFF', 'a.png'), path.join(dir, 'cls\\xFF', 'b.png')]);
    // The folder's bytes are kept: each file is a byte path that opens.
    expect(Buffer.from(top[0] as Uint8Array).equals(Buffer.concat([cls, Buffer.from('/a.png')]))).toBe(true);
    const r = await loadImageFiles(top, { imageSize: 4, channels: 1 });
    expect(r.skipped).toEqual([]);
    expect([r.set.pixels[0], r.set.pixels[16]]).toEqual([6, 5]);
    expect((await listImageFiles(cls, { recursive: true })).map(showPath)).toEqual([path.join(dir, 'cls\\xFF', 'a.png'), path.join(dir, 'cls\\xFF', 'b.png'), path.join(dir, 'cls\\xFF', 'inner', 'c.png')]);
    await expect(listImageFiles(bytes(dir, 'none', [0xff]))).rejects.toThrow(`must be an existing folder, but ${path.join(dir, 'none\\xFF')} does not exist.`);
    await expect(listImageFiles(Buffer.concat([cls, Buffer.from('/a.png')]))).rejects.toThrow(/cls\\xFF\/a\.png is not a folder\./);
  });

  it('an unreadable byte path is skipped under its shown name', async () => {
    const missing = bytes(path.join(dir, 'flat'), 'gone', [0xff], '.png');
    const r = await loadImageFiles([missing, path.join(dir, 'flat', 'a.png')], { imageSize: 4, channels: 1 });
    expect(r.skipped).toHaveLength(1);
    expect(r.skipped[0]!.file).toBe(path.join(dir, 'flat', 'gone\\xFF.png'));
    expect(r.skipped[0]!.reason).toMatch(/ENOENT/);
  });
});
