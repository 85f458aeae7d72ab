import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ModelFormatError, ValueError, fail } from '@ganomaly/common';
import { NETWORK_KEYS, type GanomalyNetworks } from '@ganomaly/models';
import type { ResolvedConfig } from './config.js';
import { FORMAT_VERSION, VERSION } from './version.js';

/** Where a model lives: a URL (`file://`, `indexeddb://`, `localstorage://`, `http(s)://`) or a tfjs IOHandler. */
export type ModelLocation = string | tf.io.IOHandler;

/** What `save` writes beside the weights, and `load` checks first. */
export interface SavedMetadata {
  format: 'ganomaly';
  formatVersion: number;
  libraryVersion: string;
  config: ResolvedConfig;
  calibration: import('./ganomaly.js').Calibration | null;
  epochsTrained: number;
  /** Which BatchNorm statistics the saved moving mean/variance hold. */
  statistics: 'population' | 'running' | 'initial';
  savedAt: string;
  /**
   * Present in a training checkpoint (`save(location, { trainingState: true })`): what `fit`
   * needs to go on exactly as if it had not stopped. Its tensors are stored as weights named
   * `training/...`.
   */
  training?: import('./ganomaly.js').TrainingStateInfo;
  /** Notes saved with `save(location, { info })`. */
  info?: Record<string, unknown>;
}

/** Prefix of the weights that hold a checkpoint's training state (optimizer moments, running BatchNorm averages). */
export const TRAINING_PREFIX = 'training/';

/**
 * All four networks go into ONE tfjs ModelArtifacts: topologies side by side under
 * `modelTopology.networks`, the metadata under `modelTopology.ganomaly`, and the weights
 * concatenated with names prefixed by the network (`encoder/...`). One bundle works with every
 * tfjs IOHandler (IndexedDB, HTTP, custom) without knowing about GANomaly, and a `model.json`
 * written for `file://` is the standard tfjs layout that `tf.io.http` can fetch from a static server.
 */
