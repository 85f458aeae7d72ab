// The exported scorer against the library: trained models (sizes 16/32/64, 1 and 3 channels,
// extra layers, the four score variants the graph computes) on real MNIST and CIFAR-10 images; ONNX Runtime's scores in
// Node (onnxruntime-node) and in Python (onnx.checker + onnxruntime of .venv) equal Ganomaly's.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ganomaly, data } from '@ganomaly/core';
import { OnnxScorer, readOnnxModelInfo } from '@ganomaly/onnx';
import { decodeModel } from '../src/proto.js';
import { PYTHON, cifar, mnist, worstRelative } from './helpers.js';

interface Case {
  name: string;
  set: 'mnist' | 'cifar';
  imageSize: number;
  channels: 1 | 3;
  extraLayers: number;
  scoreVariant: 'mse' | 'l1' | 'reconstruction' | 'knn';
  /** With 'knn': the nearest training codes averaged (default 1). */
  neighbours?: number;
}

const CASES: Case[] = [
  { name: 'mnist16', set: 'mnist', imageSize: 16, channels: 1, extraLayers: 0, scoreVariant: 'mse' },
  { name: 'mnist32_extra1_l1', set: 'mnist', imageSize: 32, channels: 1, extraLayers: 1, scoreVariant: 'l1' },
  { name: 'mnist16_reconstruction', set: 'mnist', imageSize: 16, channels: 1, extraLayers: 0, scoreVariant: 'reconstruction' },
  { name: 'mnist16_knn', set: 'mnist', imageSize: 16, channels: 1, extraLayers: 0, scoreVariant: 'knn' },
  { name: 'cifar32_knn3', set: 'cifar', imageSize: 32, channels: 3, extraLayers: 0, scoreVariant: 'knn', neighbours: 3 },
  { name: 'cifar32', set: 'cifar', imageSize: 32, channels: 3, extraLayers: 0, scoreVariant: 'mse' },
  { name: 'cifar64_extra2', set: 'cifar', imageSize: 64, channels: 3, extraLayers: 2, scoreVariant: 'mse' },
];

const TOL = 1e-4;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ganomaly-onnx-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Built {
  c: Case;
  bytes: Uint8Array;
  /** The same export with explicit BatchNormalization nodes (foldBatchNorm: false). */
  unfolded: Uint8Array;
  /** The same export with ConvTranspose nodes (convTranspose: 'native'). */
  native: Uint8Array;
  test: data.ImageSet;
  /** The test images at the model's size and channels, float32 NHWC 0..255 (what the graph takes). */
  pixels: Float32Array;
  scores: Float32Array;
  prediction: Awaited<ReturnType<Ganomaly['predict']>>;
}
const built = new Map<string, Built>();
let sets: { mnist: data.ImageSet; cifar: data.ImageSet | null };

beforeAll(async () => {
  sets = { mnist: await mnist(), cifar: await cifar() };
  for (const c of CASES) {
    const src = c.set === 'mnist' ? sets.mnist : sets.cifar;
    if (!src) continue;
    const train = data.subset(src, [...Array(32).keys()].map((i) => 300 + i));
    const calib = data.subset(src, [...Array(32).keys()].map((i) => 100 + i));
    const test = data.subset(src, [...Array(40).keys()].map((i) => 200 + i));
    const m = await Ganomaly.create({ backend: 'wasm', imageSize: c.imageSize, channels: c.channels, extraLayers: c.extraLayers, scoreVariant: c.scoreVariant, ...(c.neighbours ? { neighbours: c.neighbours } : {}), baseWidth: 8, latentDim: 16, seed: 7 });
    try {
      await m.fit(train, { epochs: 1, batchSize: 32 });
      await m.calibrate(calib);
      const bytes = await m.exportOnnx();
      const unfolded = await m.exportOnnx({ foldBatchNorm: false });
      const native = await m.exportOnnx({ convTranspose: 'native' });
      const scores = await m.score(test);
      const prediction = await m.predict(test);
      // What the model's preprocessing makes of the test images, as pixel values again.
      const t = data.preprocess(test, { imageSize: c.imageSize, channels: c.channels });
      const pixels = Float32Array.from(await t.data(), (v) => (v + 1) * 127.5);
      t.dispose();
      built.set(c.name, { c, bytes, unfolded, native, test, pixels, scores, prediction });
    } finally {
      m.dispose();
    }
  }
}, 240_000);

describe('exportOnnx: ONNX Runtime (Node) gives the library\'s scores', () => {
  for (const c of CASES) {
    it(`${c.name}: size ${c.imageSize}, ${c.channels} channel(s), ${c.extraLayers} extra layer(s), ${c.scoreVariant}`, async (ctx) => {
      const b = built.get(c.name);
      if (!b) ctx.skip(`no ${c.set} data (../shared/data/cifar10 missing)`);
      const info = readOnnxModelInfo(b!.bytes);
      expect(info).toMatchObject({ imageSize: c.imageSize, channels: c.channels, scoreVariant: c.scoreVariant, batchNormStatistics: 'population' });
      expect(info.calibration?.threshold).toBe(b!.prediction.threshold);
      // 'knn': the graph holds the 32 training codes and averages the model's neighbours.
      expect(info.memory).toEqual(c.scoreVariant === 'knn' ? { count: 32, neighbours: c.neighbours ?? 1 } : undefined);
      const scorer = await OnnxScorer.load(b!.bytes, { runtime: 'node', threads: 1 });
      try {
        // The images as the library takes them (resized by the scorer as Ganomaly does) ...
        const fromSet = await scorer.score(b!.test);
        expect(worstRelative(fromSet, b!.scores)).toBeLessThan(TOL);
        // ... and the graph's own input, pixels at the model's size.
        const direct = await scorer.score(b!.pixels, { batchSize: 16 });
        expect(worstRelative(direct, b!.scores)).toBeLessThan(TOL);
        const p = await scorer.predict(b!.pixels);
        expect(worstRelative(p.normalizedScores, b!.prediction.normalizedScores, 1e-6)).toBeLessThan(TOL);
        expect([...p.isAnomaly]).toEqual([...b!.prediction.isAnomaly]);
        // The scores spread: a constant graph would not pass this comparison by accident.
        expect(Math.max(...b!.scores) - Math.min(...b!.scores)).toBeGreaterThan(1e-3 * Math.max(...b!.scores));
      } finally {
        await scorer.dispose();
      }
      const plain = await OnnxScorer.load(b!.unfolded, { runtime: 'node', threads: 1 });
      expect(worstRelative(await plain.score(b!.pixels), b!.scores)).toBeLessThan(TOL);
      await plain.dispose();
    });
  }
});

