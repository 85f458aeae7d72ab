// How far WebAssembly can go on this machine: the convolution work of one GANomaly training
// step and of scoring (counted from tf.profile's kernel shapes), the best rate XNNPACK's WASM
// SIMD kernels reach here (a large matrix product, on 1 and on all threads), and the throughput
// those give if every other cost were zero. Compared with the same counts at PyTorch's measured
// throughput, when latest.json has it.
//   node bench/roofline.mjs [--ngf 64] [--batch 64]
// Each thread count runs in its own process (XNNPACK's pool is fixed when the backend starts).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: a } = parseArgs({ options: { ngf: { type: 'string', default: '64' }, batch: { type: 'string', default: '64' }, child: { type: 'string' } } });

if (a.child === 'peak') {
  // Best XNNPACK rate: a 1024^3 matrix product (BatchMatMul on XNNPACK's GEMM).
  const tf = await import('@tensorflow/tfjs-core');
  const { useBackend } = await import('@ganomaly/core');
  await useBackend('wasm');
  const n = 1024;
  const x = tf.randomNormal([n, n]);
  const y = tf.randomNormal([n, n]);
  const once = () => {
    const t = performance.now();
    const z = tf.matMul(x, y);
    z.dataSync();
    z.dispose();
    return performance.now() - t;
  };
  for (let i = 0; i < 3; i++) once();
  const times = Array.from({ length: 10 }, once).sort((p, q) => p - q);
  console.log(JSON.stringify({ gflops: (2 * n ** 3) / times[0] / 1e6 }));
  process.exit(0);
}

if (a.child === 'work') {
  // Convolution FLOPs of one training step and of scoring one image, from the kernels' shapes.
  const tf = await import('@tensorflow/tfjs-core');
  const { Ganomaly } = await import('@ganomaly/core');
  // White-box: one training step, from the built package's internal training module.
  const { trainStep } = await import('../packages/core/dist/training.js');
  const batch = Number(a.batch);
  const m = await Ganomaly.create({ imageSize: 32, channels: 1, latentDim: 100, baseWidth: Number(a.ngf), backend: 'wasm', scoreVariant: 'mse' }); // the whole chain, untrained
  const x = tf.randomUniform([batch, 32, 32, 1], 0, 255);
  await m.fit(x, { epochs: 1, batchSize: batch });
  const count = (kernels) => {
    let flops = 0;
    let ms = 0;
    let allMs = 0;
    for (const k of kernels) {
      allMs += k.kernelTimeMs;
      const conv = ['Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'].includes(k.name);
      if (!conv) continue;
      // 2 * (output positions) * (taps * input channels) for all four: the same multiply-adds.
      const [filter, big] =
        k.name === 'Conv2DBackpropFilter' ? [k.outputShapes[0], k.inputShapes[1]] : k.name === 'Conv2DBackpropInput' ? [k.inputShapes[1], k.inputShapes[0]] : [k.inputShapes[1], k.outputShapes[0]];
      const [kh, kw, ci] = filter;
      flops += 2 * big[0] * big[1] * big[2] * big[3] * kh * kw * ci;
      ms += k.kernelTimeMs;
    }
    return { flops, convMs: ms, allMs };
  };
  const nx = tf.sub(tf.div(x, 127.5), 1);
  const train = count((await tf.profile(async () => { const l = tf.tidy(() => trainStep(m['state'], m.networks, nx)); await l.data(); l.dispose(); })).kernels);
  const score = count((await tf.profile(async () => { await m.score(x, { batchSize: batch }); })).kernels);
  console.log(JSON.stringify({ trainFlopsPerImage: train.flops / batch, scoreFlopsPerImage: score.flops / batch, trainConvGflops: train.flops / train.convMs / 1e6, trainConvShare: train.convMs / train.allMs }));
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
const child = (kind, threads) => {
  const r = spawnSync(process.execPath, [self, '--child', kind, '--ngf', a.ngf, '--batch', a.batch], {
    env: { ...process.env, GANOMALY_WASM_THREADS: String(threads) },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`${kind} (${threads} threads) failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
};
const cores = Math.min(availableParallelism(), 8);
const work = child('work', 1);
const peak1 = child('peak', 1).gflops;
const peakN = cores > 1 ? child('peak', cores).gflops : peak1;
// The same matrix product in PyTorch (native code: AVX2/AVX-512 where the CPU has them).
// PyTorch 2.13 from the project's .venv (npm run setup:python); skipped, and said, without it.
const venvPython = fileURLToPath(new URL('../.venv/bin/python', import.meta.url));
if (!existsSync(venvPython)) console.log(`no ${venvPython} (npm run setup:python makes it): PyTorch's rate is left out`);
const py = spawnSync(existsSync(venvPython) ? venvPython : 'false', ['-c', `
import time, torch
torch.set_num_threads(${cores})
x = torch.randn(1024, 1024); y = torch.randn(1024, 1024)
for _ in range(3): x @ y
ts = []
for _ in range(10):
    t = time.perf_counter(); x @ y; ts.append(time.perf_counter() - t)
print(2 * 1024 ** 3 / min(ts) / 1e9)`], { encoding: 'utf8' });
const torchPeak = py.status === 0 ? Number(py.stdout.trim()) : null;
const latest = fileURLToPath(new URL('./results/latest.json', import.meta.url));
const torch = existsSync(latest) ? JSON.parse(readFileSync(latest, 'utf8')).results?.find((r) => /pytorch/i.test(r.system ?? '')) : undefined;
const f = (v, d = 1) => v.toFixed(d);
console.log(`convolution work per image: training ${f(work.trainFlopsPerImage / 1e6)} MFLOP (one step of this library), scoring ${f(work.scoreFlopsPerImage / 1e6)} MFLOP`);
console.log(`in a training step on 1 thread, convolutions take ${f(100 * work.trainConvShare, 0)}% of the kernel time, at ${f(work.trainConvGflops)} GFLOP/s`);
console.log(`XNNPACK's best rate here (1024^3 matrix product): ${f(peak1)} GFLOP/s on 1 thread, ${f(peakN)} on ${cores}`);
if (torchPeak) console.log(`PyTorch's rate for the same product: ${f(torchPeak)} GFLOP/s on ${cores} thread(s), ${f(torchPeak / peakN)}x XNNPACK's`);
console.log(`bound with nothing but convolutions at that rate on ${cores} thread(s): training ${f(peakN * 1e9 / work.trainFlopsPerImage)} img/s, scoring ${f(peakN * 1e9 / work.scoreFlopsPerImage)} img/s`);
if (torch) {
  console.log(
    `PyTorch measured ${f(torch.train_img_per_s)} / ${f(torch.score_img_per_s)} img/s; the targets (1.5x, 2x) need ${f(1.5 * torch.train_img_per_s)} / ${f(2 * torch.score_img_per_s)} img/s: ` +
      `${f((1.5 * torch.train_img_per_s * work.trainFlopsPerImage) / 1e9)} / ${f((2 * torch.score_img_per_s * work.scoreFlopsPerImage) / 1e9)} GFLOP/s of convolutions alone`,
  );
}
