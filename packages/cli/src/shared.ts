import { stat } from 'node:fs/promises';
import { Ganomaly, ModelFormatError, recoverInterruptedSave } from '@ganomaly/core';
import { modelError } from './io.js';

/** A folder saved by `save('file://...')` (the library's own test, which decides what a save may replace). */
export { isModelFolder } from '@ganomaly/core';

/** Loads a model folder; a folder that is not a model is a model error (exit 4) with the library's message. */
export async function loadModel(dir: string, backend: string | undefined): Promise<Ganomaly> {
  // A save killed between its two renames leaves no folder at `dir`: finish or roll back that first.
  await recoverInterruptedSave(dir);
  const st = await stat(dir).catch(() => null);
  if (!st) throw modelError(`No model at ${dir}: the folder does not exist.`);
  try {
    return await Ganomaly.load(`file://${dir}`, { backend: (backend ?? 'auto').toLowerCase() });
  } catch (e) {
    if (e instanceof ModelFormatError) throw modelError(`${dir} is not a usable GANomaly model: ${e.message}`);
    throw e;
  }
}

export function printSkipped(skipped: { file: string; reason: string }[], warn: (m: string) => void): void {
  // The loader already warned about each file; a summary keeps the count visible at the end of long logs.
  if (skipped.length > 1) warn(`${skipped.length} image(s) skipped (unreadable, corrupt or too large); --strict makes this an error.`);
}