export async function saveArtifacts(
  location: ModelLocation,
  nets: GanomalyNetworks,
  metadata: SavedMetadata,
  fn: string,
  training?: tf.NamedTensorMap,
): Promise<void> {
  const handler = handlerFor(location, fn, 'save');
  const networks: Record<string, unknown> = {};
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const key of NETWORK_KEYS) {
    let captured: tf.io.ModelArtifacts | undefined;
    await nets[key].save(
      tf.io.withSaveHandler(async (a) => {
        captured = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    networks[key] = captured!.modelTopology;
    weightSpecs.push(...captured!.weightSpecs!.map((s) => ({ ...s, name: `${key}/${s.name}` })));
    buffers.push(tf.io.CompositeArrayBuffer.join(captured!.weightData!));
  }
  if (training && Object.keys(training).length) {
    const { data, specs } = await tf.io.encodeWeights(training);
    weightSpecs.push(...specs.map((s) => ({ ...s, name: `${TRAINING_PREFIX}${s.name}` })));
    buffers.push(data);
  }
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: { ganomaly: metadata, networks } as unknown as object,
    weightSpecs,
    weightData: tf.io.concatenateArrayBuffers(buffers),
    format: 'ganomaly',
    generatedBy: `@ganomaly/core ${VERSION}`,
    convertedBy: null,
  };
  const result = await handler.save!(artifacts);
  if (result?.errors?.length) throw new Error(`Saving the model failed: ${result.errors.join('; ')}`);
}

export interface LoadedModel {
  metadata: SavedMetadata;
  networks: GanomalyNetworks;
  /** The training state's tensors of a checkpoint (names without the prefix); the caller disposes them. */
  training?: tf.NamedTensorMap;
}

export async function loadArtifacts(location: ModelLocation, fn: string): Promise<LoadedModel> {
  const handler = handlerFor(location, fn, 'load');
  const where = typeof location === 'string' ? location : 'the given IOHandler';
  let artifacts: tf.io.ModelArtifacts;
  try {
    artifacts = await handler.load!();
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    throw new ModelFormatError(`Could not read a model from ${where}: ${(e as Error).message}`);
  }
  if (!artifacts || typeof artifacts !== 'object') throw new ModelFormatError(`${where} returned no model artifacts.`);
  if (!artifacts || typeof artifacts !== 'object') throw new ModelFormatError(`${where} returned no model artifacts.`);
  const topology = artifacts.modelTopology as { ganomaly?: SavedMetadata; networks?: Record<string, object> } | undefined;
  const metadata = topology?.ganomaly;
  checkMetadata(metadata, where);
  const networksJson = topology!.networks;
  const missing = NETWORK_KEYS.filter((k) => !networksJson?.[k]);
  if (missing.length) throw new ModelFormatError(`The model at ${where} lacks the network(s) ${missing.join(', ')}: the save is incomplete or corrupt.`);
  const specs = artifacts.weightSpecs ?? [];
  const data = artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0);
  const expected = specs.reduce((sum, s) => sum + specBytes(s), 0);
  if (data.byteLength !== expected) {
    throw new ModelFormatError(
      `The weights of the model at ${where} are ${data.byteLength} bytes, but its manifest lists ${expected}: the weights file is truncated or does not belong to this model.`,
    );
  }
  checkFinite(specs, data, where);
  const networks: Partial<GanomalyNetworks> = {};
  let training: tf.NamedTensorMap | undefined;
  try {
    let offset = 0;
    const slices = new Map<string, { specs: tf.io.WeightsManifestEntry[]; start: number; end: number }>();
    const trainingSpecs: { spec: tf.io.WeightsManifestEntry; start: number }[] = [];
    for (const s of specs) {
      if (s.name.startsWith(TRAINING_PREFIX)) {
        trainingSpecs.push({ spec: { ...s, name: s.name.slice(TRAINING_PREFIX.length) }, start: offset });
        offset += specBytes(s);
        continue;
      }
      const slash = s.name.indexOf('/');
      const key = s.name.slice(0, slash);
      if (!(NETWORK_KEYS as readonly string[]).includes(key)) throw new ModelFormatError(`Weight '${s.name}' at ${where} belongs to no known network.`);
      const entry = slices.get(key) ?? { specs: [], start: offset, end: offset };
      if (entry.end !== offset) throw new ModelFormatError(`The weights of network '${key}' at ${where} are not stored contiguously.`);
      entry.specs.push({ ...s, name: s.name.slice(slash + 1) });
      offset += specBytes(s);
      entry.end = offset;
      slices.set(key, entry);
    }
    for (const key of NETWORK_KEYS) {
      const slice = slices.get(key) ?? { specs: [], start: 0, end: 0 };
      // Built first and filled second, so that a model whose weights do not fit can be disposed
      // (tfl.loadLayersModel would leave its half-built variables behind).
      let model: tfl.LayersModel | undefined;
      try {
        model = await tfl.models.modelFromJSON({ modelTopology: networksJson![key] } as unknown as Parameters<typeof tfl.models.modelFromJSON>[0]);
        const weights = tf.io.decodeWeights(data.slice(slice.start, slice.end), slice.specs);
        try {
          model.loadWeights(weights, true);
        } finally {
          tf.dispose(Object.values(weights));
        }
        networks[key] = model;
      } catch (e) {
        model?.dispose();
        const msg = (e as Error).message;
        const hint = /Unknown (layer|initializer|constraint|regularizer|activation)/i.test(msg)
          ? ' A custom encoder uses classes that are not registered: import the code that registers them (tf.serialization.registerClass) before loading.'
          : '';
        throw new ModelFormatError(`Network '${key}' of the model at ${where} could not be rebuilt from its topology and weights: ${msg}.${hint}`);
      }
    }
    checkConfigMatches(metadata!.config, networks as GanomalyNetworks, where);
    if (trainingSpecs.length) {
      training = {};
      for (const { spec, start } of trainingSpecs) {
        Object.assign(training, tf.io.decodeWeights(data.slice(start, start + specBytes(spec)), [spec]));
      }
    }
    return { metadata: metadata!, networks: networks as GanomalyNetworks, training };
  } catch (e) {
    for (const k of NETWORK_KEYS) networks[k]?.dispose();
    if (training) tf.dispose(Object.values(training));
    throw e;
  }
}

