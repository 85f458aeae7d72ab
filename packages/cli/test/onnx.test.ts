// `ganomaly export` and `ganomaly score --engine onnx`: the ONNX engine's rows equal the tfjs ones.
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOnnxModelInfo } from '@ganomaly/onnx';
import { EXIT } from '../src/io.js';
import { SMALL, cli, writeLayout } from './helpers.js';

let dir: string;
let layout: string;
let model: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ganomaly-cli-onnx-'));
  layout = path.join(dir, 'layout');
  model = path.join(dir, 'model');
  await writeLayout(layout, { train: 40, testNormal: 8, testAbnormal: 8, testZero: 4 });
  const t = await cli(['train', layout, '--out', model, ...SMALL.map((a) => (a === '3' ? '1' : a))], dir);
  expect(t.code, t.stderr).toBe(0);
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

function rows(csv: string): { file: string; score: number; normalized: number; anomaly: string }[] {
  return csv.trim().split('\n').slice(1).map((l) => {
    const [file, score, normalized, anomaly] = l.split(',');
    return { file: file!, score: Number(score), normalized: Number(normalized), anomaly: anomaly! };
  });
}

describe('ganomaly export / score --engine onnx', () => {
  it('exports an .onnx file whose scores (and flags) equal the tfjs engine\'s', async () => {
    const file = path.join(dir, 'out/model.onnx');
    const e = await cli(['export', model, '--out', file, '--outputs', 'z,zhat'], dir);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stderr).toMatch(/wrote out\/model.onnx \(\d+\.\d\d MB\): input \[n, 16, 16, 1\]/);
    const images = path.join(layout, 'test');
    const tfjs = await cli(['score', model, images, '-r', '--backend', 'wasm'], dir);
    const onnx = await cli(['score', file, images, '-r', '--engine', 'onnx'], dir);
    const inMemory = await cli(['score', model, images, '-r', '--engine', 'onnx', '--backend', 'wasm'], dir);
    for (const r of [tfjs, onnx, inMemory]) expect(r.code, r.stderr).toBe(0);
    const [a, b, c] = [rows(tfjs.stdout), rows(onnx.stdout), rows(inMemory.stdout)];
    expect(a).toHaveLength(20);
    for (let i = 0; i < a.length; i++) {
      expect(b[i]!.file).toBe(a[i]!.file);
      expect(Math.abs(b[i]!.score - a[i]!.score)).toBeLessThanOrEqual(1e-4 * Math.abs(a[i]!.score));
      expect(Math.abs(c[i]!.score - a[i]!.score)).toBeLessThanOrEqual(1e-4 * Math.abs(a[i]!.score));
      expect(Math.abs(b[i]!.normalized - a[i]!.normalized)).toBeLessThanOrEqual(1e-4 * Math.abs(a[i]!.normalized) + 1e-6);
      expect(b[i]!.anomaly).toBe(a[i]!.anomaly);
    }
  });

  it('--quantize int8 --calibration writes an 8-bit export that scores close to the float one', async () => {
    const file = path.join(dir, 'out/model.int8.onnx');
    const e = await cli(['export', model, '--out', file, '--quantize', 'int8', '--calibration', path.join(layout, 'train'), '-r'], dir);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stderr).toMatch(/wrote out\/model.int8.onnx \(\d+\.\d\d MB, int8 convolutions\)/);
    const images = path.join(layout, 'test');
    const float = await cli(['score', path.join(dir, 'out/model.onnx'), images, '-r', '--engine', 'onnx'], dir);
    const int8 = await cli(['score', file, images, '-r', '--engine', 'onnx'], dir);
    for (const r of [float, int8]) expect(r.code, r.stderr).toBe(0);
    const [a, b] = [rows(float.stdout), rows(int8.stdout)];
    expect(b.map((r) => r.file)).toEqual(a.map((r) => r.file));
    const scale = Math.max(...a.map((r) => r.score)) - Math.min(...a.map((r) => r.score));
    // Close, not equal: within a tenth of the scores' spread everywhere.
    for (let i = 0; i < a.length; i++) expect(Math.abs(b[i]!.score - a[i]!.score)).toBeLessThan(0.1 * scale);
    expect(readOnnxModelInfo(new Uint8Array(await readFile(file))).quantization).toMatchObject({ type: 'int8-qdq', calibrationImages: 40 });
    const noCal = await cli(['export', model, '--out', 'x.onnx', '--quantize', 'int8'], dir);
    expect(noCal.code).toBe(EXIT.usage);
    expect(noCal.stderr).toMatch(/--quantize int8 needs --calibration IMAGES/);
    const bits = await cli(['export', model, '--out', 'x.onnx', '--quantize', 'int4', '--calibration', layout], dir);
    expect(bits.code).toBe(EXIT.usage);
    const stray = await cli(['export', model, '--out', 'x.onnx', '--calibration', layout], dir);
    expect(stray.stderr).toMatch(/--calibration is for --quantize int8/);
    const empty = path.join(dir, 'empty');
    await mkdir(empty, { recursive: true });
    const none = await cli(['export', model, '--out', 'x.onnx', '--quantize', 'int8', '--calibration', empty], dir);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/empty|no images/i);
    expect(await readdir(dir)).not.toContain('x.onnx');
  });

  it('bad command lines and bad files exit with clear messages', async () => {
    const images = path.join(layout, 'test/normal');
    const noOut = await cli(['export', model], dir);
    expect(noOut.code).toBe(EXIT.usage);
    expect(noOut.stderr).toMatch(/--out FILE.onnx is required/);
    const fmt = await cli(['export', model, '--out', 'x.onnx', '--format', 'tflite'], dir);
    expect(fmt.code).toBe(EXIT.usage);
    const outs = await cli(['export', model, '--out', 'x.onnx', '--outputs', 'w'], dir);
    expect(outs.stderr).toMatch(/unknown output 'w'/);
    const engine = await cli(['score', model, images, '--engine', 'tensorrt'], dir);
    expect(engine.code).toBe(EXIT.usage);
    // A truncated .onnx file: a model error (4), not a crash.
    const good = await readFile(path.join(dir, 'out/model.onnx'));
    const cut = path.join(dir, 'cut.onnx');
    await writeFile(cut, good.subarray(0, Math.floor(good.length * 0.6)));
    const r = await cli(['score', cut, images, '--engine', 'onnx'], dir);
    expect(r.code).toBe(EXIT.model);
    expect(r.stderr).toMatch(/cut.onnx is not a usable ONNX scorer: .*(truncated|not a valid ONNX)/);
    const missing = await cli(['score', path.join(dir, 'none.onnx'), images, '--engine', 'onnx'], dir);
    expect(missing.code).toBe(EXIT.model);
    // --out inside the model folder (over its model.json, or a new file there) is refused: one line.
    const json = await readFile(path.join(model, 'model.json'));
    for (const target of [path.join(model, 'model.json'), path.join(model, 'x.onnx'), model]) {
      const inside = await cli(['export', model, '--out', target], dir);
      expect(inside.code, inside.stderr).toBe(EXIT.usage);
      expect(inside.stderr).toMatch(/--out .* is inside the model folder/);
      expect(inside.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect((await readFile(path.join(model, 'model.json'))).equals(json)).toBe(true);
    expect((await readdir(model)).some((f) => f.includes('.onnx') || f.includes('.part') || f.includes('.tmp-'))).toBe(false);
  });
});
