// End to end: the built demo (examples/browser) in headless Chromium on a local static server.
// A model trained in Node on MNIST is loaded over http, real MNIST digits written as PNG files are
// dropped on the page, and the scores it shows are checked against Node's scores for the same
// files, and the same through the exported ONNX model on onnxruntime-web. Then a model is trained for a few steps in the page, saved to IndexedDB, and comes back
// after a reload. Skipped when Chromium is missing (.ci/run installs it).
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ganomaly, data } from '@ganomaly/core';
import { serveStatic } from '../../../tools/static-server.ts';
import type { Browser, Page } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');

let out = '';
let pngDir = '';
let stopServer: (() => void) | undefined;
let base = '';
let browser: Browser | undefined;
const requests: string[] = [];
const files: { path: string; label: number; nodeScore: number }[] = [];

/** Writes one MNIST image (28x28 grey) as an RGBA PNG, as an image editor would save it. */
async function writePng(file: string, set: data.ImageSet, index: number): Promise<void> {
  const png = new PNG({ width: set.width, height: set.height });
  const px = set.pixels.subarray(index * set.width * set.height, (index + 1) * set.width * set.height);
  px.forEach((v, i) => png.data.set([v, v, v, 255], i * 4));
  await writeFile(file, PNG.sync.write(png));
}

/** Decodes a PNG the way a browser hands it to tf.browser.fromPixels(img, 4): [h, w, 4] RGBA. */
async function decodePng(file: string): Promise<tf.Tensor3D> {
  const png = PNG.sync.read(await readFile(file));
  return tf.tensor3d(Float32Array.from(png.data), [png.height, png.width, 4]);
}

beforeAll(async () => {
  if (!haveChromium) return;
  out = await mkdtemp(path.join(tmpdir(), 'ganomaly-demo-'));
  pngDir = await mkdtemp(path.join(tmpdir(), 'ganomaly-png-'));
  const { build } = await import('vite');
  await build({ configFile: path.join(repo, 'examples/browser/vite.config.ts'), logLevel: 'warn', build: { outDir: out, emptyOutDir: true } });

  // A model trained in Node: normal = digit 1, anomalies = digit 0.
  const { test } = await data.findMnist({ dirs: [path.join(repo, '../shared/data/mnist')], loadTrain: false });
  const ones = data.indicesWhere(test, (l) => l === 1);
  const zeros = data.indicesWhere(test, (l) => l === 0);
  const model = await Ganomaly.create({ imageSize: 32, channels: 1, latentDim: 32, baseWidth: 16, backend: 'wasm', seed: 0 });
  await model.fit(data.subset(test, ones.slice(0, 600)), { epochs: 2, batchSize: 64 });
  await model.calibrate(data.subset(test, ones.slice(600, 700)), { quantile: 0.95 });
  await model.save(`file://${path.join(out, 'model')}`);
  // The same model exported for ONNX Runtime (the page's ONNX engine, onnxruntime-web).
  await writeFile(path.join(out, 'model', 'model.onnx'), await model.exportOnnx());
  for (const [label, idx] of [[0, ones.slice(700, 704)], [1, zeros.slice(0, 4)]] as const) {
    for (const i of idx) {
      const file = path.join(pngDir, `mnist-${i}-${label ? 'zero' : 'one'}.png`);
      await writePng(file, test, i);
      const img = await decodePng(file);
      files.push({ path: file, label, nodeScore: (await model.score(img))[0] });
      img.dispose();
    }
  }
  model.dispose();

  const served = await serveStatic(out);
  stopServer = served.close;
  base = served.url;
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  stopServer?.();
  for (const d of [out, pngDir]) if (d) await rm(d, { recursive: true, force: true });
});

async function open(page: Page): Promise<void> {
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(base);
  await page.waitForSelector('body[data-ready="yes"]', { timeout: 60_000 });
}