function checkMetadata(m: SavedMetadata | undefined, where: string): asserts m is SavedMetadata {
  if (!m || typeof m !== 'object' || m.format !== 'ganomaly') {
    throw new ModelFormatError(`${where} does not hold a GANomaly model (no GANomaly metadata in its model.json).`);
  }
  if (m.formatVersion !== FORMAT_VERSION) {
    throw new ModelFormatError(
      `The model at ${where} has format version ${String(m.formatVersion)} (written by @ganomaly ${m.libraryVersion}); this library (@ganomaly ${VERSION}) reads format version ${FORMAT_VERSION}.`,
    );
  }
  if (!m.config || typeof m.config !== 'object') throw new ModelFormatError(`The metadata of the model at ${where} has no config.`);
  const bad = (what: string, got: unknown) => new ModelFormatError(`The metadata of the model at ${where} has ${what} ${JSON.stringify(got)}.`);
  if (!['population', 'running', 'initial'].includes(m.statistics)) throw bad("an unknown 'statistics'", m.statistics);
  if (!Number.isInteger(m.epochsTrained) || m.epochsTrained < 0) throw bad("an invalid 'epochsTrained'", m.epochsTrained);
  const c = m.calibration;
  if (c !== null && c !== undefined) {
    const ok =
      typeof c === 'object' &&
      ['quantile', 'fixed', 'f1'].includes(c.method) &&
      Number.isFinite(c.threshold) &&
      Number.isFinite(c.normalization?.min) &&
      Number.isFinite(c.normalization?.max);
    if (!ok) throw bad("an invalid 'calibration'", c);
  }
}

function checkConfigMatches(c: ResolvedConfig, n: GanomalyNetworks, where: string): void {
  const inShape = n.encoder.inputs[0].shape;
  const zShape = n.encoder.outputs[0].shape;
  const outShape = n.decoder.outputs[0].shape;
  const problems: string[] = [];
  if (inShape[1] !== c.imageSize || inShape[3] !== c.channels) {
    problems.push(`the config says ${c.imageSize}x${c.imageSize}x${c.channels} images, but the encoder takes ${inShape.slice(1).join('x')}`);
  }
  if (zShape[3] !== c.latentDim) problems.push(`the config says latentDim ${c.latentDim}, but the encoder outputs ${zShape[3]}`);
  if (outShape[1] !== c.imageSize || outShape[3] !== c.channels) {
    problems.push(`the config says ${c.imageSize}x${c.imageSize}x${c.channels} images, but the decoder outputs ${outShape.slice(1).join('x')}`);
  }
  const dIn = n.discriminator.inputs[0].shape;
  if (dIn[1] !== c.imageSize || dIn[3] !== c.channels) problems.push(`the discriminator takes ${dIn.slice(1).join('x')} images`);
  if (problems.length) throw new ModelFormatError(`The model at ${where} does not match its config: ${problems.join('; ')}.`);
}

/** Damaged weights (NaN or infinite float32 values) fail at load, not as NaN scores later. */
function checkFinite(specs: tf.io.WeightsManifestEntry[], data: ArrayBuffer, where: string): void {
  let offset = 0;
  for (const s of specs) {
    const bytes = specBytes(s);
    if ((s.quantization?.dtype ?? s.dtype) === 'float32') {
      const values = offset % 4 === 0 ? new Float32Array(data, offset, bytes / 4) : new Float32Array(data.slice(offset, offset + bytes));
      for (let i = 0; i < values.length; i++) {
        if (!Number.isFinite(values[i])) {
          throw new ModelFormatError(`Weight '${s.name}' of the model at ${where} holds ${values[i]} at index ${i}: the weights are damaged. Restore a good copy or retrain.`);
        }
      }
    }
    offset += bytes;
  }
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, float16: 2, uint8: 1, int16: 2 };

function specBytes(s: tf.io.WeightsManifestEntry): number {
  const count = s.shape.reduce((a, b) => a * b, 1);
  const dtype = s.quantization?.dtype ?? s.dtype;
  const bytes = DTYPE_BYTES[dtype];
  if (bytes === undefined) throw new ModelFormatError(`Weight '${s.name}' has an unsupported dtype '${dtype}'.`);
  return count * bytes;
}

