// `ganomaly export` and the ONNX engine of `ganomaly score` (ONNX Runtime through @ganomaly/onnx).
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ModelFormatError, ValueError, type Ganomaly } from '@ganomaly/core';
import type { OnnxScorer } from '@ganomaly/onnx';
import { CliError, EXIT, modelError, usage, writeLine, type CliIO } from './io.js';
import { COMMON_OPTIONS, IMAGE_OPTIONS, choice, parse, type CommandSpec } from './options.js';
import { atomicFile, checkOutputFile, isSystemError, systemMessage } from './safety.js';
import { loadGanomaly, printSkipped } from './shared.js';
import { imageLoadOptions, loadSource } from './sources.js';

export const EXPORT: CommandSpec = {
  name: 'export',
  brief: 'Export a trained model as an ONNX scorer (for ONNX Runtime, Triton, Ray ...)',
  summary:
    'Writes the model\'s scorer as an ONNX file: input float32 [n, size, size, channels] pixel values 0..255 at the model\'s size, outputs score, normalized_score and is_anomaly (with a calibration), optionally z, z_hat and x_hat. Config, calibration, score variant and library version are in its metadata.',
  usage: 'ganomaly export MODEL_DIR --out FILE.onnx [--format onnx] [--outputs z,zhat,xhat] [--quantize int8 --calibration IMAGES]',
  positionals: { min: 1, max: 1 },
  options: {
    out: { type: 'string', short: 'o', value: 'FILE', help: 'Where to write the .onnx file (required)' },
    format: { type: 'string', value: 'onnx', help: 'Export format', default: 'onnx' },
    outputs: { type: 'string', value: 'LIST', help: 'Extra outputs, comma-separated: z, zhat, xhat' },
    'batch-norm': { type: 'string', value: 'population|running', help: "BatchNorm statistics in the graph (default: the model's mode)" },
    quantize: { type: 'string', value: 'int8', help: '8-bit convolutions (quantizeOnnx: faster on ONNX Runtime\'s CPU provider, scores differ slightly)' },
    calibration: { type: 'string', value: 'IMAGES', help: 'With --quantize: normal images (a folder or files, never the test set) whose value ranges fix the 8-bit scales' },
    ...IMAGE_OPTIONS,
    ...COMMON_OPTIONS,
  },
  notes: "Score the file with 'ganomaly score FILE.onnx IMAGES...', OnnxScorer from @ganomaly/onnx, or any ONNX Runtime (docs/onnx.md).",
};

const OUTPUT_NAMES = { z: 'z', zhat: 'zHat', xhat: 'xHat' } as const;

export async function exportModel(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parse(EXPORT, argv);
  choice(v, 'format', 'onnx', ['onnx'] as const);
  if (typeof v.out !== 'string' || v.out === '') throw usage(`--out FILE.onnx is required. Usage: ${EXPORT.usage}`);
  const outputs = (typeof v.outputs === 'string' ? v.outputs.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean) : []).map((o) => {
    const name = OUTPUT_NAMES[o as keyof typeof OUTPUT_NAMES];
    if (!name) throw usage(`--outputs: unknown output '${o}'; choose from z, zhat, xhat.`);
    return name;
  });
  const mode = v['batch-norm'] === undefined ? undefined : choice(v, 'batch-norm', 'population', ['population', 'running'] as const);
  const quantize = v.quantize === undefined ? undefined : choice(v, 'quantize', 'int8', ['int8'] as const);
  if (quantize && typeof v.calibration !== 'string') throw usage('--quantize int8 needs --calibration IMAGES: normal images (a folder or files) whose value ranges fix the 8-bit scales.');
  if (!quantize && v.calibration !== undefined) throw usage('--calibration is for --quantize int8.');
  const dir = path.resolve(io.cwd, positionals[0]!);
  const out = path.resolve(io.cwd, v.out);
  // Checked before anything is written: --out inside the model folder would damage the model.
  await checkOutputFile(out, [], dir, '--out');
  const model = await loadGanomaly(dir, v.backend as string | undefined, 'ONNX export');
  try {
    let bytes: Uint8Array;
    try {
      bytes = await model.exportOnnx({ outputs, ...(mode ? { batchNormMode: mode } : {}) });
    } catch (e) {
      if (e instanceof ValueError) throw modelError(`${dir} cannot be exported: ${e.message}`);
      throw e;
    }
    if (quantize) bytes = await quantized(bytes, v, io, model);
    try {
      await mkdir(path.dirname(out), { recursive: true });
    } catch (e) {
      if (isSystemError(e)) throw new CliError(`Cannot write ${out}: ${systemMessage(e)}; nothing was written there.`, EXIT.error);
      throw e;
    }
    // Written beside, then renamed (safety.ts): never a half-written file at FILE, and nothing
    // left beside it when the write or the rename fails.
    const file = await atomicFile(out);
    try {
      file.write(bytes);
      await file.commit();
    } catch (e) {
      await file.abort();
      throw e;
    }
    if (!v.quiet) {
      const c = model.config;
      writeLine(io.stderr, `wrote ${path.relative(io.cwd, out) || out} (${(bytes.length / 1e6).toFixed(2)} MB${quantize ? ', int8 convolutions' : ''}): input [n, ${c.imageSize}, ${c.imageSize}, ${c.channels}] pixels 0..255${model.calibration ? '' : '; not calibrated: score output only'}`);
    }
    return EXIT.ok;
  } finally {
    model.dispose();
  }
}

