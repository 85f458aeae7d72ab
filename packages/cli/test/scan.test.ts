// warnSkippedEntries (scan.ts): the warnings for *.png links that a folder scan leaves out, on
// folders that links make cyclic and on folder names that are not valid UTF-8.
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { warnSkippedEntries } from '../src/scan.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ganomaly-scan-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('warnSkippedEntries', () => {
  it('with --recursive, two links to . and one to .. are walked once each (finishes at once)', { timeout: 10_000 }, async () => {
    const root = path.join(dir, 'cyclic');
    const d = path.join(root, 'd');
    await mkdir(d, { recursive: true });
    await symlink('.', path.join(d, 'here1'));
    await symlink('.', path.join(d, 'here2'));
    await symlink('..', path.join(d, 'up'));
    await symlink('/nonexistent/gone.png', path.join(d, 'gone.png'));
    const warnings: string[] = [];
    const t0 = Date.now();
    await warnSkippedEntries(root, true, (m) => warnings.push(m));
    expect(Date.now() - t0).toBeLessThan(5000);
    // The dangling link is reported once, under the first path that reached its folder.
    expect(warnings).toEqual([`${path.join(d, 'gone.png')}: skipped, a symbolic link to /nonexistent/gone.png that points to nothing (ENOENT).`]);
  });

  it('recurses into a folder whose name is not valid UTF-8 (by its bytes)', async () => {
    const root = path.join(dir, 'bytes');
    await mkdir(root);
    const sub = Buffer.concat([Buffer.from(root + path.sep), Buffer.from([0x66, 0xff])]);
    await mkdir(sub);
    await symlink('/nonexistent/gone.png', Buffer.concat([sub, Buffer.from(path.sep + 'gone.png')]));
    const warnings: string[] = [];
    await warnSkippedEntries(root, true, (m) => warnings.push(m));
    expect(warnings).toEqual([`${path.join(root, 'f\\xFF', 'gone.png')}: skipped, a symbolic link to /nonexistent/gone.png that points to nothing (ENOENT).`]);
  });
});
