// The packages as an app gets them: every workspace is packed with `npm pack`, the tarballs are
// installed into a fresh Node app and a fresh Vite app in the temporary folder (outside the
// repository, so nothing resolves to the workspace sources), the Node app is type-checked with
// strict TypeScript, trains, scores, saves and reloads a tiny model and runs the packed
// `ganomaly` bin; the Vite app is built for production (no warnings from this library, no
// Node-only code in the bundle) and, in headless Chromium, decodes real PNG and JPEG files and
// scores them with the Node-trained model on the wasm backend. The tfjs peers come from the npm
// registry (cached after the first run); without a registry the suite is skipped and says why.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { serveStatic } from '../static-server.ts';

const run = promisify(execFile);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '../..');
const rootPkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[]; repository: { url: string } };
const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');

interface PackEntry { name: string; filename: string; files: { path: string; size: number }[]; size: number; unpackedSize: number }
let tmp = '';
let packs: PackEntry[] = [];
let skipReason = '';
const nodeApp = () => path.join(tmp, 'node-app');
const viteApp = () => path.join(tmp, 'vite-app');

async function sh(cmd: string, args: string[], cwd: string, timeout = 120_000) {
  return run(cmd, args, { cwd, timeout, maxBuffer: 64 << 20, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });
}

/** The deps of an app: every @ganomaly tarball (npm needs them all, none is on the registry) and the tfjs peers. */
function appDeps(extra: Record<string, string>): Record<string, string> {
  const deps: Record<string, string> = {};
  for (const p of packs) deps[p.name] = `file:${path.join(tmp, 'tarballs', p.filename)}`;
  return { ...deps, '@tensorflow/tfjs-core': '^4.22.0', '@tensorflow/tfjs-layers': '^4.22.0', ...extra };
}

async function npmInstall(dir: string): Promise<void> {
  try {
    await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], dir, 240_000);
  } catch (e) {
    const msg = String((e as { stderr?: string }).stderr ?? e);
    if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ENOTCACHED|ETIMEDOUT|ENETUNREACH/.test(msg)) {
      skipReason = `npm could not reach the registry for the tfjs peers: ${msg.split('\n').find((l) => /E[A-Z]+/.test(l)) ?? msg.slice(0, 200)}`;
      return;
    }
    throw e;
  }
}

/** A grey 16x16 image: a bright square on a dark ground, `shift` moves it. */
function digitPixels(shift: number): Uint8Array {
  const px = new Uint8Array(16 * 16);
  for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) px[y * 16 + x] = x >= 4 + shift && x < 10 + shift && y >= 4 && y < 12 ? 220 : 20 + ((x * 7 + y * 3) % 11);
  return px;
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'ganomaly-pack-'));
  await sh('npx', ['tsc', '-b'], ROOT, 300_000);
  await mkdir(path.join(tmp, 'tarballs'));
  const { stdout } = await sh('npm', ['pack', '--workspaces', '--json', '--pack-destination', path.join(tmp, 'tarballs')], ROOT);
  packs = JSON.parse(stdout) as PackEntry[];

  // The Node app: TypeScript, strict, ES modules.
  await mkdir(path.join(nodeApp(), 'src'), { recursive: true });
  await writeFile(path.join(nodeApp(), 'package.json'), JSON.stringify({ name: 'node-app', private: true, type: 'module', dependencies: appDeps({ '@types/node': '^20.19.0' }) }, null, 2));
  await writeFile(path.join(nodeApp(), 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, outDir: 'out', rootDir: 'src' },
    include: ['src'],
  }, null, 2));
  await cp(path.join(here, 'pack-apps/node-main.ts'), path.join(nodeApp(), 'src/main.ts'));

  // The Vite app: a page that imports @ganomaly/core (Vite's defaults, no config file).
  await mkdir(path.join(viteApp(), 'public'), { recursive: true });
  await writeFile(path.join(viteApp(), 'package.json'), JSON.stringify({ name: 'vite-app', private: true, type: 'module', dependencies: appDeps({}) }, null, 2));
  await cp(path.join(here, 'pack-apps/vite-main.ts'), path.join(viteApp(), 'main.ts'));
  await writeFile(path.join(viteApp(), 'index.html'), '<!doctype html><html><head><meta charset="utf-8"><title>vite-app</title></head><body><script type="module" src="./main.ts"></script></body></html>\n');
  // Real image files, written by the encoders the ecosystem uses.
  const png = new PNG({ width: 16, height: 16, colorType: 2 });
  const jpg = new Uint8Array(16 * 16 * 4);
  const px = digitPixels(1);
  for (let i = 0; i < 256; i++) {
    png.data.set([px[i]!, px[i]!, px[i]!, 255], i * 4);
    jpg.set([px[i]!, px[i]!, px[i]!, 255], i * 4);
  }
  await writeFile(path.join(viteApp(), 'public/digit.png'), PNG.sync.write(png, { colorType: 2 }));
  await writeFile(path.join(viteApp(), 'public/digit.jpg'), jpeg.encode({ data: jpg, width: 16, height: 16 }, 95).data);
  // Both installs at once: they mostly wait on the registry or the cache.
  await Promise.all([npmInstall(nodeApp()), npmInstall(viteApp())]);
}, 600_000);