/** The export with 8-bit convolutions, calibrated on the --calibration images. */
async function quantized(bytes: Uint8Array, v: Record<string, unknown>, io: CliIO, model: Ganomaly): Promise<Uint8Array> {
  const warn = (m: string) => writeLine(io.stderr, `warning: ${m}`);
  const src = await loadSource([v.calibration as string], io.cwd, io.env, 'any', imageLoadOptions(v, model, io, warn));
  printSkipped(src.skipped, warn);
  const set = src.train?.set;
  if (!set || set.count === 0) throw usage(`--calibration ${v.calibration as string}: no images to calibrate on.`);
  if (src.kind !== 'folder' && src.kind !== 'files') warn(`--calibration ${v.calibration as string} is a ${src.kind} source: give normal images like the training images, not test images.`);
  const onnx = await importOnnx('--quantize');
  try {
    return await onnx.quantizeOnnx(bytes, set, { runtime: 'node' });
  } catch (e) {
    throw runtimeError(e);
  }
}

/** @ganomaly/onnx, imported on first use; missing, a usage error naming what needed it. */
async function importOnnx(what: string): Promise<typeof import('@ganomaly/onnx')> {
  try {
    return await import('@ganomaly/onnx');
  } catch (e) {
    throw usage(`${what} needs @ganomaly/onnx: ${(e as Error).message}`);
  }
}

/** onnxruntime-node missing or unloadable is a backend error (exit 5); anything else passes through. */
function runtimeError(e: unknown): unknown {
  return /onnxruntime-node is not installed|failed to load/.test((e as Error).message) ? new CliError((e as Error).message, EXIT.backend) : e;
}

/** What `ganomaly score` needs of a model: Ganomaly, or an OnnxScorer behind the same face. */
export interface ScoringModel {
  config: { imageSize: number; channels: number };
  calibration: { threshold: number } | null;
  score(set: Parameters<OnnxScorer['score']>[0], o: { batchSize: number }): Promise<Float32Array>;
  predict(set: Parameters<OnnxScorer['score']>[0], o: { batchSize: number }): Promise<{ scores: Float32Array; normalizedScores: Float32Array; isAnomaly: Uint8Array }>;
  dispose(): void | Promise<void>;
}

/**
 * The ONNX engine: MODEL is an .onnx file written by `ganomaly export`, or a model folder (exported
 * in memory). Scores on onnxruntime-node.
 */
export async function loadOnnxModel(model: string, backend: string | undefined): Promise<ScoringModel> {
  const st = await stat(model).catch(() => null);
  if (!st) throw modelError(`No model at ${model}: it does not exist.`);
  const onnx = await importOnnx('--engine onnx');
  let bytes: Uint8Array | string = model;
  if (st.isDirectory()) {
    const m = await loadGanomaly(model, backend, '--engine onnx (scoring an ONNX export)');
    try {
      bytes = await m.exportOnnx();
    } catch (e) {
      if (e instanceof ValueError) throw modelError(`${model} cannot be scored with --engine onnx: ${e.message}`);
      throw e;
    } finally {
      m.dispose();
    }
  }
  let scorer: OnnxScorer;
  try {
    scorer = await onnx.OnnxScorer.load(bytes, { runtime: 'node' });
  } catch (e) {
    if (e instanceof ModelFormatError) throw modelError(`${model} is not a usable ONNX scorer: ${e.message}`);
    throw runtimeError(e);
  }
  return {
    config: { imageSize: scorer.imageSize, channels: scorer.channels },
    calibration: scorer.calibration,
    score: (set, o) => scorer.score(set, o),
    predict: (set, o) => scorer.predict(set, o),
    dispose: () => scorer.dispose(),
  };
}
