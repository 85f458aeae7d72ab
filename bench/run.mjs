#!/usr/bin/env node
// `npm run bench`: training and scoring throughput of every installed backend of this library and
// of the PyTorch GANomaly in bench/pytorch (same architecture, losses and optimiser), side by side
// on this machine. Batch 64, 32x32x1, nz 100, widths 64 (GANomaly's defaults).
//
//   npm run bench                  full: 3 timed runs per system, medians reported
//   npm run bench -- --quick       under 5 minutes: fewer steps; on the slow cpu backend 1 run, no warm-up step, no ScoringPool
//   npm run bench -- --backends wasm --no-pytorch
//   npm run bench -- --backends node --rounds 3      node and PyTorch alternately, 3 rounds, medians
//   npm run bench -- --debian-torch                  also Debian's python3-torch (1.13), a second row
//
// PyTorch is today's: torch 2.13 in the project's .venv (`npm run setup:python`); without .venv
// the PyTorch rows are skipped and the reason printed. --debian-torch adds /usr/bin/python3's torch
// (Debian's python3-torch, 1.13) where it is installed.
//
// Writes bench/results/latest.json: one entry per system with system, backend, train_img_per_s,
// score_img_per_s, peak_rss_mb, train_step_ms_median, num_tensors_before/after; on machines with
// more than one core, a second wasm entry trains with fit({ workers: cores }) (train_workers;
// training only, score_img_per_s null).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: a } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    backends: { type: 'string' },
    'no-pytorch': { type: 'boolean', default: false },
    ngf: { type: 'string', default: '64' },
    batch: { type: 'string', default: '64' },
    out: { type: 'string', default: path.join(here, 'results', 'latest.json') },
    rounds: { type: 'string', default: '1' },
    'debian-torch': { type: 'boolean', default: false },
  },
});

const quick = a.quick;
const rounds = Math.max(1, Number(a.rounds));
const venvPython = path.join(path.dirname(here), '.venv', 'bin', 'python');
const debianPython = '/usr/bin/python3';