describe.skipIf(!haveChromium)(`the browser demo${haveChromium ? '' : ` (skipped: no Chromium at ${CHROMIUM})`}`, () => {
  it("loads the Node-trained model over http and shows Node's scores for PNG files dropped on the page", async () => {
    const page = await browser!.newPage();
    await open(page);
    await page.click('#load-url');
    await page.waitForFunction(() => {
      const status = document.getElementById('model-status')!;
      return status.dataset.source?.startsWith('loaded from http') || status.textContent!.startsWith('could not load');
    }, null, { timeout: 90_000 });
    expect(await page.$eval('#model-status', (e) => e.textContent)).toMatch(/^loaded from http/);
    // Drop the files on the drop zone, as a user drags them from a file manager.
    const payload = await Promise.all(files.map(async (f) => ({ name: path.basename(f.path), base64: (await readFile(f.path)).toString('base64') })));
    await page.evaluate((items) => {
      const dt = new DataTransfer();
      for (const it of items) {
        const bytes = Uint8Array.from(atob(it.base64), (c) => c.charCodeAt(0));
        dt.items.add(new File([bytes], it.name, { type: 'image/png' }));
      }
      document.getElementById('drop')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, payload);
    await page.waitForSelector(`body[data-scored="${files.length}"]`, { timeout: 60_000 });
    const shown = await page.$$eval('#results tbody tr', (rows) =>
      rows.map((r) => ({ name: (r as HTMLElement).dataset.name!, score: Number((r as HTMLElement).dataset.score), verdict: r.querySelector('.verdict')!.textContent })),
    );
    expect(shown).toHaveLength(files.length);
    for (const f of files) {
      const s = shown.find((x) => x.name === path.basename(f.path))!;
      expect(Math.abs(s.score - f.nodeScore)).toBeLessThanOrEqual(1e-4 * Math.abs(f.nodeScore) + 1e-7);
    }
    // The default threshold is the calibrated one: every zero is flagged, most ones are not.
    const verdicts = (label: number) => files.filter((f) => f.label === label).map((f) => shown.find((x) => x.name === path.basename(f.path))!.verdict);
    expect(verdicts(1).every((v) => v === 'anomaly')).toBe(true);
    expect(verdicts(0).filter((v) => v === 'normal').length).toBeGreaterThanOrEqual(3);
    // The threshold slider changes the verdicts: at its maximum nothing is an anomaly.
    await page.$eval('#threshold', (el) => {
      const s = el as HTMLInputElement;
      s.value = s.max;
      s.dispatchEvent(new Event('input'));
    });
    expect(await page.$$eval('.verdict', (c) => c.filter((x) => x.textContent === 'anomaly').length)).toBe(0);
    await page.screenshot({ path: process.env.GANOMALY_SCREENSHOT ?? path.join(out, 'demo.png'), fullPage: true });
    await page.close();
  }, 120_000);

  it("scores through the exported ONNX model on onnxruntime-web: the same scores as Node's", async () => {
    const page = await browser!.newPage();
    await open(page);
    await page.click('#load-onnx');
    await page.waitForFunction(() => document.getElementById('onnx-status')!.dataset.engine !== undefined, null, { timeout: 90_000 });
    expect(await page.$eval('#onnx-status', (e) => e.textContent)).toMatch(/onnxruntime-web \((wasm|webgpu)\) · 32x32x1, calibrated/);
    // ONNX only (no tfjs model loaded): the page scores with ONNX Runtime alone.
    await page.setInputFiles('#score-files', files.map((f) => f.path));
    await page.waitForSelector(`body[data-scored="${files.length}"]`, { timeout: 60_000 });
    const shown = await page.$$eval('#results tbody tr', (rows) => rows.map((r) => [(r as HTMLElement).dataset.name!, Number((r as HTMLElement).dataset.onnxScore)] as const));
    expect(shown).toHaveLength(files.length);
    for (const [name, s] of shown) {
      const f = files.find((x) => path.basename(x.path) === name)!;
      expect(Math.abs(s - f.nodeScore), name).toBeLessThanOrEqual(1e-4 * Math.abs(f.nodeScore) + 1e-7);
    }
    await page.close();
  }, 120_000);

  it('trains in the page; the downloaded model scores the same in Node; saved to IndexedDB, it is back after a reload', async () => {
    const context = await browser!.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    await open(page);
    await page.setInputFiles('#train-files', files.filter((f) => f.label === 0).map((f) => f.path));
    await page.fill('#epochs', '2');
    await page.click('#train');
    await page.waitForFunction(() => document.getElementById('model-status')!.dataset.source?.startsWith('trained here'), null, { timeout: 120_000 });
    expect(await page.$eval('#train-log', (e) => e.textContent)).toMatch(/epoch 2\/2, batch 1\/1: loss G \d/);
    // Scores in the page, then the model downloaded and loaded in Node: the same scores.
    await page.setInputFiles('#score-files', files.map((f) => f.path));
    await page.waitForSelector(`body[data-scored="${files.length}"]`, { timeout: 60_000 });
    const pageScores = await page.$$eval('#results tbody tr', (rows) => rows.map((r) => [(r as HTMLElement).dataset.name!, Number((r as HTMLElement).dataset.score)] as const));
    const downloads: string[] = [];
    page.on('download', (d) => void d.saveAs(path.join(pngDir, d.suggestedFilename())).then(() => downloads.push(d.suggestedFilename())));
    await page.click('#download');
    await expect.poll(() => downloads.length, { timeout: 30_000 }).toBe(2);
    expect(downloads.sort()).toEqual(['ganomaly-model.json', 'ganomaly-model.weights.bin']);
    const fromBrowser = await Ganomaly.load(`file://${path.join(pngDir, 'ganomaly-model.json')}`, { backend: 'wasm' });
    for (const [name, score] of pageScores) {
      const img = await decodePng(path.join(pngDir, name));
      const nodeScore = (await fromBrowser.score(img))[0];
      img.dispose();
      expect(Math.abs(nodeScore - score)).toBeLessThanOrEqual(1e-3 * Math.abs(score) + 1e-6);
    }
    expect(fromBrowser.calibration).not.toBeNull();
    fromBrowser.dispose();
    await page.click('#save-idb');
    await page.waitForFunction(() => document.getElementById('model-status')!.dataset.saved === 'yes');
    await page.reload();
    await page.waitForSelector('body[data-ready="yes"]');
    expect(await page.$eval('#model-status', (e) => (e as HTMLElement).dataset.source)).toBe('loaded from this browser');
    await context.close();
  }, 180_000);

  it('Stop ends training early and keeps a usable, calibrated model', async () => {
    const page = await browser!.newPage();
    await open(page);
    await page.setInputFiles('#train-files', files.map((f) => f.path));
    await page.fill('#epochs', '100');
    await page.click('#train');
    await page.waitForFunction(() => /epoch [2-9]/.test(document.getElementById('train-log')!.textContent ?? ''), null, { timeout: 60_000 });
    await page.click('#stop');
    await page.waitForFunction(() => document.getElementById('model-status')!.dataset.source === 'trained here (stopped early)', null, { timeout: 60_000 });
    expect(await page.$eval('#model-status', (e) => e.textContent)).toMatch(/calibrated/);
    await page.close();
  }, 120_000);

  it('works offline: every request went to the local server', () => {
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((u) => !u.startsWith(base) && !u.startsWith('blob:') && !u.startsWith('data:'))).toEqual([]);
  });
});
