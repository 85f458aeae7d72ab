// OnnxScorer: scores images with an exported GANomaly scorer on ONNX Runtime (onnxruntime-node in
// Node, onnxruntime-web in browsers; both optional peers), with the inputs and results of Ganomaly.
import * as tf from '@tensorflow/tfjs-core';
import { ModelFormatError, NotCalibratedError, ValueError, fail, failWith, loadOptionalPackage } from '@ganomaly/common';
import { isImageSet, preprocess, type ImageSet } from '@ganomaly/data';
import { METADATA_KEY, type OnnxModelInfo } from './export.js';
import { DataType, decodeModel } from './proto.js';

/** The part of onnxruntime-node's / onnxruntime-web's API this uses. */
export interface OrtModule {
  InferenceSession: {
    create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession>;
  };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown;
  env?: { wasm?: { numThreads?: number } };
}
interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, unknown>, fetches?: readonly string[]): Promise<Record<string, { data: ArrayLike<number>; dims: readonly number[] }>>;
  release(): Promise<void>;
}

/**
 * Images for OnnxScorer: what Ganomaly takes (an ImageSet, or a tensor [n, h, w, c] / [h, w, c]
 * of pixel values 0..255, resized and converted as Ganomaly does), or pixel values 0..255 already
 * at the model's size and channels as a typed array (NHWC, length n·size·size·channels).
 */
export type OnnxImageInput = ImageSet | tf.Tensor4D | tf.Tensor3D | Float32Array | Uint8Array | Uint8ClampedArray;

export interface OnnxScorerOptions {
  /**
   * 'node' (onnxruntime-node, default in Node), 'web' (onnxruntime-web, default elsewhere), or an
   * ONNX Runtime module you imported yourself (e.g. `await import('onnxruntime-web/webgpu')`).
   */
  runtime?: 'node' | 'web' | OrtModule;
  /** ONNX Runtime execution providers, e.g. ['webgpu', 'wasm'] or ['cpu']. Default: the runtime's. */
  executionProviders?: unknown[];
  /** Threads of one inference (onnxruntime-node's intraOpNumThreads). Default: ONNX Runtime's. */
  threads?: number;
  /** Extra ONNX Runtime session options. */
  sessionOptions?: Record<string, unknown>;
}

export interface OnnxScoreOptions {
  /** Images per inference run. Default 256. */
  batchSize?: number;
}

export interface OnnxPrediction {
  scores: Float32Array;
  normalizedScores: Float32Array;
  isAnomaly: Uint8Array;
  threshold: number;
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/**
 * Reads the description an exported file carries, checking that the bytes are an ONNX model
 * written by exportOnnx. A corrupt, truncated or foreign file gives a ModelFormatError.
 */
export function readOnnxModelInfo(bytes: Uint8Array, where = 'the given bytes'): OnnxModelInfo {
  if (!(bytes instanceof Uint8Array)) fail('model', 'readOnnxModelInfo', 'the bytes of an .onnx file (Uint8Array)', bytes);
  if (bytes.length === 0) throw new ModelFormatError(`${where} is empty, not an ONNX model.`);
  let model: ReturnType<typeof decodeModel>;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    throw new ModelFormatError(`${where} is not a valid ONNX model (corrupt or truncated file?): ${(e as Error).message}.`);
  }
  const meta = model.metadataProps?.find((p) => p.key === METADATA_KEY)?.value;
  if (!model.graph || !meta) {
    throw new ModelFormatError(`${where} is ${model.graph ? 'an ONNX model but not a GANomaly scorer written by exportOnnx (no \'ganomaly\' metadata)' : 'not a valid ONNX model (no graph: corrupt or truncated file?)'}.`);
  }
  let info: OnnxModelInfo;
  try {
    info = JSON.parse(meta) as OnnxModelInfo;
  } catch {
    throw new ModelFormatError(`${where}: the 'ganomaly' metadata is not valid JSON.`);
  }
  if (info.format !== 'ganomaly-onnx' || info.formatVersion !== 1) {
    throw new ModelFormatError(`${where}: metadata format ${JSON.stringify(info.format)} version ${JSON.stringify(info.formatVersion)} is not one this library reads (ganomaly-onnx 1).`);
  }
  const dims = model.graph.input?.[0]?.type?.tensorType?.shape?.dim ?? [];
  const want = [info.imageSize, info.imageSize, info.channels];
  const got = dims.slice(1).map((d) => ('dimValue' in d ? Number(d.dimValue) : NaN));
  if (dims.length !== 4 || got.join() !== want.join()) {
    throw new ModelFormatError(`${where}: the graph's input is [${dims.map((d) => ('dimValue' in d ? d.dimValue : (d as { dimParam: string }).dimParam)).join(', ')}], but its metadata says [n, ${want.join(', ')}].`);
  }
  // A file cut off inside the weights may still parse (protobuf has no end marker); check their sizes.
  for (const t of model.graph.initializer ?? []) {
    const count = (t.dims ?? []).reduce((a, b) => a * Number(b), 1);
    const bytesPer = t.dataType === DataType.INT64 ? 8 : t.dataType === DataType.UINT8 || t.dataType === DataType.INT8 ? 1 : 4;
    const have = t.rawData ? t.rawData.length : t.int64Data ? t.int64Data.length * 8 : 0;
    if (have !== count * bytesPer) throw new ModelFormatError(`${where}: weight '${t.name}' holds ${have} bytes, not ${count * bytesPer} (truncated file?).`);
  }
  return info;
}

