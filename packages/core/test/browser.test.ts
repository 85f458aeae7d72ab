// The conformance suite inside headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core): the library is bundled for the browser with Vite, served from a local static
// server, and the page runs the checks on cpu, wasm, webgl and webgpu. Backends the browser does
// not offer are skipped with the browser's reason. Skipped as a whole when Chromium is missing
// (.ci/run installs it).
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from '../../../tools/static-server.ts';
// Type only: importing the page's module would run its checks.
import type { BackendResult } from './browser/page.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');

type Result = BackendResult;
let results: Record<string, Result> = {};
let missingWasm: Record<string, Result> = {};
let out = '';
let stopServer: (() => void) | undefined;


beforeAll(async () => {
  if (!haveChromium) return;
  const { build } = await import('vite');
  const { browserAlias: alias } = await import('../../../vitest.workspace.ts');
  out = await mkdtemp(path.join(tmpdir(), 'ganomaly-browser-'));
  await build({
    root: path.join(here, 'browser'),
    logLevel: 'warn',
    resolve: { alias },
    build: { outDir: out, emptyOutDir: true, target: 'es2022', minify: false, chunkSizeWarningLimit: 10_000 },
  });
  await cp(path.join(repo, 'node_modules/@tensorflow/tfjs-backend-wasm/dist'), path.join(out, 'wasm'), {
    recursive: true,
    filter: (f) => !path.extname(f) || f.endsWith('.wasm'),
  });
  const served = await serveStatic(out);
  stopServer = served.close;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(served.url);
    await page.waitForFunction(() => (window as unknown as { __results?: unknown }).__results !== undefined || document.title === 'failed', null, {
      timeout: 240_000,
    }).catch(() => undefined);
    results = (await page.evaluate(() => (window as unknown as { __results?: unknown }).__results)) as Record<string, Result>;
    if (!results) throw new Error(`The page produced no results. Page errors: ${errors.join(' | ') || 'none'}`);
    await page.screenshot({ path: process.env.GANOMALY_SCREENSHOT ?? path.join(out, 'conformance.png'), fullPage: true });
    // The same page with the .wasm files looked for where there are none.
    const page2 = await browser.newPage();
    await page2.goto(`${served.url}?only=wasm&wasm=/no-such-folder/`);
    await page2.waitForFunction(() => (window as unknown as { __results?: unknown }).__results !== undefined, null, { timeout: 60_000 });
    missingWasm = (await page2.evaluate(() => (window as unknown as { __results?: unknown }).__results)) as Record<string, Result>;
  } finally {
    await browser.close();
  }
}, 300_000);

afterAll(async () => {
  stopServer?.();
  if (out) await rm(out, { recursive: true, force: true });
});

// Tolerances against cpu in the same page: wasm and webgpu compute in float32; WebGL may use
// float16 textures on some GPUs, hence its looser bound.
const TOLERANCE: Record<string, { scores: number; losses: number }> = {
  wasm: { scores: 1e-4, losses: 1e-3 },
  webgpu: { scores: 1e-3, losses: 1e-3 },
  webgl: { scores: 5e-2, losses: 1e-2 },
};

describe.skipIf(!haveChromium)(`in headless Chromium${haveChromium ? '' : ` (skipped: no Chromium at ${CHROMIUM})`}`, () => {
  it('cpu runs every check in the page', () => {
    const r = results.cpu;
    expect(r.error).toBeUndefined();
    expect(r.shapes).toEqual([[2, 1, 1, 8], [2, 16, 16, 1], [2, 1], [2, 4, 4, 8]]);
    expect(r.deterministic).toBe(true);
    expect(r.aloneVsBatch!).toBeLessThan(1e-5);
    expect(r.tensorsAfter).toBe(r.tensorsBefore);
    expect(r.losses!.every(Number.isFinite)).toBe(true);
  });

  it('wasm without its .wasm files fails with a message that names setWasmPaths', () => {
    expect(missingWasm.wasm.skipped).toMatch(/Backend 'wasm' could not be initialised/);
    expect(missingWasm.wasm.skipped).toMatch(/could not be loaded: serve them and call setWasmPaths\('<URL of their folder>\/'\)/);
  });

  for (const name of ['wasm', 'webgl', 'webgpu']) {
    it(`${name}: same shapes, no leaks, deterministic per-image scores, and cpu's numbers within tolerance (or skipped with the browser's reason)`, (ctx) => {
      const r = results[name];
      if (r?.skipped) return ctx.skip(`${name} unavailable in this browser: ${r.skipped}`);
      expect(r.error).toBeUndefined();
      expect(r.shapes).toEqual(results.cpu.shapes);
      expect(r.deterministic).toBe(true);
      expect(r.aloneVsBatch!).toBeLessThan(TOLERANCE[name].scores * 10);
      expect(r.tensorsAfter).toBe(r.tensorsBefore);
      const cpu = results.cpu;
      const close = (got: number, want: number, tol: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(tol * Math.max(1e-3, Math.abs(want)));
      r.initialScores!.forEach((v, i) => close(v, cpu.initialScores![i], TOLERANCE[name].scores));
      r.losses!.forEach((v, i) => close(v, cpu.losses![i], TOLERANCE[name].losses));
      r.trainedScores!.forEach((v, i) => close(v, cpu.trainedScores![i], TOLERANCE[name].scores * 100));
    });
  }
});