describe("exportOnnx: transposed convolutions (convTranspose 'subpixel' by default, 'native')", () => {
  const ops = (bytes: Uint8Array) => {
    const count: Record<string, number> = {};
    for (const n of decodeModel(bytes).graph.node) count[n.opType] = (count[n.opType] ?? 0) + 1;
    return count;
  };
  for (const c of CASES) {
    it(`${c.name}: the sub-pixel graph has no ConvTranspose (but after extra layers), and the native one scores the same`, async (ctx) => {
      const b = built.get(c.name);
      if (!b) ctx.skip(`no ${c.set} data (../shared/data/cifar10 missing)`);
      const sub = ops(b!.bytes);
      const nat = ops(b!.native);
      if (c.scoreVariant === 'knn') {
        // 'knn' reads z alone: no decoder, no re-encoder in the graph (one Gemm: the memory's ranking).
        for (const o of [sub, nat]) expect([o['ConvTranspose'], o['DepthToSpace'], o['Gemm']]).toEqual([undefined, undefined, 1]);
        expect(decodeModel(b!.bytes).graph.initializer.some((t) => /^(decoder|reencoder)\//.test(t.name))).toBe(false);
        return;
      }
      expect(decodeModel(b!.bytes).graph.initializer.some((t) => /^(decoder|reencoder)\//.test(t.name))).toBe(true);
      // The decoder: a 1x1 -> 4x4 first layer, log2(size/8) pyramid layers, a last layer to 1 or 3 channels.
      const pyramid = Math.log2(c.imageSize / 8);
      expect(nat['ConvTranspose']).toBe(pyramid + 2);
      expect(nat['DepthToSpace']).toBeUndefined();
      // The last layer (fewer than 8 output channels) reads the last pyramid layer's phases with one
      // Conv (its DepthToSpace replaces that layer's); after extra layers it stays a ConvTranspose.
      expect(sub['ConvTranspose'] ?? 0).toBe(c.extraLayers > 0 ? 1 : 0);
      // The decoder's first layer; 'knn' ranks the training codes with one more.
      expect(sub['Gemm']).toBe(c.scoreVariant === 'knn' ? 2 : 1);
      expect(sub['DepthToSpace']).toBe(pyramid);
      expect(sub['Conv']).toBe(nat['Conv']! + 4 * pyramid + (c.extraLayers > 0 ? 0 : 1));
      // No kernel of the replaced layers is left behind.
      expect(decodeModel(b!.bytes).graph.initializer.some((t) => /convt\/kernel$/.test(t.name) && !/final/.test(t.name))).toBe(false);
      const scorer = await OnnxScorer.load(b!.native, { runtime: 'node', threads: 1 });
      try {
        expect(worstRelative(await scorer.score(b!.pixels), b!.scores)).toBeLessThan(TOL);
      } finally {
        await scorer.dispose();
      }
    });
  }
});

describe('exportOnnx: onnx.checker and ONNX Runtime in Python (.venv)', () => {
  it('every case passes onnx.checker (full check) and scores as the library', async (ctx) => {
    if (!existsSync(PYTHON)) ctx.skip(`${PYTHON} is missing: run npm run setup:python (tools/setup-python.sh) for the Python check`);
    const probe = spawnSync(PYTHON, ['-c', 'import onnx, onnxruntime, numpy'], { encoding: 'utf8' });
    if (probe.status !== 0) ctx.skip(`.venv lacks onnx/onnxruntime/numpy: ${probe.stderr.trim().split('\n').pop()}`);
    const cases: Record<string, { shape: number[] }> = {};
    for (const [name, b] of built) {
      writeFileSync(path.join(tmp, `${name}.onnx`), b.bytes);
      writeFileSync(path.join(tmp, `${name}.f32`), b.pixels);
      cases[name] = { shape: [b.test.count, b.c.imageSize, b.c.imageSize, b.c.channels] };
    }
    expect(Object.keys(cases).length).toBeGreaterThan(0);
    writeFileSync(path.join(tmp, 'cases.json'), JSON.stringify(cases));
    const r = spawnSync(PYTHON, [path.join(import.meta.dirname, 'check_onnx.py'), tmp], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { onnx: string; onnxruntime: string; cases: Record<string, { opset: number; metadata: { imageSize: number }; outputs: Record<string, number[]> }> };
    for (const [name, b] of built) {
      const got = out.cases[name]!;
      expect(got.metadata.imageSize).toBe(b.c.imageSize);
      expect(worstRelative(got.outputs['score']!, b.scores)).toBeLessThan(TOL);
      expect(worstRelative(got.outputs['normalized_score']!, b.prediction.normalizedScores, 1e-6)).toBeLessThan(TOL);
      expect(got.outputs['is_anomaly']).toEqual([...b.prediction.isAnomaly]);
    }
  }, 120_000);
});