afterAll(async () => {
  if (tmp && !process.env.GANOMALY_KEEP_PACK) await rm(tmp, { recursive: true, force: true });
});

const skipped = (ctx: { skip: (note?: string) => void }) => skipReason && ctx.skip(skipReason);

describe('npm pack of every package, installed into fresh apps', () => {
  it('packs every workspace: no .tsbuildinfo, a README and the LICENSE, complete metadata', async (ctx) => {
    const license = await readFile(path.join(ROOT, 'LICENSE'), 'utf8');
    expect(packs.map((p) => p.name).sort()).toEqual(
      (await Promise.all(rootPkg.workspaces.map(async (w) => (JSON.parse(await readFile(path.join(ROOT, w, 'package.json'), 'utf8')) as { name: string }).name))).sort(),
    );
    for (const p of packs) {
      const files = p.files.map((f) => f.path);
      expect(files.filter((f) => /tsbuildinfo/.test(f)), p.name).toEqual([]);
      expect(files, p.name).toContain('README.md');
      expect(files, p.name).toContain('LICENSE');
      expect(files.some((f) => f.startsWith('dist/') && f.endsWith('index.d.ts')), p.name).toBe(true);
    }
    if (skipped(ctx)) return;
    for (const p of packs) {
      const dir = path.join(nodeApp(), 'node_modules', p.name);
      expect(await readFile(path.join(dir, 'LICENSE'), 'utf8'), p.name).toBe(license);
      const j = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'));
      const ws = rootPkg.workspaces.find((w) => w.endsWith(`/${p.name.split('/')[1]}`));
      expect(j.repository, p.name).toEqual({ type: 'git', url: rootPkg.repository.url, directory: ws });
      expect(j.engines, p.name).toEqual({ node: '>=20.16' });
      expect(j.publishConfig, p.name).toEqual({ access: 'public' });
      expect(j.license, p.name).toBe('MIT');
      // One tfjs engine per app: tfjs only ever as a peer.
      expect(Object.keys(j.dependencies ?? {}).filter((d) => d.startsWith('@tensorflow/')), p.name).toEqual([]);
    }
    const sizes = packs.map((p) => `${p.name} ${(p.size / 1024).toFixed(0)} kB`).join(', ');
    console.log(`tarballs: ${sizes}`);
    // One copy of tfjs-core in the app.
    const { stdout } = await sh('npm', ['ls', '@tensorflow/tfjs-core', '--all', '--parseable'], nodeApp());
    expect(new Set(stdout.trim().split('\n')).size).toBe(1);
  });

  it('a strict TypeScript app type-checks against the packed .d.ts files (skipLibCheck for tfjs-layers only)', async (ctx) => {
    if (skipped(ctx)) return;
    // One compile, without skipLibCheck (it still emits out/main.js for the next test): the app's
    // own code has no error, and every error in a library's .d.ts is in tfjs-layers' own files,
    // so with skipLibCheck (what the README tells apps to set) the program is clean.
    const noSkip = await sh(process.execPath, [TSC, '-p', '.', '--skipLibCheck', 'false'], nodeApp()).then(
      () => '',
      (e: { stdout: string }) => e.stdout,
    );
    const files = new Set([...noSkip.matchAll(/^(node_modules\/\S+?)\(\d+,\d+\): error/gm)].map((m) => m[1]!));
    const outside = [...files].filter((f) => !f.startsWith('node_modules/@tensorflow/tfjs-layers/'));
    expect(outside, noSkip).toEqual([]);
    expect(noSkip.split('\n').filter((l) => / error TS/.test(l) && !l.startsWith('node_modules/')), noSkip).toEqual([]);
    expect(existsSync(path.join(nodeApp(), 'out/main.js'))).toBe(true);
  });

  it('the Node app trains, scores, saves and reloads a tiny model; the packed `ganomaly` bin runs', async (ctx) => {
    if (skipped(ctx)) return;
    const { stdout } = await sh(process.execPath, ['out/main.js', path.join(viteApp(), 'public')], nodeApp());
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as { backend: string; scores: number[]; reloaded: number[]; png: number; jpg: number };
    expect(r.backend).toBe('wasm');
    expect(r.scores.every(Number.isFinite)).toBe(true);
    expect(r.reloaded).toEqual(r.scores);
    expect(Number.isFinite(r.png) && Number.isFinite(r.jpg)).toBe(true);
    const bin = path.join(nodeApp(), 'node_modules/.bin/ganomaly');
    const help = await sh(bin, ['--help'], nodeApp());
    expect(help.stdout).toMatch(/^Usage: ganomaly <command>/);
    // The packed CLI, on its peer tfjs, scores the saved model as the library did.
    const pub = path.join(viteApp(), 'public');
    const csv = (await sh(bin, ['score', path.join(pub, 'model'), pub], nodeApp())).stdout.trim().split('\n');
    expect(csv[0]).toBe('file,score,normalized,anomaly,error');
    const cli = Object.fromEntries(csv.slice(1).map((l) => [path.basename(l.split(',')[0]!), Number(l.split(',')[1])]));
    expect(cli['digit.png']).toBeCloseTo(r.png, 6);
    expect(cli['digit.jpg']).toBeCloseTo(r.jpg, 6);
  });

  let bundle = '';
  let outDir = '';
  const warnings: string[] = [];
  it('the Vite app builds with no warnings from this library, and its bundle holds no Node-only code', async (ctx) => {
    if (skipped(ctx)) return;
    // `vite build` as an app runs it, in its own process: under vitest (NODE_ENV=test) Vite
    // builds in development mode and prints no "externalized for browser compatibility" warnings.
    outDir = path.join(viteApp(), 'dist');
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
    for (const k of Object.keys(env)) if (k === 'NODE_ENV' || k.startsWith('VITEST') || k === 'TEST') delete env[k];
    const r = await run(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: viteApp(), env, timeout: 180_000, maxBuffer: 64 << 20 });
    warnings.push(...`${r.stdout}\n${r.stderr}`.split(/\n(?=\S)/).filter((w) => w.trim() !== ''));
    const plain = warnings.map((w) => w.replace(/\x1b\[[0-9;]*m/g, ''));
    if (plain.length) console.log(`vite build printed:\n${plain.join('\n')}`);
    const ours = plain.filter((w) => /ganomaly|node:|externalized|pngjs/i.test(w));
    expect(ours, ours.join('\n')).toEqual([]);
    const js = (await readdir(path.join(outDir, 'assets'))).filter((f) => f.endsWith('.js'));
    bundle = (await Promise.all(js.map((f) => readFile(path.join(outDir, 'assets', f), 'utf8')))).join('\n');
    // node: specifiers in any quoting, then one string from each Node-only part of this library:
    // the threaded-wasm loader, pngjs's lazy loading, the file:// handler, data-parallel training.
    // (tfjs-backend-wasm's Emscripten glue mentions worker_threads itself; it is not ours.)
    for (const needle of ['"node:', "'node:", '`node:', 'mkdtempSync', 'GANOMALY_WASM_THREADS', 'getBuiltinModule', 'neither empty nor a saved model', 'data-parallel trainer was closed']) {
      expect(bundle.includes(needle), `the bundle contains ${needle}`).toBe(false);
    }
    expect(/data:[a-z/]*javascript;base64,/.test(bundle), 'the bundle inlines a worker script as base64').toBe(false);
  });

  it.skipIf(!haveChromium)(`in headless Chromium the bundle decodes a PNG and a JPEG and scores them as Node does${haveChromium ? '' : ` (skipped: no Chromium at ${CHROMIUM})`}`, async (ctx) => {
    if (skipped(ctx)) return;
    expect(bundle, 'the Vite build ran').not.toBe('');
    await cp(path.join(viteApp(), 'public/model'), path.join(outDir, 'model'), { recursive: true });
    const node = JSON.parse(await readFile(path.join(viteApp(), 'public/node-scores.json'), 'utf8')) as { png: number; jpg: number; pngPixels: number[]; jpgPixels: number[] };
    const served = await serveStatic(outDir);
    const { chromium } = await import('playwright-core');
    const userDataDir = await mkdtemp(path.join(tmp, 'chromium-'));
    const browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(served.url);
      await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result !== undefined, null, { timeout: 60_000 });
      const r = (await page.evaluate(() => (window as unknown as { __result?: unknown }).__result)) as {
        error?: string; backend: string; png: number; jpg: number; pngPixels: number[]; jpgPixels: number[]; errorName: string;
      };
      expect(r.error, errors.join(' | ')).toBeUndefined();
      expect(r.backend).toBe('wasm');
      // The browser's PNG decoder gives the file's exact pixels; JPEG decoders differ by a few levels.
      expect(r.pngPixels).toEqual(node.pngPixels);
      expect(Math.max(...r.jpgPixels.map((v, i) => Math.abs(v - node.jpgPixels[i]!)))).toBeLessThanOrEqual(4);
      expect(Math.abs(r.png - node.png)).toBeLessThanOrEqual(1e-4 * Math.max(1e-3, Math.abs(node.png)));
      expect(Math.abs(r.jpg - node.jpg)).toBeLessThanOrEqual(2e-2 * Math.max(1e-3, Math.abs(node.jpg)));
      // The minified bundle keeps the library's error names.
      expect(r.errorName).toBe('ValueError');
    } finally {
      await browser.close();
      served.close();
    }
  });
});
