// The `file://` IO handler (Node, without tfjs-node) and what it knows of model folders. Node only:
// nothing here imports node: modules at the top level (they are imported when called), so the
// package still loads in browsers; `webpackIgnore`/`@vite-ignore` keep bundlers from resolving them.
import * as tf from '@tensorflow/tfjs-core';
import { ModelFormatError, ValueError, fail } from '@ganomaly/common';
import { weightsChecksum } from './checksum.js';
import { MODEL_FILES, checkMetadata, modelJson, parseMetadata } from './format.js';
import type { SavedMetadata } from './types.js';

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
      // What a killed save left (a half-done swap, stale temporaries) is put right first.
      const recovery = await import('./node-save-recovery.js');
      await recovery.recoverInterruptedSave(target);
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
      // The checksum of weights.bin goes into the metadata (model.json's and metadata.json), checked at load.
      const saved = artifacts.modelTopology as { ganomaly: SavedMetadata };
      const sum = await weightsChecksum(weightData);
      const topology = sum ? { ...saved, ganomaly: { ...saved.ganomaly, weightsSha256: sum } } : saved;
      try {
        await fs.mkdir(tmp);
        await writeDurably(fs, path.join(tmp, MODEL_FILES.weights), new Uint8Array(weightData));
        await writeDurably(fs, path.join(tmp, MODEL_FILES.model), JSON.stringify(modelJson({ ...artifacts, modelTopology: topology }, MODEL_FILES.weights)));
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
      if (!jsonFile) await (await import('./node-save-recovery.js')).recoverInterruptedSave(target);
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
      const json = parse(modelName, await read(modelName)) as tf.io.ModelJSON;
      const manifest = json.weightsManifest ?? [];
      const weightSpecs = manifest.flatMap((g) => g.weights);
      const buffers: Uint8Array[] = [];
      for (const group of manifest) for (const p of group.paths) buffers.push(await read(p));
      const weightData = tf.io.concatenateArrayBuffers(buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer));
      return {
        modelTopology: json.modelTopology,
        weightSpecs,
        weightData,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
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
 * The metadata of a model folder saved with `save('file://DIR')` (its metadata.json: config,
 * calibration, epochs, `savedAt`, the `libraryVersion` that saved it, and `training` in a training
 * checkpoint), checked as `load` checks it: a ModelFormatError says what is wrong. Reads no
 * weights. Node only.
 */
export async function readModelMetadata(dir: string): Promise<SavedMetadata> {
  const fs = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:fs/promises');
  const path = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:path');
  const file = path.join(dir, MODEL_FILES.metadata);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new ModelFormatError(`${dir} has no readable ${MODEL_FILES.metadata}: not a saved GANomaly model (${(e as Error).message}).`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ModelFormatError(`${MODEL_FILES.metadata} in ${dir} is not valid JSON (truncated or corrupt): ${(e as Error).message}`);
  }
  return parseMetadata(value, dir);
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