async function loadRuntime(runtime: OnnxScorerOptions['runtime']): Promise<OrtModule> {
  if (runtime && typeof runtime === 'object') return runtime;
  const name = runtime ?? (isNode ? 'node' : 'web');
  if (name !== 'node' && name !== 'web') fail('options.runtime', 'OnnxScorer.load', "'node', 'web' or an ONNX Runtime module", runtime);
  const pkg = name === 'node' ? 'onnxruntime-node' : 'onnxruntime-web';
  let mod: unknown;
  try {
    mod = await loadOptionalPackage(pkg, `npm install ${pkg}@^1.30.0${name === 'node' ? ' (ONNXRUNTIME_NODE_INSTALL=skip skips its CUDA download)' : ''}`, import.meta.url);
  } catch (e) {
    if (!isNode) mod = await import(/* @vite-ignore */ pkg);
    else throw new ValueError((e as Error).message.replace(/, or choose another backend.*$/, '.'));
  }
  const m = mod as OrtModule & { default?: OrtModule };
  return m.InferenceSession ? m : m.default!;
}

/** Scores images with an exported GANomaly scorer on ONNX Runtime. */
export class OnnxScorer {
  private session: OrtSession | null;

  private constructor(
    session: OrtSession,
    private readonly ort: OrtModule,
    /** What the exported model says about itself: size, channels, calibration, config, version. */
    readonly info: OnnxModelInfo,
  ) {
    this.session = session;
  }

  /**
   * Loads an exported scorer: the bytes, or (Node) a path to the .onnx file. A corrupt, truncated
   * or foreign file fails with a ModelFormatError before ONNX Runtime sees it.
   */
  static async load(model: Uint8Array | ArrayBuffer | string, options: OnnxScorerOptions = {}): Promise<OnnxScorer> {
    let bytes: Uint8Array;
    let where = 'the given bytes';
    if (typeof model === 'string') {
      if (!isNode) fail('model', 'OnnxScorer.load', 'the bytes of the .onnx file (fetch them first in a browser)', model);
      const { readFile } = await import(/* @vite-ignore */ 'node:fs/promises');
      where = model;
      try {
        bytes = new Uint8Array(await readFile(model));
      } catch (e) {
        throw new ValueError(`OnnxScorer.load: cannot read ${model}: ${(e as Error).message}`);
      }
    } else if (model instanceof ArrayBuffer) bytes = new Uint8Array(model);
    else if (model instanceof Uint8Array) bytes = model;
    else return fail('model', 'OnnxScorer.load', 'the bytes of an .onnx file (Uint8Array or ArrayBuffer) or its path', model);
    const info = readOnnxModelInfo(bytes, where);
    const ort = await loadRuntime(options.runtime);
    const sessionOptions: Record<string, unknown> = { graphOptimizationLevel: 'all', ...options.sessionOptions };
    if (options.executionProviders) sessionOptions['executionProviders'] = options.executionProviders;
    if (options.threads !== undefined) sessionOptions['intraOpNumThreads'] = options.threads;
    let session: OrtSession;
    try {
      session = await ort.InferenceSession.create(bytes, sessionOptions);
    } catch (e) {
      throw new ModelFormatError(`ONNX Runtime cannot load ${where}: ${(e as Error).message ?? String(e)}`);
    }
    return new OnnxScorer(session, ort, info);
  }

  get imageSize(): number {
    return this.info.imageSize;
  }

  get channels(): 1 | 3 {
    return this.info.channels;
  }

  get calibration(): OnnxModelInfo['calibration'] {
    return this.info.calibration;
  }

  private live(fn: string): OrtSession {
    if (!this.session) throw new ValueError(`'${fn}' was called on a disposed OnnxScorer.`);
    return this.session;
  }

