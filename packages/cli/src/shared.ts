import { stat } from 'node:fs/promises';
import { Ganomaly, ModelFormatError, loadDetector, recoverInterruptedSave, type Detector } from '@ganomaly/core';
import { modelError } from './io.js';

/** A folder saved by `save('file://...')` (the library's own test, which decides what a save may replace). */
export { isModelFolder } from '@ganomaly/core';

/** A model of any detector kind, with what the commands read besides the interface. */
export type CliModel = Detector & { networks: object; reconstruct: NonNullable<Detector['reconstruct']> };

/**
 * Loads a model folder of any detector kind (`loadDetector`); a folder that is not a model is a
 * model error (exit 4) with the library's message.
 */
export async function loadModel(dir: string, backend: string | undefined): Promise<CliModel> {
  // A save killed between its two renames leaves no folder at `dir`: finish or roll back that first.
  await recoverInterruptedSave(dir);
  const st = await stat(dir).catch(() => null);
  if (!st) throw modelError(`No model at ${dir}: the folder does not exist.`);
  try {
    return (await loadDetector(`file://${dir}`, { backend: (backend ?? 'auto').toLowerCase() })) as CliModel;
  } catch (e) {
    if (e instanceof ModelFormatError) throw modelError(`${dir} is not a usable GANomaly model: ${e.message}`);
    throw e;
  }
}

/** A GANomaly model folder, for what only GANomaly does (ONNX export); another kind is a model error naming it. */
export async function loadGanomaly(dir: string, backend: string | undefined, what: string): Promise<Ganomaly> {
  const m = await loadModel(dir, backend);
  if (m instanceof Ganomaly) return m;
  const kind = m.kind;
  m.dispose();
  throw modelError(`${dir} is a '${kind}' model: ${what} is GANomaly's only.`);
}

export function printSkipped(skipped: { file: string; reason: string }[], warn: (m: string) => void): void {
  // The loader already warned about each file; a summary keeps the count visible at the end of long logs.
  if (skipped.length > 1) warn(`${skipped.length} image(s) skipped (unreadable, corrupt or too large); --strict makes this an error.`);
}
