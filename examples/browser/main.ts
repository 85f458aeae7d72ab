// The browser demo: load a model trained in Node (or train one here), score dropped images with a
// threshold slider, show reconstructions and |x - x̂| heat maps, save to IndexedDB.
import * as tf from '@tensorflow/tfjs-core';
import { Ganomaly, AbortError, useBackend } from '@ganomaly/core';
import { setWasmPaths } from '@ganomaly/backend-wasm';
import { OnnxScorer } from '@ganomaly/onnx';
import * as ort from 'onnxruntime-web';

const IDB_URL = 'indexeddb://ganomaly-demo';
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

// The .wasm files are served next to the page (vite.config.ts copies them), so it works offline.
setWasmPaths(new URL('./wasm/', location.href).href);
// onnxruntime-web's .wasm files too (vite.config.ts copies them to ort/). One thread: more need
// a cross-origin isolated page (SharedArrayBuffer).
ort.env.wasm.wasmPaths = new URL('./ort/', location.href).href;
ort.env.wasm.numThreads = 1;

/** An exported ONNX scorer (ganomaly export), scored on onnxruntime-web beside (or instead of) tfjs. */
let onnx: OnnxScorer | null = null;

async function loadOnnx(url: string) {
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  // WebGPU where the browser has it, else wasm.
  const gpu = 'gpu' in navigator && (await (navigator as unknown as { gpu: { requestAdapter(): Promise<unknown> } }).gpu.requestAdapter().catch(() => null));
  let ep = gpu ? 'webgpu' : 'wasm';
  let scorer: OnnxScorer;
  try {
    scorer = await OnnxScorer.load(bytes, { runtime: ort as never, executionProviders: [ep] });
  } catch (e) {
    if (ep === 'wasm') throw e;
    ep = 'wasm';
    scorer = await OnnxScorer.load(bytes, { runtime: ort as never, executionProviders: [ep] });
  }
  await onnx?.dispose();
  onnx = scorer;
  const i = scorer.info;
  $('onnx-status').textContent = `${url} on onnxruntime-web (${ep}) · ${i.imageSize}x${i.imageSize}x${i.channels}, ${i.calibration ? 'calibrated' : 'not calibrated'}`;
  $('onnx-status').dataset.engine = ep;
}

let model: Ganomaly | null = null;
let scored: { name: string; score: number; row: HTMLTableRowElement }[] = [];

function setModel(m: Ganomaly, how: string) {
  model?.dispose();
  model = m;
  $('model-status').textContent = `${how} (${m.config.imageSize}x${m.config.imageSize}x${m.config.channels}, ${m.calibration ? 'calibrated' : 'not calibrated'})`;
  $('model-status').dataset.source = how;
  ($('save-idb') as HTMLButtonElement).disabled = false;
  ($('download') as HTMLButtonElement).disabled = false;
  if (m.calibration) {
    const slider = $('threshold') as HTMLInputElement;
    const { min, max } = m.calibration.normalization;
    slider.min = String(min);
    slider.max = String(max + (max - min));
    slider.step = String((max - min) / 1000 || 1e-6);
    slider.value = String(m.calibration.threshold);
  }
  updateVerdicts();
}

async function decode(file: File): Promise<tf.Tensor3D> {
  const bitmap = await createImageBitmap(file);
  return tf.browser.fromPixels(bitmap, 4); // RGBA; the model converts channels and size itself
}

function drawTo(canvas: HTMLCanvasElement, img: tf.Tensor3D) {
  canvas.width = img.shape[1];
  canvas.height = img.shape[0];
  return tf.browser.toPixels(img, canvas);
}

async function scoreFiles(files: File[]) {
  if (!model && !onnx) return alert('Load or train a model (or load an ONNX model) first.');
  const tbody = $('results').querySelector('tbody')!;
  for (const file of files) {
    const img = await decode(file);
    const onnxScore = onnx ? (await onnx.score(img))[0] : null;
    if (!model) {
      // ONNX only: the score, no reconstruction.
      const row = document.createElement('tr');
      row.dataset.name = file.name;
      row.dataset.onnxScore = String(onnxScore);
      row.dataset.score = String(onnxScore);
      row.innerHTML = `<td>${file.name}</td><td></td><td></td><td></td><td class="score">${onnxScore!.toExponential(3)}</td><td class="onnx-score">${onnxScore!.toExponential(3)}</td><td class="verdict"></td>`;
      tbody.append(row);
      scored.push({ name: file.name, score: onnxScore!, row });
      img.dispose();
      continue;
    }
    const [score] = await model.score(img);
    const recon = await model.reconstruct(img); // [1, s, s, c] in 0..255
    const views = tf.tidy(() => {
      const input = tf.squeeze(tf.image.resizeBilinear(tf.slice(img, [0, 0, 0], [-1, -1, 3]) as tf.Tensor3D, [model!.config.imageSize, model!.config.imageSize], false, true));
      const grey = model!.config.channels === 1 ? tf.mean(input, 2, true) : input;
      const r = tf.squeeze(recon, [0]);
      const diff = tf.abs(tf.sub(grey, r));
      const heat = tf.div(diff, tf.maximum(tf.max(diff), 1e-6)); // 0..1, red = large difference
      const heatRgb = tf.concat([heat, tf.mul(heat, 0.2), tf.sub(1, heat)], 2);
      return [tf.div(grey, 255), tf.div(r, 255), heatRgb].map((t) => tf.clipByValue(t, 0, 1)) as tf.Tensor3D[];
    });
    const row = document.createElement('tr');
    row.dataset.name = file.name;
    row.dataset.score = String(score);
    if (onnxScore !== null) row.dataset.onnxScore = String(onnxScore);
    row.innerHTML = `<td>${file.name}</td><td><canvas></canvas></td><td><canvas></canvas></td><td><canvas></canvas></td><td class="score">${score.toExponential(3)}</td><td class="onnx-score">${onnxScore === null ? '' : onnxScore.toExponential(3)}</td><td class="verdict"></td>`;
    const canvases = row.querySelectorAll('canvas');
    await Promise.all(views.map((v, i) => drawTo(canvases[i], v)));
    tbody.append(row);
    scored.push({ name: file.name, score, row });
    // Keep every score on the slider's scale, so any verdict can be reached.
    const slider = $('threshold') as HTMLInputElement;
    if (score >= Number(slider.max)) slider.max = String(score * 1.01);
    tf.dispose([img, recon, ...views]);
  }
  updateVerdicts();
  document.body.dataset.scored = String(scored.length);
}

