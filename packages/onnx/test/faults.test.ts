// Extra outputs, BatchNorm modes, and the faults: corrupt, truncated or foreign files, inputs of
// another size or channel count, layers with no ONNX mapping, untrained 'batch' exports.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFormatError, NotCalibratedError, ValueError } from '@ganomaly/common';
import { Ganomaly, data, registerEncoder } from '@ganomaly/core';
import { OnnxScorer, float32AtLeast, readOnnxModelInfo } from '@ganomaly/onnx';
import { mnist, worstRelative } from './helpers.js';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');

let model: Ganomaly;
let test: data.ImageSet;
let bytes: Uint8Array;

beforeAll(async () => {
  const set = await mnist();
  test = data.subset(set, [...Array(12).keys()]);
  // The latent score: these tests read ẑ and the running statistics ('knn' is covered in export.test.ts).
  model = await Ganomaly.create({ backend: 'wasm', imageSize: 16, channels: 1, baseWidth: 8, latentDim: 8, seed: 3, scoreVariant: 'mse' });
  await model.fit(data.subset(set, [...Array(32).keys()].map((i) => 50 + i)), { epochs: 1, batchSize: 16 });
  bytes = await model.exportOnnx();
}, 120_000);
afterAll(() => model?.dispose());

describe('outputs and modes', () => {
  it("z, ẑ and x̂ on request equal the library's codes and reconstruction", async () => {
    const full = await model.exportOnnx({ outputs: ['z', 'zHat', 'xHat'] });
    expect(readOnnxModelInfo(full).outputs).toEqual(['score', 'z', 'z_hat', 'x_hat']);
    const session = await ort.InferenceSession.create(full);
    const t = data.preprocess(test, { imageSize: 16, channels: 1 });
    const pixels = Float32Array.from(await t.data(), (v) => (v + 1) * 127.5);
    t.dispose();
    const out = await session.run({ images: new ort.Tensor('float32', pixels, [test.count, 16, 16, 1]) });
    expect(out['z']!.dims).toEqual([test.count, 8]);
    const rec = await model.reconstruct(test);
    const want = await rec.data();
    rec.dispose();
    const got = out['x_hat']!.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
    expect(worst).toBeLessThan(1e-3); // on the 0..255 scale
    // The score is the mean squared difference of the two codes the graph also outputs.
    const z = out['z']!.data as Float32Array;
    const zh = out['z_hat']!.data as Float32Array;
    const own = Array.from({ length: test.count }, (_, i) => z.slice(i * 8, i * 8 + 8).reduce((a, v, k) => a + (v - zh[i * 8 + k]!) ** 2, 0) / 8);
    expect(worstRelative(own, out['score']!.data as Float32Array)).toBeLessThan(1e-4);
    await session.release();
  });

  it("'running' exports the running averages: its scores equal score({ batchNormMode: 'running' })", async () => {
    const running = await model.exportOnnx({ batchNormMode: 'running' });
    expect(readOnnxModelInfo(running).batchNormStatistics).toBe('running');
    const scorer = await OnnxScorer.load(running);
    const want = await model.score(test, { batchNormMode: 'running' });
    expect(worstRelative(await scorer.score(test), want)).toBeLessThan(1e-4);
    // ... and they are not the population scores (so the comparison above is not vacuous).
    expect(worstRelative(await model.score(test), want)).toBeGreaterThan(1e-3);
    await scorer.dispose();
  });

  it("'batch' cannot be exported and says why", async () => {
    await expect(model.exportOnnx({ batchNormMode: 'batch' })).rejects.toThrow(/'batch' normalises by the statistics of the batch/);
  });

  it('an uncalibrated export has only the score; predict says to calibrate', async () => {
    const scorer = await OnnxScorer.load(bytes);
    expect(scorer.info.outputs).toEqual(['score']);
    await expect(scorer.predict(test)).rejects.toBeInstanceOf(NotCalibratedError);
    await scorer.dispose();
    await expect(scorer.score(test)).rejects.toThrow(/disposed/);
  });

  it('float32AtLeast keeps s >= threshold exact in float32', () => {
    for (const t of [0.1, 1 / 3, 1e-7, 123.456, -0.1, 2]) {
      const f = float32AtLeast(t);
      expect(f).toBeGreaterThanOrEqual(t);
      expect(Math.fround(f)).toBe(f);
      // No float32 lies in [t, f): the one just below f is below t.
      const below = new Float32Array([f]);
      const bits = new Int32Array(below.buffer);
      bits[0] = f > 0 ? bits[0]! - 1 : bits[0]! + 1;
      if (f !== t) expect(below[0]!).toBeLessThan(t);
    }
  });
});

