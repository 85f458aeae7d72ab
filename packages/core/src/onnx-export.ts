// Ganomaly.exportOnnx: the model's scorer as an ONNX graph, built by @ganomaly/onnx (imported on
// first use, so apps that never export load no protobuf code).
import { ValueError, checkOneOf } from '@ganomaly/common';
import type { ExtraOutput } from '@ganomaly/onnx';
import { memoryOf, useStatistics } from './scoring.js';
import { live, type ModelState } from './state.js';
import { VERSION } from './version.js';

export interface OnnxExportOptions {
  /** Also output z and ẑ ([n, latentDim]) and/or x̂ (pixel values 0..255). Default none. */
  outputs?: readonly ExtraOutput[];
  /**
   * The BatchNorm statistics written into the graph: the model's mode by default ('population'
   * after fit, or 'running'). 'batch' normalises by the scored batch and cannot be exported.
   */
  batchNormMode?: 'population' | 'running';
  /** Fold BatchNorm layers into the convolutions before them (faster; default true). */
  foldBatchNorm?: boolean;
  /**
   * 'subpixel' (default): transposed convolutions as per-phase convolutions + DepthToSpace (and
   * Gemm for the 1x1 first decoder layer), faster on ONNX Runtime's CPU provider; 'native':
   * ConvTranspose nodes.
   */
  convTranspose?: 'subpixel' | 'native';
}

export async function exportOnnx(state: ModelState, options: OnnxExportOptions): Promise<Uint8Array> {
  const fn = 'exportOnnx';
  const nets = live(state, fn);
  const mode = options.batchNormMode ?? state.config.batchNormMode;
  checkOneOf(mode, ['population', 'running', 'batch'] as const, 'options.batchNormMode', fn);
  if (mode === 'batch') {
    throw new ValueError(
      "exportOnnx: BatchNorm mode 'batch' normalises by the statistics of the batch being scored, which an inference graph does not do; export with batchNormMode 'population' (call recomputeStatistics(trainingImages) first) or 'running'.",
    );
  }
  const { buildOnnxScorer } = await import('@ganomaly/onnx');
  const c = state.config;
  // The graph has z, ẑ, x and x̂; D (and so 'features', 'skip', 'combined') is not in it.
  const variant = c.scoreVariant === 'latent' ? 'mse' : c.scoreVariant;
  if (variant !== 'mse' && variant !== 'l1' && variant !== 'reconstruction' && variant !== 'knn') {
    throw new ValueError(
      `exportOnnx: the model's scoreVariant '${c.scoreVariant}' cannot be exported: the ONNX scorer computes 'latent' (= 'mse'), 'l1', 'reconstruction' and 'knn' only (the discriminator is not part of the graph). Score with the library, or export a model created with one of those.`,
    );
  }
  const codes = variant === 'knn' ? memoryOf(state, fn) : null;
  if (codes && mode !== c.batchNormMode) {
    throw new ValueError(`exportOnnx: the model's 'knn' memory holds codes computed with its '${c.batchNormMode}' BatchNorm statistics; export with those (batchNormMode '${c.batchNormMode}'), not '${mode}'.`);
  }
  const memory = codes ? { codes: (await codes.data()) as Float32Array, count: codes.shape[0], neighbours: c.neighbours } : undefined;
  const restore = useStatistics(state, nets, mode, fn);
  try {
    return await buildOnnxScorer(nets, {
      imageSize: c.imageSize,
      channels: c.channels as 1 | 3,
      latentDim: c.latentDim,
      scoreVariant: variant,
      ...(memory ? { memory } : {}),
      calibration: state.calibration ? JSON.parse(JSON.stringify(state.calibration)) : null,
      batchNormStatistics: mode === 'running' ? 'running' : state.statistics,
      libraryVersion: VERSION,
      config: { ...c, batchNormMode: mode },
      epochsTrained: state.epochsTrained,
      outputs: options.outputs ?? [],
      ...(options.foldBatchNorm !== undefined ? { foldBatchNorm: options.foldBatchNorm } : {}),
      ...(options.convTranspose !== undefined ? { convTranspose: options.convTranspose } : {}),
    });
  } finally {
    restore?.();
  }
}
