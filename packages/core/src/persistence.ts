// Bundling a model into one tfjs ModelArtifacts and back (the four networks, the metadata and a
// checkpoint's training state), and which IO handler a location goes to.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ModelFormatError, ValueError, fail } from '@ganomaly/common';
import { NETWORK_KEYS, type GanomalyNetworks } from '@ganomaly/models';
import type { ResolvedConfig } from './config.js';
import { MEMORY_WEIGHT, TRAINING_PREFIX, checkMetadata, modelJson, specBytes, toMemoryArtifacts } from './format.js';
import { nodeParts } from './node-parts.js';
import type { DetectorMetadata, ModelLocation, SavedMetadata } from './types.js';
import { checkWeightsChecksum } from './checksum.js';
import { VERSION } from './version.js';

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
  memory?: tf.Tensor2D | null,
): Promise<void> {
  await saveNetworks(location, nets as unknown as Record<string, tfl.LayersModel>, NETWORK_KEYS, metadata, fn, training, memory);
}

/**
 * The bundle of any detector: its networks (in the order of `keys`, which is the order of the
 * weights), the metadata and a checkpoint's training state, in the layout `saveArtifacts`
 * describes. GANomaly's four networks are one such bundle.
 */
export async function saveNetworks(
  location: ModelLocation,
  nets: Readonly<Record<string, tfl.LayersModel>>,
  keys: readonly string[],
  metadata: DetectorMetadata,
  fn: string,
  training?: tf.NamedTensorMap,
  memory?: tf.Tensor2D | null,
): Promise<void> {
  const handler = handlerFor(location, fn, 'save');
  const networks: Record<string, unknown> = {};
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const key of keys) {
    const captured = await toMemoryArtifacts((handler) => nets[key]!.save(handler));
    networks[key] = captured.modelTopology;
    weightSpecs.push(...captured.weightSpecs!.map((s) => ({ ...s, name: `${key}/${s.name}` })));
    buffers.push(captured.weightData as ArrayBuffer);
  }
  if (training && Object.keys(training).length) {
    const { data, specs } = await tf.io.encodeWeights(training);
    weightSpecs.push(...specs.map((s) => ({ ...s, name: `${TRAINING_PREFIX}${s.name}` })));
    buffers.push(data);
  }
  if (memory) {
    const { data, specs } = await tf.io.encodeWeights({ [MEMORY_WEIGHT]: memory });
    weightSpecs.push(...specs);
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
  /** The memory of training codes ('knn' score) when the model holds one; the caller owns it. */
  memory?: tf.Tensor2D;
  /** The training state's tensors of a checkpoint (names without the prefix); the caller disposes them. */
  training?: tf.NamedTensorMap;
}

export async function loadArtifacts(location: ModelLocation, fn: string): Promise<LoadedModel> {
  const { metadata, networks, training, memory } = await loadNetworks(
    location,
    fn,
    (m, where) => {
      // A model of another detector (see detectors/registry.ts); models saved before detectors had kinds are GANomaly's.
      if (m.kind !== undefined && m.kind !== 'ganomaly') {
        throw new ModelFormatError(
          `The model at ${where} is a '${String(m.kind)}' detector, not a GANomaly model: load it with loadDetector(location), which returns the right class for its kind.`,
        );
      }
      return NETWORK_KEYS;
    },
    (nets, m, where) => checkConfigMatches(m.config as ResolvedConfig, nets as unknown as GanomalyNetworks, where),
  );
  return { metadata: metadata as SavedMetadata, networks: networks as unknown as GanomalyNetworks, training, ...(memory ? { memory: memory as tf.Tensor2D } : {}) };
}

/** What `loadNetworks` read: the metadata, every network of `keys`, and a checkpoint's training tensors. */
export interface LoadedNetworks {
  metadata: DetectorMetadata;
  networks: Record<string, tfl.LayersModel>;
  /** The training state's tensors of a checkpoint (names without the prefix); the caller disposes them. */
  training?: tf.NamedTensorMap;
  /** GANomaly's memory of training codes, when saved; the caller disposes it. */
  memory?: tf.Tensor;
}

/**
 * The start of a `load`, once the files are read: the saved config resolved by `resolve`; when it
 * is not valid, the networks and the checkpoint's training tensors read with it are released and a
 * ModelFormatError says why.
 */
export function resolveSavedConfig<C, N extends { [K in keyof N]: { dispose(): void } }>(resolve: () => C, networks: N, training: tf.NamedTensorMap | undefined): C {
  try {
    return resolve();
  } catch (e) {
    for (const n of Object.values(networks) as Array<{ dispose(): void }>) n.dispose();
    if (training) tf.dispose(Object.values(training));
    throw new ModelFormatError(`The saved config is not valid: ${(e as Error).message}`);
  }
}

/**
 * The end of a `load`, once the model is made from what was read: `restore` (checks against the
 * model, a checkpoint's training state) runs; if it fails the model is disposed; the checkpoint's
 * training tensors are released either way.
 */
export async function finishLoad<M extends { dispose(): void }>(model: M, training: tf.NamedTensorMap | undefined, restore: () => Promise<void>): Promise<M> {
  try {
    await restore();
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    if (training) tf.dispose(Object.values(training));
  }
  return model;
}

