// quantizeOnnx: 8-bit convolutions calibrated on normal training images. On a model trained on
// real MNIST (digit 2 the anomaly), ONNX Runtime runs every Conv as QLinearConv, the detection
// quality stays that of the float export, the scores follow the float ones, and they equal those
// of ONNX Runtime's own Python tool (quantize_static, the same recipe) closely.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Ganomaly, data, metrics } from '@ganomaly/core';
import { OnnxScorer, quantizeOnnx, readOnnxModelInfo } from '@ganomaly/onnx';
import { decodeModel } from '../src/proto.js';
import { activationQuantParams, quantizeWeights } from '../src/quantize.js';
import { PYTHON, cifar, mnist } from './helpers.js';

const hasCifar = (await cifar()) !== null;

const FLOAT_CONVS = ['encoder/encoder_final_conv/Conv', 'encoder/encoder_initial_conv/Conv', 'reencoder/reencoder_final_conv/Conv', 'reencoder/reencoder_initial_conv/Conv'];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ganomaly-quantize-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let float: Uint8Array;
let int8: Uint8Array;
let calibration: data.ImageSet;
let test: data.ImageSet;
let labels: Uint8Array;
let floatScores: Float32Array;
let int8Scores: Float32Array;
let knnFloat: Uint8Array;
const knnScores: { float?: Float32Array; int8?: Float32Array } = {};
const knnConvs: Record<string, number> = {};
const knnQuantized: Record<string, number> = {};

/** Spearman's rank correlation. */
function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const rank = (x: ArrayLike<number>) => {
    const idx = Array.from({ length: x.length }, (_, i) => i).sort((i, j) => x[i]! - x[j]!);
    const r = new Float64Array(x.length);
    idx.forEach((i, k) => (r[i] = k));
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const n = ra.length;
  let d2 = 0;
  for (let i = 0; i < n; i++) d2 += (ra[i]! - rb[i]!) ** 2;
  return 1 - (6 * d2) / (n * (n * n - 1));
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) (ma += a[i]!), (mb += b[i]!);
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

beforeAll(async () => {
  const digits = await mnist();
  const normal = [...digits.labels!.keys()].filter((i) => digits.labels![i] !== 2);
  const anomalous = [...digits.labels!.keys()].filter((i) => digits.labels![i] === 2);
  const train = data.subset(digits, normal.slice(0, 1200));
  calibration = data.subset(digits, normal.slice(1200, 1456));
  const testIdx = [...normal.slice(2000, 2300), ...anomalous.slice(0, 300)];
  test = data.subset(digits, testIdx);
  labels = Uint8Array.from(testIdx, (i) => (digits.labels![i] === 2 ? 1 : 0));
  // The latent score, whose graph holds all three generator networks (docs/onnx.md's measurements).
  const m = await Ganomaly.create({ backend: 'wasm', imageSize: 32, channels: 1, baseWidth: 16, latentDim: 32, seed: 3, scoreVariant: 'mse' });
  try {
    await m.fit(train, { epochs: 2, batchSize: 64 });
    await m.calibrate(calibration);
    float = await m.exportOnnx();
    // The same weights as a 'knn' model (the library's default; fit kept the training codes).
    let saved: tf.io.ModelArtifacts | undefined;
    await m.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    (saved!.modelTopology as { ganomaly: { config: Record<string, unknown> } }).ganomaly.config.scoreVariant = 'knn';
    const k = await Ganomaly.load(tf.io.fromMemory(saved!), { backend: 'wasm' });
    knnFloat = await k.exportOnnx();
    k.dispose();
  } finally {
    m.dispose();
  }
  int8 = await quantizeOnnx(float, calibration, { threads: 2 });
  const knnInt8 = await quantizeOnnx(knnFloat, calibration, { threads: 2 });
  for (const [bytes, key] of [[knnFloat, 'float'], [knnInt8, 'int8']] as const) {
    const sc = await OnnxScorer.load(bytes, { threads: 2 });
    knnScores[key] = await sc.score(test);
    knnConvs[key] = decodeModel(bytes).graph.node.filter((n) => n.opType === 'Conv' || n.opType === 'QLinearConv').length;
    knnQuantized[key] = sc.info.quantization?.convolutions ?? 0;
    await sc.dispose();
  }
  const f = await OnnxScorer.load(float, { threads: 2 });
  const q = await OnnxScorer.load(int8, { threads: 2 });
  floatScores = await f.score(test);
  int8Scores = await q.score(test);
  await f.dispose();
  await q.dispose();
}, 240_000);