describe('bad input', () => {
  it('a truncated file is a ModelFormatError, from ONNX Runtime never reached', async () => {
    for (const cut of [bytes.length - 1, Math.floor(bytes.length / 2), 10]) {
      const err = await OnnxScorer.load(bytes.subarray(0, cut)).catch((e: unknown) => e);
      expect(err, `cut at ${cut}`).toBeInstanceOf(ModelFormatError);
      expect((err as Error).message).toMatch(/truncated|not a valid ONNX|corrupt/);
    }
  });

  it('corrupt bytes, an empty file and a missing file are clear errors', async () => {
    const junk = new Uint8Array(bytes.length);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 2654435761) >>> 24;
    await expect(OnnxScorer.load(junk)).rejects.toBeInstanceOf(ModelFormatError);
    await expect(OnnxScorer.load(new Uint8Array(0))).rejects.toThrow(/empty/);
    await expect(OnnxScorer.load('/nonexistent/model.onnx')).rejects.toThrow(/cannot read \/nonexistent\/model.onnx/);
  });

  it('an ONNX model that is not a GANomaly scorer is refused by name', async () => {
    const { ModelProto } = await import('../src/proto.js');
    const m = ModelProto.toObject(ModelProto.decode(bytes)) as { metadataProps: unknown[] };
    m.metadataProps = [];
    const foreign = ModelProto.encode(ModelProto.fromObject(m)).finish();
    await expect(OnnxScorer.load(foreign)).rejects.toThrow(/not a GANomaly scorer/);
  });

  it("a graph whose input is not the size or channels its metadata says is refused", async () => {
    const { ModelProto } = await import('../src/proto.js');
    const m = ModelProto.toObject(ModelProto.decode(bytes)) as { metadataProps: { key: string; value: string }[] };
    const meta = JSON.parse(m.metadataProps[0]!.value);
    m.metadataProps[0]!.value = JSON.stringify({ ...meta, imageSize: 32, channels: 3 });
    const other = ModelProto.encode(ModelProto.fromObject(m)).finish();
    await expect(OnnxScorer.load(other)).rejects.toThrow(/the graph's input is \[n, 16, 16, 1\], but its metadata says \[n, 32, 32, 3\]/);
  });

  it('images of another size or channel count are resized as Ganomaly does; raw arrays must fit the model', async () => {
    const scorer = await OnnxScorer.load(bytes);
    const want = await model.score(test);
    // 28x28 MNIST tensor, and as 3 channels: converted like the library converts them.
    const t = data.toTensor(test);
    const rgb = tf.tile(t, [1, 1, 1, 3]) as tf.Tensor4D;
    expect(worstRelative(await scorer.score(t), want)).toBeLessThan(1e-4);
    expect(worstRelative(await scorer.score(rgb), await model.score(rgb))).toBeLessThan(1e-4);
    tf.dispose([t, rgb]);
    // A raw array is taken at the model's size: 28x28 pixels do not fit a 16x16 model.
    await expect(scorer.score(new Float32Array(28 * 28))).rejects.toThrow(/multiple of 16x16x1 = 256 values/);
    await expect(scorer.score(new Float32Array(256).fill(300))).rejects.toThrow(/within 0..255/);
    await expect(scorer.score('x' as never)).rejects.toBeInstanceOf(ValueError);
    await scorer.dispose();
  });

  it('a custom encoder layer with no ONNX mapping is named in the error', async () => {
    registerEncoder({
      name: 'onnx-test-pooling',
      build: (o) => {
        const input = tfl.input({ shape: [o.imageSize, o.imageSize, o.channels] });
        let x = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: `${o.name}_conv` }).apply(input) as tfl.SymbolicTensor;
        x = tfl.layers.maxPooling2d({ poolSize: 4, name: `${o.name}_pool` }).apply(x) as tfl.SymbolicTensor;
        const z = tfl.layers.conv2d({ filters: o.latentDim, kernelSize: o.imageSize / 4, padding: 'valid', name: `${o.name}_final` }).apply(x) as tfl.SymbolicTensor;
        return tfl.model({ inputs: input, outputs: z, name: o.name });
      },
    });
    const m = await Ganomaly.create({ backend: 'wasm', imageSize: 16, channels: 1, baseWidth: 8, latentDim: 8, encoder: 'onnx-test-pooling', scoreVariant: 'mse' });
    try {
      await expect(m.exportOnnx()).rejects.toThrow(/layer '\w+_pool' \(MaxPooling2D\) of network '\w+' has no ONNX mapping/);
    } finally {
      m.dispose();
    }
  });
});