/** How messages name a location. */
export function describeLocation(location: ModelLocation): string {
  if (typeof location === 'string') return location;
  if (location instanceof PreloadedArtifacts) return location.where;
  return 'the given IOHandler';
}

/**
 * Artifacts already read from `where` (by `loadDetector`, which reads a model once to learn its
 * kind), handed on as an IOHandler so that the detector's own `load` does not read them again.
 */
export class PreloadedArtifacts implements tf.io.IOHandler {
  constructor(
    private readonly artifacts: tf.io.ModelArtifacts,
    readonly where: string,
  ) {}

  async load(): Promise<tf.io.ModelArtifacts> {
    return this.artifacts;
  }
}

/** The raw artifacts at a location (no check but that there are some). */
export async function readArtifacts(location: ModelLocation, fn: string): Promise<tf.io.ModelArtifacts> {
  const handler = handlerFor(location, fn, 'load');
  const where = describeLocation(location);
  let artifacts: tf.io.ModelArtifacts;
  try {
    artifacts = await handler.load!();
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    throw new ModelFormatError(`Could not read a model from ${where}: ${(e as Error).message}`);
  }
  if (!artifacts || typeof artifacts !== 'object') throw new ModelFormatError(`${where} returned no model artifacts.`);
  return artifacts;
}

/** The metadata of read artifacts, checked (format, version, calibration, ...). */
export function artifactsMetadata(artifacts: tf.io.ModelArtifacts, where: string): DetectorMetadata {
  const metadata = (artifacts.modelTopology as { ganomaly?: DetectorMetadata } | undefined)?.ganomaly;
  checkMetadata(metadata, where);
  return metadata;
}

/**
 * Reads a bundle written by `saveNetworks`: checks the metadata, asks `keysFor` which networks the
 * metadata's model has (it may refuse the model with its own error), rebuilds them from their
 * topologies and weights, and runs `check` on them (all networks are disposed when it throws).
 */
export async function loadNetworks(
  location: ModelLocation,
  fn: string,
  keysFor: (metadata: DetectorMetadata, where: string) => readonly string[],
  check?: (networks: Record<string, tfl.LayersModel>, metadata: DetectorMetadata, where: string) => void,
): Promise<LoadedNetworks> {
  const where = describeLocation(location);
  const artifacts = await readArtifacts(location, fn);
  const metadata = artifactsMetadata(artifacts, where);
  const keys = keysFor(metadata, where);
  const networksJson = (artifacts.modelTopology as { networks?: Record<string, object> }).networks;
  const missing = keys.filter((k) => !networksJson?.[k]);
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
  await checkWeightsChecksum(metadata, data, where);
  const networks: Record<string, tfl.LayersModel> = {};
  let training: tf.NamedTensorMap | undefined;
  let memory: tf.Tensor | undefined;
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
      if (s.name === MEMORY_WEIGHT) {
        if (s.shape.length !== 2) throw new ModelFormatError(`The memory of training codes at ${where} has shape [${s.shape}], not [count, latentDim].`);
        memory = tf.io.decodeWeights(data.slice(offset, offset + specBytes(s)), [s])[MEMORY_WEIGHT];
        offset += specBytes(s);
        continue;
      }
      const slash = s.name.indexOf('/');
      const key = s.name.slice(0, slash);
      if (!keys.includes(key)) throw new ModelFormatError(`Weight '${s.name}' at ${where} belongs to no known network.`);
      const entry = slices.get(key) ?? { specs: [], start: offset, end: offset };
      if (entry.end !== offset) throw new ModelFormatError(`The weights of network '${key}' at ${where} are not stored contiguously.`);
      entry.specs.push({ ...s, name: s.name.slice(slash + 1) });
      offset += specBytes(s);
      entry.end = offset;
      slices.set(key, entry);
    }
    for (const key of keys) {
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
    check?.(networks, metadata, where);
    if (trainingSpecs.length) {
      training = {};
      for (const { spec, start } of trainingSpecs) {
        Object.assign(training, tf.io.decodeWeights(data.slice(start, start + specBytes(spec)), [spec]));
      }
    }
    return { metadata, networks, training, ...(memory ? { memory } : {}) };
  } catch (e) {
    for (const k of keys) networks[k]?.dispose();
    if (training) tf.dispose(Object.values(training));
    memory?.dispose();
    throw e;
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

/** The IO handler for a location: ours for file://, tfjs's routers for other URLs, or the handler given. */
function handlerFor(location: ModelLocation, fn: string, use: 'save' | 'load'): tf.io.IOHandler {
  if (typeof location === 'string') {
    if (location.startsWith('file://')) {
      const node = nodeParts();
      if (!node) {
        throw new ValueError(
          `Argument 'location' passed to '${fn}' is '${location}', but 'file://' needs Node (this is the browser build of @ganomaly/core). In a browser use 'indexeddb://name', 'downloads://name' or an http(s):// URL.`,
        );
      }
      return node.fileHandler(location, fn);
    }
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
      const files: [string, Blob][] = [
        [`${name}.json`, new Blob([JSON.stringify(modelJson(artifacts, `${name}.weights.bin`))], { type: 'application/json' })],
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

