// The save format, in one place: the files of a model folder, the metadata `save` writes beside
// the weights and its checks, the weights' names and sizes, and the tfjs model.json a bundle is
// written as. Plain data and checks, no IO (the `file://` handler is in node-file-handler.ts).
import * as tf from '@tensorflow/tfjs-core';
import { ModelFormatError } from '@ganomaly/common';
import { checkComponentScaling } from '@ganomaly/math';
import { CALIBRATION_METHODS, STATISTICS_MODES, type DetectorMetadata, type SavedMetadata } from './types.js';
import { FORMAT_VERSION, VERSION } from './version.js';

/** The files of a model folder written by `save('file://...')`. */
export const MODEL_FILES = { model: 'model.json', weights: 'weights.bin', metadata: 'metadata.json' } as const;

/** Prefix of the weights that hold a checkpoint's training state (optimizer moments, running BatchNorm averages). */
export const TRAINING_PREFIX = 'training/';

/** The weight that holds a GANomaly model's memory of training codes (the 'knn' score), [m, latentDim]. */
export const MEMORY_WEIGHT = 'memory/codes';

/**
 * Checks metadata read back from a save (what `metadata.json` holds, or `modelTopology.ganomaly`
 * of a model.json) and returns it typed: a ModelFormatError names what is wrong (not GANomaly
 * metadata, another format version, a bad calibration, ...). `where` names the source in messages.
 */
export function parseMetadata(value: unknown, where: string): SavedMetadata {
  checkMetadata(value as DetectorMetadata | undefined, where);
  return value as SavedMetadata;
}

export function checkMetadata(m: DetectorMetadata | undefined, where: string): asserts m is DetectorMetadata {
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
  if (m.kind !== undefined && (typeof m.kind !== 'string' || !m.kind)) throw bad("an invalid 'kind'", m.kind);
  if (!(STATISTICS_MODES as readonly string[]).includes(m.statistics)) throw bad("an unknown 'statistics'", m.statistics);
  if (m.discriminatorStatistics !== undefined && m.discriminatorStatistics !== 'population') throw bad("an unknown 'discriminatorStatistics'", m.discriminatorStatistics);
  const sel = m.selection;
  if (sel !== undefined && (!sel || typeof sel !== 'object' || sel.rule !== 'validation' || !Number.isInteger(sel.epoch) || sel.epoch < 1 || !(sel.auroc >= 0 && sel.auroc <= 1))) {
    throw bad("an invalid 'selection'", sel);
  }
  if (!Number.isInteger(m.epochsTrained) || m.epochsTrained < 0) throw bad("an invalid 'epochsTrained'", m.epochsTrained);
  const c = m.calibration;
  if (c !== null && c !== undefined) {
    const ok =
      typeof c === 'object' &&
      (CALIBRATION_METHODS as readonly string[]).includes(c.method) &&
      Number.isFinite(c.threshold) &&
      Number.isFinite(c.normalization?.min) &&
      Number.isFinite(c.normalization?.max);
    if (!ok) throw bad("an invalid 'calibration'", c);
    if (c.componentScaling !== undefined) {
      try {
        checkComponentScaling(c.componentScaling, 'calibration.componentScaling', 'load');
      } catch {
        throw bad("an invalid 'calibration.componentScaling'", c.componentScaling);
      }
    }
  }
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, float16: 2, uint8: 1, int16: 2 };

export function specBytes(s: tf.io.WeightsManifestEntry): number {
  const count = s.shape.reduce((a, b) => a * b, 1);
  const dtype = s.quantization?.dtype ?? s.dtype;
  const bytes = DTYPE_BYTES[dtype];
  if (bytes === undefined) throw new ModelFormatError(`Weight '${s.name}' has an unsupported dtype '${dtype}'.`);
  return count * bytes;
}

/** The tfjs model.json of a bundle whose weights are stored in one file, `weightsPath`. */
export function modelJson(artifacts: tf.io.ModelArtifacts, weightsPath: string): tf.io.ModelJSON {
  return {
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    modelTopology: artifacts.modelTopology!,
    weightsManifest: [{ paths: [weightsPath], weights: artifacts.weightSpecs! }],
  };
}

/**
 * The artifacts `save` gives a handler, captured in memory with their weights in one buffer
 * (what the workers load their replicas from, and how each network's part is read).
 */
export async function toMemoryArtifacts(save: (handler: tf.io.IOHandler) => Promise<unknown>): Promise<tf.io.ModelArtifacts> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a.weightData ? { ...a, weightData: tf.io.CompositeArrayBuffer.join(a.weightData) } : a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts) throw new Error('The model was not saved to memory: the save handler was never called.');
  return artifacts;
}