describe('quantizeOnnx', () => {
  it("quantizes the default 'knn' graph (the encoder alone) with the same quality", () => {
    // The encoder's 4 convolutions at size 32: the first (it reads images) and the last (it writes z) stay float.
    expect(knnConvs.float).toBe(4);
    expect(knnQuantized.int8).toBe(2);
    const a = metrics.auroc(knnScores.float!, labels);
    const b = metrics.auroc(knnScores.int8!, labels);
    expect(a).toBeGreaterThan(0.6);
    expect(Math.abs(a - b)).toBeLessThan(0.02);
    expect(spearman(knnScores.float!, knnScores.int8!)).toBeGreaterThan(0.99);
  });

  it('gives the float export\'s detection quality on real MNIST (AUROC within 0.02, scores correlated >= 0.99)', () => {
    const a = metrics.auroc(floatScores, labels);
    const b = metrics.auroc(int8Scores, labels);
    expect(a).toBeGreaterThan(0.6); // the model has learnt something, so the comparison means something
    expect(Math.abs(a - b)).toBeLessThan(0.02);
    expect(spearman(floatScores, int8Scores)).toBeGreaterThan(0.99);
    expect(pearson(floatScores, int8Scores)).toBeGreaterThan(0.99);
  });

  it('quantizes the inner convolutions (int8 weights per channel, int32 biases, uint8 activations), keeps those on images and z float, records it', () => {
    const f = decodeModel(float).graph;
    const g = decodeModel(int8).graph;
    const convs = f.node.filter((n) => n.opType === 'Conv');
    expect(convs.length).toBe(17);
    const producer = new Map(g.node.flatMap((n) => n.output.map((o) => [o, n] as const)));
    const init = new Map(g.initializer.map((t) => [t.name, t]));
    const isQuantized = (n: (typeof g.node)[number]) => producer.get(n.input[1]!)?.opType === 'DequantizeLinear';
    const all = g.node.filter((n) => n.opType === 'Conv');
    // Float: the encoders' first layers (they read x and x̂) and last layers (they write z and ẑ).
    expect(all.filter((n) => !isQuantized(n)).map((n) => n.name).sort()).toEqual(FLOAT_CONVS);
    const qConvs = all.filter(isQuantized);
    expect(qConvs.length).toBe(13);
    for (const n of qConvs) {
      const [x, w, b] = n.input.map((i) => producer.get(i!));
      expect(x?.opType).toBe('DequantizeLinear');
      expect(producer.get(x!.input[0]!)?.opType).toBe('QuantizeLinear');
      expect(w?.opType).toBe('DequantizeLinear');
      expect(init.get(w!.input[0]!)?.dataType).toBe(3); // INT8
      expect(init.get(w!.input[1]!)?.dims.map(Number)).toEqual([Number(init.get(w!.input[0]!)!.dims[0])]);
      if (b) expect(init.get(b.input[0]!)?.dataType).toBe(6); // INT32
      const consumers = g.node.filter((m) => m.input.includes(n.output[0]!));
      expect(consumers.map((m) => m.opType)).toContain('QuantizeLinear');
    }
    expect(int8.length).toBeLessThan(float.length * 0.7); // int8 weights; the float Gemm and four float convolutions keep theirs
    const info = readOnnxModelInfo(int8);
    expect(info.quantization).toMatchObject({ type: 'int8-qdq', convolutions: 13, calibrationImages: calibration.count });
    const { quantization: _q, ...rest } = info;
    expect(rest).toEqual(readOnnxModelInfo(float));
  });

  it('predicts with the exported calibration', async () => {
    const q = await OnnxScorer.load(int8);
    try {
      const p = await q.predict(test);
      expect(p.threshold).toBe(readOnnxModelInfo(float).calibration!.threshold);
      expect(Array.from(p.isAnomaly)).toEqual(Array.from(p.scores, (s) => (s >= p.threshold ? 1 : 0)));
    } finally {
      await q.dispose();
    }
  });

  it('refuses a quantized model, no calibration images, bad bytes and a bad batch size', async () => {
    await expect(quantizeOnnx(int8, calibration)).rejects.toThrow(/already quantized/);
    await expect(quantizeOnnx(float, data.subset(calibration, []))).rejects.toThrow(/at least one image/);
    await expect(quantizeOnnx(float.subarray(0, 1000), calibration)).rejects.toThrow(/not a valid ONNX model|truncated/);
    await expect(quantizeOnnx(float, calibration, { batchSize: 0 })).rejects.toThrow(/batchSize/);
  });

  it.skipIf(!hasCifar)('quantizes a 64x64 RGB model with 2 extra layers and the reconstruction score (CIFAR-10)', async () => {
    const set = (await cifar())!;
    const train = data.subset(set, [...Array(64).keys()]);
    const cal = data.subset(set, [...Array(64).keys()].map((i) => 100 + i));
    const images = data.subset(set, [...Array(64).keys()].map((i) => 200 + i));
    const m = await Ganomaly.create({ backend: 'wasm', imageSize: 64, channels: 3, extraLayers: 2, scoreVariant: 'reconstruction', baseWidth: 8, latentDim: 16, seed: 5 });
    let bytes: Uint8Array;
    try {
      await m.fit(train, { epochs: 1, batchSize: 32 });
      bytes = await m.exportOnnx();
    } finally {
      m.dispose();
    }
    const q = await quantizeOnnx(bytes, cal);
    const g = decodeModel(q).graph;
    const producer = new Map(g.node.flatMap((n) => n.output.map((o) => [o, n] as const)));
    const float = g.node.filter((n) => n.opType === 'Conv' && producer.get(n.input[1]!)?.opType !== 'DequantizeLinear');
    // Float: the two encoders' first layers (3 input channels). The score reads x and x̂, not z and ẑ, so
    // the encoders' last layers are quantized; x̂ comes from a ConvTranspose here (after extra layers), float.
    expect(float.map((n) => n.name).sort()).toEqual(['encoder/encoder_initial_conv/Conv', 'reencoder/reencoder_initial_conv/Conv']);
    expect(g.node.filter((n) => n.opType === 'ConvTranspose').map((n) => n.name)).toEqual(['decoder/decoder_final_convt/ConvTranspose']);
    const [a, b] = [await OnnxScorer.load(bytes), await OnnxScorer.load(q)];
    try {
      expect(pearson(await a.score(images), await b.score(images))).toBeGreaterThan(0.99);
    } finally {
      await a.dispose();
      await b.dispose();
    }
  }, 120_000);

  it('computes scales as ONNX Runtime does (hand-worked values)', () => {
    // [-1, 3]: scale 4/255, zero point round(1/(4/255)) = round(63.75) = 64
    expect(activationQuantParams(-1, 3)).toEqual({ scale: Math.fround(4 / 255), zeroPoint: 64 });
    // all positive: the range is widened to include 0, zero point 0
    expect(activationQuantParams(0.5, 2.55)).toEqual({ scale: Math.fround(0.01), zeroPoint: 0 });
    const { q, scales } = quantizeWeights(Float32Array.of(1.27, -0.635, 0, 0, 0, 0), 2);
    expect(Array.from(scales)).toEqual([Math.fround(0.01), 1]);
    expect(Array.from(q)).toEqual([127, -64, 0, 0, 0, 0]); // -63.5 rounds to even
  });

  it.skipIf(!existsSync(PYTHON))('passes onnx.checker and scores as ONNX Runtime\'s own quantize_static (Python, .venv) does', () => {
    const fFile = path.join(tmp, 'float.onnx');
    const qFile = path.join(tmp, 'int8.onnx');
    const cFile = path.join(tmp, 'calib.f32');
    const tFile = path.join(tmp, 'test.f32');
    writeFileSync(fFile, float);
    writeFileSync(qFile, int8);
    const pixels = (set: data.ImageSet) => {
      const t = data.preprocess(set, { imageSize: 32, channels: 1 });
      const v = Float32Array.from(t.dataSync(), (x) => (x + 1) * 127.5);
      t.dispose();
      return v;
    };
    writeFileSync(cFile, pixels(calibration));
    writeFileSync(tFile, pixels(test));
    const script = `
import sys, json, numpy as np, onnx, onnxruntime as ort
from onnxruntime.quantization import quantize_static, CalibrationDataReader, QuantFormat, QuantType, CalibrationMethod
f, q, c, t, out, exclude = sys.argv[1:7]
onnx.checker.check_model(onnx.load(q), full_check=True)
calib = np.fromfile(c, np.float32).reshape(-1, 32, 32, 1); test = np.fromfile(t, np.float32).reshape(-1, 32, 32, 1)
name = ort.InferenceSession(f, providers=['CPUExecutionProvider']).get_inputs()[0].name
class R(CalibrationDataReader):
    def __init__(self): self.i = 0
    def get_next(self):
        if self.i >= len(calib): return None
        b = calib[self.i:self.i + 64]; self.i += 64; return {name: b}
quantize_static(f, out, R(), quant_format=QuantFormat.QDQ, per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, op_types_to_quantize=['Conv'], nodes_to_exclude=json.loads(exclude), calibrate_method=CalibrationMethod.MinMax)
so = ort.SessionOptions(); so.optimized_model_filepath = out + '.opt.onnx'
ours = ort.InferenceSession(q, so, providers=['CPUExecutionProvider'])
ops = [n.op_type for n in onnx.load(out + '.opt.onnx').graph.node]
theirs = ort.InferenceSession(out, providers=['CPUExecutionProvider']).run(['score'], {name: test})[0]
print(json.dumps({'ours': ours.run(['score'], {name: test})[0].tolist(), 'theirs': theirs.tolist(), 'qlinearconv': ops.count('QLinearConv'), 'conv': ops.count('Conv') + ops.count('FusedConv')}))
`;
    const r = spawnSync(PYTHON, ['-c', script, fFile, qFile, cFile, tFile, path.join(tmp, 'theirs.onnx'), JSON.stringify(FLOAT_CONVS)], { encoding: 'utf8', timeout: 180_000 });
    expect(r.status, r.stderr).toBe(0);
    const { ours, theirs, qlinearconv, conv } = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { ours: number[]; theirs: number[]; qlinearconv: number; conv: number };
    // ONNX Runtime fuses every quantized Conv into QLinearConv; the four float ones stay Conv.
    expect(qlinearconv).toBe(13);
    expect(conv).toBe(FLOAT_CONVS.length);
    // Python's ONNX Runtime gives our file the scores Node's gave it.
    expect(Math.max(...ours.map((v, i) => Math.abs(v - int8Scores[i]!) / Math.abs(int8Scores[i]!)))).toBeLessThan(1e-4);
    // The same recipe (with the same four convolutions left float): scores close to the Python tool's.
    expect(pearson(ours, theirs)).toBeGreaterThan(0.998);
    expect(Math.abs(metrics.auroc(Float32Array.from(ours), labels) - metrics.auroc(Float32Array.from(theirs), labels))).toBeLessThan(0.01);
  }, 240_000);
});