function updateVerdicts() {
  const t = Number(($('threshold') as HTMLInputElement).value);
  $('threshold-value').textContent = t.toExponential(3);
  for (const s of scored) {
    const cell = s.row.querySelector('.verdict')!;
    const anomalous = s.score >= t;
    cell.textContent = anomalous ? 'anomaly' : 'normal';
    cell.className = `verdict ${anomalous ? 'anomaly' : 'normal'}`;
  }
}

let stop: AbortController | null = null;
async function train() {
  const files = [...(($('train-files') as HTMLInputElement).files ?? [])];
  if (files.length < 2) return alert('Pick at least two normal images.');
  const images = await Promise.all(files.map(decode));
  const batch = tf.tidy(() => tf.stack(images.map((i) => tf.image.resizeBilinear(i, [32, 32], false, true))) as tf.Tensor4D);
  tf.dispose(images);
  const m = await Ganomaly.create({ imageSize: 32, channels: 1, latentDim: 32, baseWidth: 16, backend: 'auto' });
  const epochs = Number(($('epochs') as HTMLInputElement).value) || 1;
  const progress = $('progress') as HTMLProgressElement;
  stop = new AbortController();
  ($('stop') as HTMLButtonElement).disabled = false;
  ($('train') as HTMLButtonElement).disabled = true;
  try {
    await m.fit(batch, {
      epochs,
      batchSize: Math.min(32, batch.shape[0]),
      signal: stop.signal,
      onBatchEnd: async (b) => {
        progress.value = (b.epoch - 1 + b.batch / b.batches) / epochs;
        $('train-log').textContent = `epoch ${b.epoch}/${epochs}, batch ${b.batch}/${b.batches}: loss G ${b.generatorLoss.toFixed(3)}, D ${b.discriminatorLoss.toFixed(4)}`;
        await new Promise((r) => setTimeout(r, 0)); // let the page paint between batches
      },
    });
    await m.calibrate(batch, { quantile: 0.95 });
    setModel(m, `trained here on ${files.length} images`);
  } catch (e) {
    if (e instanceof AbortError) {
      await m.calibrate(batch, { quantile: 0.95 });
      setModel(m, 'trained here (stopped early)');
    } else {
      m.dispose();
      throw e;
    }
  } finally {
    batch.dispose();
    stop = null;
    ($('stop') as HTMLButtonElement).disabled = true;
    ($('train') as HTMLButtonElement).disabled = false;
    progress.value = 1;
  }
}

async function main() {
  $('backend').textContent = await useBackend('auto');
  $('load-url').onclick = async () => {
    const url = new URL(($('model-url') as HTMLInputElement).value, location.href).href;
    try {
      setModel(await Ganomaly.load(url), `loaded from ${url}`);
    } catch (e) {
      $('model-status').textContent = `could not load: ${(e as Error).message}`;
    }
  };
  $('load-onnx').onclick = async () => {
    const url = new URL(($('onnx-url') as HTMLInputElement).value, location.href).href;
    try {
      await loadOnnx(url);
    } catch (e) {
      $('onnx-status').textContent = `could not load: ${(e as Error).message}`;
      $('onnx-status').dataset.engine = 'error';
    }
  };
  $('save-idb').onclick = async () => {
    await model!.save(IDB_URL);
    $('model-status').dataset.saved = 'yes';
    $('model-status').textContent += ' · saved in this browser';
  };
  // Two files, ganomaly-model.json and ganomaly-model.weights.bin; Node loads them with
  // Ganomaly.load('file:///path/to/ganomaly-model.json').
  $('download').onclick = () => void model!.save('downloads://ganomaly-model');
  $('load-idb').onclick = async () => {
    try {
      setModel(await Ganomaly.load(IDB_URL), 'loaded from this browser');
    } catch (e) {
      $('model-status').textContent = `nothing saved in this browser yet (${(e as Error).message})`;
    }
  };
  $('train-files').onchange = () => (($('train') as HTMLButtonElement).disabled = false);
  $('train').onclick = () => void train();
  $('stop').onclick = () => stop?.abort();
  $('score-files').onchange = (e) => void scoreFiles([...((e.target as HTMLInputElement).files ?? [])]);
  $('threshold').oninput = updateVerdicts;
  const drop = $('drop');
  drop.ondragover = (e) => (e.preventDefault(), drop.classList.add('over'));
  drop.ondragleave = () => drop.classList.remove('over');
  drop.ondrop = (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    void scoreFiles([...(e.dataTransfer?.files ?? [])]);
  };
  // A model saved in this browser earlier comes back after a refresh.
  const saved = await tf.io.listModels().catch(() => ({}));
  if (IDB_URL in saved) setModel(await Ganomaly.load(IDB_URL), 'loaded from this browser');
  document.body.dataset.ready = 'yes';
}

main().catch((e) => {
  $('model-status').textContent = `error: ${(e as Error).message}`;
  document.body.dataset.ready = 'error';
});