/** The IO handler for a location: ours for file://, tfjs's routers for other URLs, or the handler given. */
function handlerFor(location: ModelLocation, fn: string, use: 'save' | 'load'): tf.io.IOHandler {
  if (typeof location === 'string') {
    if (location.startsWith('file://')) return fileHandler(location, fn);
    // tfjs's own downloads:// router is a side-effect import that bundlers drop, and its handler is
    // not exported: this one writes the same two files.
    if (use === 'save' && location.startsWith('downloads://')) return downloadHandler(location.slice('downloads://'.length) || 'model');
    // The same holds for tfjs's http(s) router; tf.io.http itself is exported.
    if (/^https?:\/\//i.test(location)) return tf.io.http(location);
    const handlers = use === 'save' ? tf.io.getSaveHandlers(location) : tf.io.getLoadHandlers(location);
    if (handlers.length === 0) throw noHandler(location, fn);
    return handlers[0];
  }
  if (location && typeof location === 'object' && typeof location[use] === 'function') return location;
  return fail('location', fn, `a URL ('file://', 'indexeddb://', 'localstorage://', 'http(s)://') or a tfjs IOHandler with ${use}()`, location);
}

function noHandler(url: string, fn: string): ValueError {
  return new ValueError(
    `Argument 'location' passed to '${fn}' has no IO handler for '${url}'. Use 'file://' (Node), 'indexeddb://', 'localstorage://' or 'downloads://' (browsers), 'http(s)://', or pass a tfjs IOHandler.`,
  );
}

export const MODEL_FILES = { model: 'model.json', weights: 'weights.bin', metadata: 'metadata.json' } as const;

/**
 * `file://` in Node, without tfjs-node. Writes model.json (tfjs layout: topology + weights
 * manifest), weights.bin and metadata.json into a temporary sibling folder and renames it into
 * place, so a crash never leaves a half-written model where a good one was.
 */
export function fileHandler(url: string, fn: string): tf.io.IOHandler {
  const dir = url.slice('file://'.length);
  if (!dir) fail('location', fn, "a 'file://' URL with a folder path, e.g. 'file://./models/mnist'", url);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const fs = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:fs/promises');
      const path = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:path');
      const target = path.resolve(dir);
      const existing = await fs.stat(target).catch(() => null);
      if (existing) {
        if (!existing.isDirectory()) throw new ValueError(`Argument 'location' passed to '${fn}' is '${url}', a file, not a folder.`);
        // Replace only an empty folder or one that holds exactly a saved GANomaly model.
        const entries = await fs.readdir(target);
        if (entries.length > 0 && !(await isModelFolder(target))) {
          throw new ValueError(`Argument 'location' passed to '${fn}' is '${url}', a folder that is neither empty nor a saved model; refusing to replace it.`);
        }
      }
      await fs.mkdir(path.dirname(target), { recursive: true });
      const stamp = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
      const tmp = `${target}.tmp-${stamp}`;
      const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData!);
      const topology = artifacts.modelTopology as { ganomaly: SavedMetadata };
      const modelJson = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [MODEL_FILES.weights], weights: artifacts.weightSpecs }],
      };
      try {
        await fs.mkdir(tmp);
        await writeDurably(fs, path.join(tmp, MODEL_FILES.weights), new Uint8Array(weightData));
        await writeDurably(fs, path.join(tmp, MODEL_FILES.model), JSON.stringify(modelJson));
        await writeDurably(fs, path.join(tmp, MODEL_FILES.metadata), JSON.stringify(topology.ganomaly, null, 2) + '\n');
        if (existing) {
          const old = `${target}.old-${stamp}`;
          await fs.rename(target, old);
          await fs.rename(tmp, target);
          await fs.rm(old, { recursive: true, force: true });
        } else {
          await fs.rename(tmp, target);
        }
      } catch (e) {
        await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
        throw e;
      }
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weightData.byteLength } };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      const fs = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:fs/promises');
      const path = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:path');
      // A path to a .json file is a tfjs model.json on its own: one saved by tf.io.browserDownloads
      // ('downloads://name' gives name.json and name.weights.bin) or a model folder's model.json.
      const isFile = dir.endsWith('.json') && (await fs.stat(path.resolve(dir)).catch(() => null))?.isFile();
      const jsonFile = isFile ? path.resolve(dir) : null;
      const target = jsonFile ? path.dirname(jsonFile) : path.resolve(dir);
      const read = async (name: string) => {
        try {
          return await fs.readFile(path.join(target, name));
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') {
            const exists = await fs.stat(target).catch(() => null);
            throw new ModelFormatError(
              exists
                ? `${url} has no ${name}: not a saved GANomaly model, or an incomplete one (a model folder holds ${Object.values(MODEL_FILES).join(', ')}).`
                : `${url} does not exist: no model folder at ${target}.`,
            );
          }
          throw e;
        }
      };
      const parse = (name: string, buf: Buffer) => {
        try {
          return JSON.parse(buf.toString('utf8'));
        } catch (e) {
          throw new ModelFormatError(`${name} in ${url} is not valid JSON (truncated or corrupt): ${(e as Error).message}`);
        }
      };
      // The metadata first: a model of another format version fails with that message, not a parse error.
      if (!jsonFile) checkMetadata(parse(MODEL_FILES.metadata, await read(MODEL_FILES.metadata)), url);
      const modelName = jsonFile ? path.basename(jsonFile) : MODEL_FILES.model;
      const modelJson = parse(modelName, await read(modelName)) as tf.io.ModelJSON;
      const manifest = modelJson.weightsManifest ?? [];
      const weightSpecs = manifest.flatMap((g) => g.weights);
      const buffers: Uint8Array[] = [];
      for (const group of manifest) for (const p of group.paths) buffers.push(await read(p));
      const weightData = tf.io.concatenateArrayBuffers(buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer));
      return {
        modelTopology: modelJson.modelTopology,
        weightSpecs,
        weightData,
        format: modelJson.format,
        generatedBy: modelJson.generatedBy,
        convertedBy: modelJson.convertedBy,
      };
    },
  };
}

