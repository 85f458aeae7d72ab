// Each package with a browser build (src/index.browser.ts, the `browser` condition of its
// `exports`) offers the same names as its Node build, and its package.json routes bundlers to it.
// What the browser build leaves out (Node-only code) is checked on a real Vite bundle in
// pack.test.ts.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { packages } from '../../vitest.workspace.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const withBrowserBuild = packages.filter((p) => existsSync(path.join(ROOT, 'packages', p, 'src/index.browser.ts')));

describe('browser builds', () => {
  it('exist for the packages that hold Node-only code', () => {
    expect(withBrowserBuild).toEqual(expect.arrayContaining(['backend-wasm', 'backend-webgpu', 'core', 'data']));
  });

  for (const p of withBrowserBuild) {
    it(`@ganomaly/${p}: the browser build exports what the Node build does, and package.json routes bundlers to it`, async () => {
      const node = await import(path.join(ROOT, 'packages', p, 'src/index.ts'));
      const browser = await import(path.join(ROOT, 'packages', p, 'src/index.browser.ts'));
      expect(Object.keys(browser).sort()).toEqual(Object.keys(node).sort());
      for (const k of Object.keys(node)) expect(typeof browser[k], `${p}: ${k}`).toBe(typeof node[k]);
      const pkg = JSON.parse(await readFile(path.join(ROOT, 'packages', p, 'package.json'), 'utf8'));
      expect(Object.keys(pkg.exports['.'])).toEqual(['types', 'browser', 'import']);
      expect(pkg.exports['.'].browser).toBe('./dist/index.browser.js');
      if (Array.isArray(pkg.sideEffects)) expect(pkg.sideEffects).toContain('./dist/index.browser.js');
    });
  }

  it('@ganomaly/core/base: the browser build exports what the Node build does, and package.json routes bundlers to it', async () => {
    const node = await import(path.join(ROOT, 'packages/core/src/base.ts'));
    const browser = await import(path.join(ROOT, 'packages/core/src/base.browser.ts'));
    expect(Object.keys(browser).sort()).toEqual(Object.keys(node).sort());
    for (const k of Object.keys(node)) expect(typeof browser[k], `core/base: ${k}`).toBe(typeof node[k]);
    for (const k of ['fileHandler', 'isModelFolder', 'readModelMetadata', 'recoverInterruptedSave', 'ScoringPool']) expect(Object.keys(node)).toContain(k);
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'packages/core/package.json'), 'utf8'));
    expect(pkg.exports['./base']).toEqual({ types: './dist/base.d.ts', browser: './dist/base.browser.js', import: './dist/base.js' });
  });
});
