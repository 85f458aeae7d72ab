// The `ganomaly` bin is a committed file that imports the build. npm links a workspace's bins
// before the root `prepare` script builds dist/ (and bin-links skips a target that does not exist
// yet), so after `npm ci` a bin pointing into dist/ was missing and `npx ganomaly` asked the
// registry (E404).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkgDir = path.resolve(here, '..');
const ROOT = path.resolve(pkgDir, '../..');
const pkg = JSON.parse(await readFile(path.join(pkgDir, 'package.json'), 'utf8')) as { bin: Record<string, string>; files: string[] };
let tmp = '';
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('the ganomaly bin', () => {
  it('is a committed, executable file outside dist/, shipped in the package', () => {
    const bin = path.posix.normalize(pkg.bin.ganomaly!);
    expect(bin.startsWith('dist/')).toBe(false);
    // git's own record, so that a clone has it before anything is built.
    const entry = execFileSync('git', ['ls-files', '-s', '--', bin], { cwd: pkgDir, encoding: 'utf8' }).trim();
    expect(entry, `${bin} is not tracked by git`).toMatch(/^100755 /);
    expect(pkg.files).toContain(bin.split('/')[0]);
  });

  it('runs the built command', () => {
    execFileSync('npx', ['tsc', '-b'], { cwd: ROOT, stdio: 'pipe' });
    const r = spawnSync(process.execPath, [path.join(pkgDir, pkg.bin.ganomaly!), '--help'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: ganomaly <command>/);
  });

  it('says what to do when the packages are not built yet', async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'ganomaly-bin-'));
    await mkdir(path.join(tmp, 'bin'));
    await copyFile(path.join(pkgDir, pkg.bin.ganomaly!), path.join(tmp, 'bin/ganomaly.js'));
    await copyFile(path.join(pkgDir, 'package.json'), path.join(tmp, 'package.json'));
    const r = spawnSync(process.execPath, [path.join(tmp, 'bin/ganomaly.js'), '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/dist\/bin\.js is missing: build the packages first \(`npm run build`/);
  });
});