/**
 * Whether `dir` is a folder saved by `save('file://...')`: it holds only model.json, weights.bin and
 * metadata.json, and the metadata's format is 'ganomaly' (a folder that merely has a file called
 * metadata.json is somebody else's). `file://` saves replace only such a folder or an empty one.
 * Node only.
 */
export async function isModelFolder(dir: string): Promise<boolean> {
  const fs = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:fs/promises');
  const path = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:path');
  const entries = await fs.readdir(dir).catch(() => null);
  const modelFiles: string[] = Object.values(MODEL_FILES);
  if (!entries || entries.length === 0 || !entries.every((e) => modelFiles.includes(e))) return false;
  try {
    return (JSON.parse(await fs.readFile(path.join(dir, MODEL_FILES.metadata), 'utf8')) as { format?: unknown }).format === 'ganomaly';
  } catch {
    return false;
  }
}

/**
 * `downloads://name` in browsers: the browser downloads name.json (tfjs model JSON, metadata
 * included) and name.weights.bin. Node loads them with `Ganomaly.load('file:///path/name.json')`.
 */
export function downloadHandler(name: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const doc = (globalThis as { document?: Document }).document;
      if (!doc) throw new ValueError("'downloads://' needs a browser page (document); in Node use 'file://'.");
      const weights = tf.io.CompositeArrayBuffer.join(artifacts.weightData!);
      const modelJson = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [`${name}.weights.bin`], weights: artifacts.weightSpecs }],
      };
      const files: [string, Blob][] = [
        [`${name}.json`, new Blob([JSON.stringify(modelJson)], { type: 'application/json' })],
        [`${name}.weights.bin`, new Blob([weights], { type: 'application/octet-stream' })],
      ];
      for (const [file, blob] of files) {
        const a = doc.createElement('a');
        a.download = file;
        a.href = URL.createObjectURL(blob);
        a.click();
        // Give the browser a moment to start the download before the URL is revoked.
        setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      }
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
    },
  };
}

async function writeDurably(fs: typeof import('node:fs/promises'), file: string, data: string | Uint8Array): Promise<void> {
  const fh = await fs.open(file, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
