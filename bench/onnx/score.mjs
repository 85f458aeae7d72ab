#!/usr/bin/env node
// Scoring throughput: this library's exported scorer on ONNX Runtime (onnxruntime-node, OnnxScorer)
// against PyTorch's eager scoring of the same architecture (bench/pytorch/ganomaly.py, .venv's
// torch), side by side in one run: the two alternate, round after round, on the same batch size
// and thread count; medians and the ratio are reported.
//
//   node bench/onnx/score.mjs [--rounds 5] [--batch 256] [--iters 4] [--threads N] [--isize 32] [--nc 1] [--native] [--int8]
//
// --native also times the graph exported with convTranspose: 'native' (ConvTranspose nodes) in the
// same rounds, to compare it with the default sub-pixel form. --save PATH writes the exported graph
// (and PATH with .native.onnx for --native) for bench/onnx/ort_profile.py, ONNX Runtime's per-op profile.
// --int8 also times the export quantized by quantizeOnnx (8-bit convolutions; calibrated here on
// 256 random images, as the weights are untrained: a speed figure, not a quality one).
//
// Prints one JSON line at the end: { onnxruntime_node: {...}, pytorch: {...}, ratio }.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Ganomaly } from '@ganomaly/core';
import { OnnxScorer, quantizeOnnx } from '@ganomaly/onnx';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const { values: a } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    batch: { type: 'string', default: '256' },
    iters: { type: 'string', default: '4' },
    threads: { type: 'string', default: String(os.availableParallelism()) },
    isize: { type: 'string', default: '32' },
    nc: { type: 'string', default: '1' },
    nz: { type: 'string', default: '100' },
    ngf: { type: 'string', default: '64' },
    'no-pytorch': { type: 'boolean', default: false },
    native: { type: 'boolean', default: false },
    int8: { type: 'boolean', default: false },
    save: { type: 'string' },
  },
});
const [rounds, batch, iters, threads, isize, nc, nz, ngf] = ['rounds', 'batch', 'iters', 'threads', 'isize', 'nc', 'nz', 'ngf'].map((k) => Number(a[k]));
function median(v) {
  const s = [...v].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// The latent score: the whole generator chain in the graph, as PyTorch's scorer runs it (a 'knn'
// graph holds the encoder alone, and needs a trained model's memory).
const model = await Ganomaly.create({ backend: 'wasm', imageSize: isize, channels: nc, latentDim: nz, baseWidth: ngf, scoreVariant: 'mse' });
const bytes = await model.exportOnnx();
const nativeBytes = a.native ? await model.exportOnnx({ convTranspose: 'native' }) : null;
model.dispose();
if (a.save) {
  writeFileSync(a.save, bytes);
  if (nativeBytes) writeFileSync(a.save.replace(/(\.onnx)?$/, '.native.onnx'), nativeBytes);
}
const scorer = await OnnxScorer.load(bytes, { runtime: 'node', threads });
const nativeScorer = nativeBytes ? await OnnxScorer.load(nativeBytes, { runtime: 'node', threads }) : null;
const calibration = Float32Array.from({ length: 256 * isize * isize * nc }, () => Math.floor(Math.random() * 256));
const int8Bytes = a.int8 ? await quantizeOnnx(bytes, calibration, { runtime: 'node', threads }) : null;
if (a.save && int8Bytes) writeFileSync(a.save.replace(/(\.onnx)?$/, '.int8.onnx'), int8Bytes);
const int8Scorer = int8Bytes ? await OnnxScorer.load(int8Bytes, { runtime: 'node', threads }) : null;
const pixels = new Float32Array(batch * isize * isize * nc);
for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) % 256;
await scorer.score(pixels, { batchSize: batch }); // warm-up
await nativeScorer?.score(pixels, { batchSize: batch });
await int8Scorer?.score(pixels, { batchSize: batch });
async function ortRun(sc = scorer) {
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) await sc.score(pixels, { batchSize: batch });
  return (batch * iters) / ((performance.now() - t0) / 1000);
}

const python = path.join(root, '.venv/bin/python');
let torch = null;
if (!a['no-pytorch']) {
  if (!existsSync(python)) console.error(`skip PyTorch: ${python} is missing (npm run setup:python)`);
  else {
    const child = spawn(python, [path.join(here, 'torch_score.py'), ...[isize, nc, nz, ngf, batch, iters, threads].map(String)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async () => {
      const { value, done } = await lines.next();
      if (done) throw new Error('the PyTorch process ended early');
      return JSON.parse(value);
    };
    const hello = await next();
    torch = { child, next, info: hello };
  }
}

const ort = [];
const pt = [];
const nat = [];
const q8 = [];
for (let r = 0; r < rounds; r++) {
  // Alternate which goes first, so that neither always runs on a machine the other just warmed.
  const order = r % 2 ? ['torch', 'int8', 'native', 'ort'] : ['ort', 'native', 'int8', 'torch'];
  for (const who of order) {
    if (who === 'ort') ort.push(await ortRun());
    else if (who === 'native') {
      if (nativeScorer) nat.push(await ortRun(nativeScorer));
    } else if (who === 'int8') {
      if (int8Scorer) q8.push(await ortRun(int8Scorer));
    }
    else if (torch) {
      torch.child.stdin.write('run\n');
      pt.push((await torch.next()).img_per_s);
    }
  }
  console.error(`round ${r + 1}/${rounds}: onnxruntime-node ${ort.at(-1).toFixed(1)} img/s${nativeScorer ? `, native ConvTranspose ${nat.at(-1).toFixed(1)} img/s` : ''}${int8Scorer ? `, int8 ${q8.at(-1).toFixed(1)} img/s` : ''}${torch ? `, pytorch ${pt.at(-1).toFixed(1)} img/s` : ''}`);
}
if (torch) torch.child.stdin.end();
await scorer.dispose();
await nativeScorer?.dispose();
await int8Scorer?.dispose();
const ortVersion = (await import('onnxruntime-node/package.json', { with: { type: 'json' } })).default.version;
const out = {
  config: { isize, nc, nz, ngf, batch, iters, rounds, threads },
  onnxruntime_node: { version: ortVersion, img_per_s: ort, median: median(ort) },
  onnxruntime_node_native_convtranspose: nativeScorer ? { img_per_s: nat, median: median(nat), subpixel_over_native: median(ort.map((v, i) => v / nat[i])) } : null,
  onnxruntime_node_int8: int8Scorer ? { img_per_s: q8, median: median(q8), over_float: median(q8.map((v, i) => v / ort[i])), ratio: torch ? median(q8) / median(pt) : null, round_ratio_median: torch ? median(q8.map((v, i) => v / pt[i])) : null } : null,
  pytorch: torch ? { version: torch.info.torch, threads: torch.info.threads, img_per_s: pt, median: median(pt) } : null,
  ratio: torch ? median(ort) / median(pt) : null,
  // Each round's two runs are neighbours in time: the median of their ratios is less sensitive to load swings.
  round_ratio_median: torch ? median(ort.map((v, i) => v / pt[i])) : null,
  load_avg_1min: os.loadavg()[0],
};
console.log(JSON.stringify(out));