  /** Pixels 0..255 at the model's size and channels, NHWC float32, and the number of images. */
  private async pixels(images: OnnxImageInput, fn: string): Promise<{ data: Float32Array; n: number }> {
    const { imageSize: s, channels: c } = this.info;
    const per = s * s * c;
    if (images instanceof Float32Array || images instanceof Uint8Array || images instanceof Uint8ClampedArray) {
      if (images.length === 0 || images.length % per !== 0) {
        failWith('images', fn, `pixel values at the model's size and channels (a multiple of ${s}x${s}x${c} = ${per} values)`, `${images.length} values`);
      }
      const data = images instanceof Float32Array ? images : Float32Array.from(images);
      checkPixels(data, fn);
      return { data, n: images.length / per };
    }
    if (isImageSet(images)) {
      if (images.count === 0) failWith('images', fn, 'at least one image', 'an empty ImageSet');
      if (images.height === s && images.width === s && images.channels === c) return { data: Float32Array.from(images.pixels), n: images.count };
      return { data: await resized(images, s, c), n: images.count };
    }
    if (images instanceof tf.Tensor) {
      if (images.rank !== 3 && images.rank !== 4) fail('images', fn, 'a tensor [n, h, w, c] or [h, w, c] of pixel values 0..255', images);
      const x = (images.rank === 3 ? tf.expandDims(images, 0) : images) as tf.Tensor4D;
      try {
        const [n, h, w, ch] = x.shape;
        if (ch !== 1 && ch !== 3 && ch !== 4) failWith('images', fn, 'images with 1, 3 or 4 channels', `shape [${images.shape}]`);
        if (n === 0 || h === 0 || w === 0) failWith('images', fn, 'at least one image of at least 1x1 pixels', `shape [${images.shape}]`);
        if (h === s && w === s && ch === c) {
          const data = Float32Array.from(await x.data());
          checkPixels(data, fn);
          return { data, n };
        }
        return { data: await resized(x, s, c), n };
      } finally {
        if (x !== images) x.dispose();
      }
    }
    return fail('images', fn, 'an ImageSet, a tensor of pixel values 0..255, or a Float32Array/Uint8Array of pixels at the model size', images);
  }

  /**
   * Runs the graph over the images in batches and hands each batch's requested outputs to `each`
   * (as ONNX Runtime returns them); returns the number of images. For this package's tools
   * (quantizeOnnx's calibration); score and predict are the public way in.
   * @internal
   */
  async forEachBatch(
    images: OnnxImageInput,
    fn: string,
    batchSize: number,
    outputs: readonly string[],
    each: (out: Record<string, { data: ArrayLike<number>; dims: readonly number[] }>, start: number, total: number) => void,
  ): Promise<number> {
    const session = this.live(fn);
    if (!Number.isInteger(batchSize) || batchSize < 1) fail('options.batchSize', fn, 'a positive integer', batchSize);
    const { data, n } = await this.pixels(images, fn);
    const { imageSize: s, channels: c } = this.info;
    const per = s * s * c;
    for (let start = 0; start < n; start += batchSize) {
      const b = Math.min(batchSize, n - start);
      const input = new this.ort.Tensor('float32', data.subarray(start * per, (start + b) * per), [b, s, s, c]);
      each(await session.run({ [session.inputNames[0]!]: input }, outputs), start, n);
    }
    return n;
  }

  private async run(images: OnnxImageInput, fn: string, options: OnnxScoreOptions, outputs: string[]): Promise<Record<string, Float32Array | Uint8Array>> {
    const result: Record<string, Float32Array | Uint8Array> = {};
    await this.forEachBatch(images, fn, options.batchSize ?? 256, outputs, (out, start, n) => {
      for (const o of outputs) {
        result[o] ??= o === 'is_anomaly' ? new Uint8Array(n) : new Float32Array(n);
        result[o]!.set(out[o]!.data as ArrayLike<number>, start);
      }
    });
    return result;
  }

  /** Anomaly scores, one per image: the same as Ganomaly.score of the exported model. */
  async score(images: OnnxImageInput, options: OnnxScoreOptions = {}): Promise<Float32Array> {
    return (await this.run(images, 'score', options, ['score']))['score'] as Float32Array;
  }

  /** Scores, normalised scores and flags with the calibration exported with the model. */
  async predict(images: OnnxImageInput, options: OnnxScoreOptions = {}): Promise<OnnxPrediction> {
    const c = this.info.calibration;
    if (!c) {
      throw new NotCalibratedError("'predict' needs a threshold, but this ONNX model was exported from an uncalibrated model: calibrate it and export again.");
    }
    const r = await this.run(images, 'predict', options, ['score', 'normalized_score', 'is_anomaly']);
    return { scores: r['score'] as Float32Array, normalizedScores: r['normalized_score'] as Float32Array, isAnomaly: r['is_anomaly'] as Uint8Array, threshold: c.threshold };
  }

  /** Releases the ONNX Runtime session. Later calls fail. */
  async dispose(): Promise<void> {
    const s = this.session;
    this.session = null;
    await s?.release();
  }
}

function checkPixels(data: Float32Array, fn: string): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!(v >= 0 && v <= 255)) failWith('images', fn, 'finite pixel values within 0..255', `${v} at index ${i}`);
  }
}

/** Resizes and converts as Ganomaly does (@ganomaly/data's preprocess, on tfjs), back to 0..255. */
async function resized(images: ImageSet | tf.Tensor4D, size: number, channels: 1 | 3): Promise<Float32Array> {
  const y = tf.tidy(() => tf.mul(tf.add(preprocess(images, { imageSize: size, channels }), 1), 127.5));
  try {
    return Float32Array.from(await y.data());
  } finally {
    y.dispose();
  }
}