/** Backends this library can select here: tries each in a child process (tfjs state is global). */
function installedBackends() {
  const names = a.backends ? a.backends.split(',') : ['node-gpu', 'node', 'webgpu', 'wasm', 'cpu'];
  return names.filter((name) => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import { useBackend } from '@ganomaly/core'; await useBackend(${JSON.stringify(name)});`], {
      cwd: path.dirname(here),
      encoding: 'utf8',
    });
    if (r.status !== 0) console.log(`skip ${name}: ${(r.stderr.match(/(is not installed[^\n]*|failed to load[^\n]*)/) ?? ['not available'])[0]}`);
    return r.status === 0;
  });
}

/** Whether WebGPU's adapter here is a software one (llvmpipe): decides how long to time it. */
function webgpuIsSoftware() {
  const r = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', "import { findAdapter, isSoftwareAdapter } from '@ganomaly/backend-webgpu'; const a = await findAdapter(); console.log(a && isSoftwareAdapter(a) ? 'software' : 'hardware');"],
    { cwd: path.dirname(here), encoding: 'utf8' },
  );
  return r.stdout.includes('software');
}
let softwareWebgpu = false;

function lastJson(stdout) {
  const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  return line ? JSON.parse(line) : null;
}

function runJs(backend, extra = [], env = {}) {
  // The pure-JS cpu backend, and webgpu on a software adapter, are far slower than wasm: fewer
  // steps keep them bounded.
  const slow = backend === 'cpu' || (backend === 'webgpu' && softwareWebgpu);
  // --quick on the pure-JS cpu backend: no warm-up step (its kernels need no compiling; a step
  // at widths 64 takes over a minute) and no ScoringPool row, so that --quick stays under 5 minutes.
  const args = quick
    ? slow ? ['--warmup', backend === 'cpu' ? '0' : '1', '--iters', '1', '--runs', '1', '--score-iters', '1'] : ['--warmup', '1', '--iters', '3', '--runs', '2', '--score-iters', '2']
    : slow ? ['--warmup', '1', '--iters', '2', '--runs', '2', '--score-iters', '2'] : ['--warmup', '2', '--iters', '5', '--runs', '3', '--score-iters', '4'];
  // Scoring on every core with ScoringPool (one thread each): on cpu, and on one-thread wasm (a
  // wasm process with XNNPACK threads already scores on every core), not in --quick.
  const pool = !quick && (backend === 'cpu' || (backend === 'wasm' && env.GANOMALY_WASM_THREADS === '1')) ? ['--pool', String(os.availableParallelism())] : [];
  const r = spawnSync(process.execPath, [path.join(here, 'js-bench.mjs'), '--backend', backend, '--ngf', a.ngf, '--batch', a.batch, ...args, ...pool, ...extra], {
    cwd: path.dirname(here),
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const result = lastJson(r.stdout);
  if (r.status !== 0 || !result) throw new Error(`bench of ${backend} failed:\n${r.stderr.slice(-2000)}`);
  return result;
}

/** torch's version under `python`, or null with the reason printed. */
function torchVersion(python, label) {
  if (!existsSync(python)) {
    console.log(`skip ${label}: no ${path.relative(process.cwd(), python) || python} (${python === venvPython ? 'npm run setup:python makes it' : "Debian: apt-get install python3-torch"})`);
    return null;
  }
  const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.log(`skip ${label}: ${python} cannot import torch (${(r.stderr.trim().split('\n').pop() ?? '').slice(0, 200)})`);
    return null;
  }
  return r.stdout.trim();
}

function runTorch(python) {
  const args = quick ? ['--warmup', '1', '--iters', '3', '--runs', '2', '--score-iters', '2'] : ['--warmup', '2', '--iters', '5', '--runs', '3', '--score-iters', '4'];
  const r = spawnSync(python, [path.join(here, 'pytorch', 'ganomaly.py'), 'bench', '--ngf', a.ngf, '--batch', a.batch, '--threads', String(os.availableParallelism()), ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const result = lastJson(r.stdout);
  if (r.status !== 0 || !result) throw new Error(`PyTorch bench (${python}) failed:\n${r.stderr.slice(-2000)}`);
  return { ...result, system: `PyTorch ${result.torch.replace(/\+.*/, '')}` };
}

const started = Date.now();
const backends = installedBackends();
if (backends.includes('webgpu')) softwareWebgpu = webgpuIsSoftware();
const cores = os.availableParallelism();
/** Every system to measure, as a thunk; run in alternation `rounds` times. */
const systems = [];
for (const backend of backends) {
  systems.push({ label: `@ganomaly on ${backend}`, run: () => runJs(backend) });
  if (backend === 'wasm' && cores > 1) {
    // The same on one XNNPACK thread, as tfjs runs it in Node by itself.
    systems.push({ label: `@ganomaly on ${backend}, one thread`, run: () => runJs(backend, [], { GANOMALY_WASM_THREADS: '1' }) });
    // Data-parallel training, fit({ workers }): one thread per core, so XNNPACK's threads off.
    systems.push({
      label: `@ganomaly on ${backend}, fit({ workers: ${cores} })`,
      run: () => runJs(backend, ['--workers', String(cores), '--skip-score', '--pool', '0'], { GANOMALY_WASM_THREADS: '1' }),
    });
  }
}
let torchIndex = -1;
if (!a['no-pytorch']) {
  const v = torchVersion(venvPython, 'PyTorch (.venv)');
  if (v) {
    torchIndex = systems.length;
    systems.push({ label: `PyTorch ${v} (.venv) GANomaly on the CPU`, run: () => runTorch(venvPython) });
  }
  if (a['debian-torch']) {
    const d = torchVersion(debianPython, "Debian's PyTorch");
    if (d) systems.push({ label: `PyTorch ${d} (Debian) GANomaly on the CPU`, run: () => runTorch(debianPython) });
  }
}
const median = (xs) => {
  const v = xs.filter((x) => x != null).sort((p, q) => p - q);
  return v.length ? v[Math.floor((v.length - 1) / 2)] : null;
};
const perSystem = systems.map(() => []);
for (let round = 0; round < rounds; round++) {
  // Alternate: each round runs every system once, starting one further along each time.
  for (let k = 0; k < systems.length; k++) {
    const i = (k + round) % systems.length;
    console.log(`${systems[i].label}${rounds > 1 ? ` (round ${round + 1} of ${rounds})` : ''} ...`);
    perSystem[i].push(systems[i].run());
  }
}
/** One entry per system: its first run's record with the rounds' medians (and each round's figures). */
const results = perSystem.map((runs) => ({
  ...runs[0],
  train_img_per_s: median(runs.map((r) => r.train_img_per_s)),
  score_img_per_s: median(runs.map((r) => r.score_img_per_s)),
  ...(runs.length > 1 ? { rounds: runs.map((r) => ({ train_img_per_s: r.train_img_per_s, score_img_per_s: r.score_img_per_s })) } : {}),
}));
const torch = torchIndex >= 0 ? results[torchIndex] : null;
if (!a['no-pytorch'] && !torch) console.log('No PyTorch comparison (see above).');

// ONNX Runtime row (bench/onnx/score.mjs): the exported scorer on onnxruntime-node, scoring only.
// Its own run also times PyTorch beside it (alternating rounds); see that script for the ratio.
if (existsSync(path.join(path.dirname(here), 'node_modules/onnxruntime-node'))) {
  console.log('@ganomaly/onnx on onnxruntime-node (scoring) ...');
  const r = spawnSync(process.execPath, [path.join(here, 'onnx', 'score.mjs'), '--rounds', quick ? '2' : '3', '--batch', '256', '--no-pytorch', '--isize', '32', '--nz', '100', '--ngf', a.ngf], { cwd: path.dirname(here), encoding: 'utf8' });
  const o = lastJson(r.stdout);
  if (r.status !== 0 || !o) console.log(`onnxruntime-node bench failed: ${r.stderr.slice(-500)}`);
  else results.push({ system: 'onnxruntime-node', backend: `cpu (ORT ${o.onnxruntime_node.version})`, train_img_per_s: null, score_img_per_s: o.onnxruntime_node.median, peak_rss_mb: null, num_tensors_before: null });
} else console.log('skip onnxruntime-node: not installed');

const fmt = (v, d = 1) => (v == null ? '-' : v.toFixed(d));
const rows = results
  .map((r) => (r.wasm_threads ? { ...r, backend: `${r.backend} (${r.wasm_threads} thread${r.wasm_threads > 1 ? 's' : ''})` } : r))
  .map((r) => (r.train_workers > 1 ? { ...r, backend: `${r.backend} + fit({ workers: ${r.train_workers} })` } : r))
  .flatMap((r) => (r.score_pool_img_per_s ? [r, { ...r, backend: `${r.backend} + ScoringPool(${r.pool_workers})`, score_img_per_s: r.score_pool_img_per_s, train_img_per_s: null, peak_rss_mb: null, num_tensors_before: null }] : [r]))
  .map((r) => ({
  system: r.system,
  backend: r.backend,
  train: r.train_img_per_s,
  score: r.score_img_per_s,
  rss: r.peak_rss_mb,
  trainRatio: torch && r.train_img_per_s != null ? r.train_img_per_s / torch.train_img_per_s : null,
  scoreRatio: torch && r.score_img_per_s != null ? r.score_img_per_s / torch.score_img_per_s : null,
  tensors: r.num_tensors_before != null ? `${r.num_tensors_before} -> ${r.num_tensors_after}` : '-',
}));
console.log('\n| system | backend | train img/s | score img/s | train vs PyTorch | score vs PyTorch | peak RSS MB | tf tensors before -> after training |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |');
for (const r of rows) {
  console.log(`| ${r.system} | ${r.backend} | ${fmt(r.train)} | ${fmt(r.score)} | ${fmt(r.trainRatio, 2)} | ${fmt(r.scoreRatio, 2)} | ${fmt(r.rss, 0)} | ${r.tensors} |`);
}
const machine = {
  cpus: os.cpus().length,
  cpu_model: os.cpus()[0]?.model,
  memory_gb: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  platform: `${os.platform()} ${os.release()}`,
  load_avg_1min: os.loadavg()[0],
};
mkdirSync(path.dirname(a.out), { recursive: true });
writeFileSync(
  a.out,
  JSON.stringify({ date: new Date().toISOString(), quick, rounds, seconds: (Date.now() - started) / 1000, machine, config: { isize: 32, nc: 1, nz: 100, ngf: Number(a.ngf), batch: Number(a.batch) }, results }, null, 2) + '\n',
);
console.log(`\n${results.length} systems in ${((Date.now() - started) / 1000).toFixed(0)} s; written to ${path.relative(process.cwd(), a.out)}`);
const leaks = results.filter((r) => r.num_tensors_before != null && r.num_tensors_after !== r.num_tensors_before);
if (leaks.length) {
  console.error(`tf.memory().numTensors grew during training on: ${leaks.map((r) => r.backend).join(', ')}`);
  process.exit(1);
}
