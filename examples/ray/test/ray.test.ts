// examples/ray on a local Ray cluster (127.0.0.1 only): an exported scorer scores a folder of real
// MNIST digits (with two files that do not decode and two 16-bit PNGs) and the MNIST test set with two workers. Every
// image is scored once, the scores equal the single-process ones and Node's (OnnxScorer on the
// same files), the broken files are reported by name, and the cluster is shut down. Skipped with
// the reason when .venv or Ray Data is missing (npm run setup:python).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { Ganomaly, data } from '@ganomaly/core';
import { OnnxScorer } from '@ganomaly/onnx';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const python = path.join(repo, '.venv/bin/python');
const mnistDir = path.join(repo, '../shared/data/mnist');

function skipReason(): string | null {
  if (!existsSync(python)) return `${python} is missing: run npm run setup:python`;
  const r = spawnSync(python, ['-c', 'import ray, ray.data, onnxruntime, PIL'], { encoding: 'utf8' });
  if (r.status !== 0) return `.venv lacks Ray Data, onnxruntime or Pillow: ${r.stderr.trim().split('\n').pop()}`;
  if (!existsSync(path.join(mnistDir, 't10k-images-idx3-ubyte.gz'))) return `no MNIST at ${mnistDir}`;
  return null;
}

let dir = '';
afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

describe('examples/ray: Ray Data + ONNX Runtime batch scoring', () => {
  it('scores every image once on 2 workers, equal to one process and to Node; bad files reported, job goes on', async (ctx) => {
    const why = skipReason();
    if (why) ctx.skip(why);
    dir = await mkdtemp(path.join(os.tmpdir(), 'ganomaly-ray-'));
    const set = (await data.findMnist({ dirs: [mnistDir], loadTrain: false })).test;
    const m = await Ganomaly.create({ backend: 'wasm', imageSize: 16, channels: 1, baseWidth: 8, latentDim: 8, seed: 5 });
    await m.fit(data.subset(set, [...Array(32).keys()]), { epochs: 1, batchSize: 16 });
    await m.calibrate(data.subset(set, [...Array(32).keys()].map((i) => 40 + i)));
    const modelFile = path.join(dir, 'model.onnx');
    await writeFile(modelFile, await m.exportOnnx());
    m.dispose();
    const folder = path.join(dir, 'images');
    await mkdir(path.join(folder, 'sub'), { recursive: true });
    const files: string[] = [];
    for (let i = 0; i < 60; i++) {
      const png = new PNG({ width: 28, height: 28, colorType: 0, inputColorType: 0, inputHasAlpha: false });
      png.data = Buffer.from(set.pixels.subarray((100 + i) * 784, (101 + i) * 784));
      const f = path.join(folder, i % 3 ? '' : 'sub', `digit-${i}.png`);
      await writeFile(f, PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
      files.push(f);
    }
    // 16-bit grey PNGs (Pillow's mode I;16): scaled to 8 bits as the library does, not clipped.
    for (let i = 0; i < 2; i++) {
      const px = set.pixels.subarray((200 + i) * 784, (201 + i) * 784);
      const png = new PNG({ width: 28, height: 28, bitDepth: 16, colorType: 0, inputColorType: 0, inputHasAlpha: false });
      png.data = Buffer.from(new Uint16Array(Array.from(px, (p, k) => Math.min(65535, p * 257 + ((k * 97) % 257)))).buffer);
      const f = path.join(folder, `digit16-${i}.png`);
      await writeFile(f, PNG.sync.write(png, { bitDepth: 16, colorType: 0, inputColorType: 0, inputHasAlpha: false }));
      files.push(f);
    }
    const good = PNG.sync.write(new PNG({ width: 8, height: 8 }));
    await writeFile(path.join(folder, 'truncated.png'), good.subarray(0, 40));
    await writeFile(path.join(folder, 'not-an-image.jpg'), Buffer.from('this is no JPEG'));

    const r = spawnSync(python, [path.join(repo, 'examples/ray/test_cluster.py'), modelFile, folder, mnistDir, '--workers', '2', '--limit', '64', '--batch-size', '8'], {
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, RAY_USAGE_STATS_ENABLED: '0', RAY_DEDUP_LOGS: '0' },
    });
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(report.shutdown).toBe(true);
    expect(report.nodes).toEqual(['127.0.0.1']);
    for (const name of ['folder', 'mnist']) {
      const run = report.runs[name];
      expect(run.duplicates).toEqual([]);
      expect(run.missing).toEqual([]);
      expect(run.rows).toBe(64); // folder: 62 files that decode and 2 that do not; mnist: --limit 64
      expect(run.worst_relative_vs_single_process).toBeLessThan(1e-6);
      expect(run.mismatched_errors).toEqual([]);
    }
    // Both workers scored (8-image batches: 16 of them).
    const workers = new Set([...Object.keys(report.runs.folder.per_worker), ...Object.keys(report.runs.mnist.per_worker)]);
    expect(workers.size).toBe(2);
    const per = (name: string) =>
      Object.values(report.runs[name].per_worker as Record<string, { images: number; images_per_second: number }>)
        .map((w) => `${w.images} images at ${w.images_per_second.toFixed(0)} img/s`)
        .join(', ');
    console.log(
      `ray: ${report.runs.folder.rows + report.runs.mnist.rows} images in ${report.seconds.toFixed(2)} s end to end (${report.images_per_second.toFixed(0)} img/s, actor start-up included); ` +
        `per worker (decode + score): folder ${per('folder')}; mnist ${per('mnist')}; cluster start ${report.startup_seconds.toFixed(1)} s`,
    );
    expect(Object.keys(report.runs.folder.errors).sort()).toEqual(['not-an-image.jpg', 'truncated.png']);
    // Node on the same files: the library's loader (Pillow-exact resize) and OnnxScorer.
    const loaded = await data.loadImageFiles(files, { imageSize: 16, channels: 1 });
    const scorer = await OnnxScorer.load(modelFile);
    const node = await scorer.score(loaded.set);
    await scorer.dispose();
    loaded.files.forEach((f, i) => {
      const ray = report.runs.folder.scores[path.basename(f)];
      expect(Math.abs(ray - node[i]!), f).toBeLessThanOrEqual(1e-4 * Math.abs(node[i]!));
    });
  }, 300_000);
});
