// The detectors by kind: `createDetector('skip-ganomaly', config)`, `loadDetector(location)` (the
// kind comes from the saved metadata), `detectorKinds()`. Adding a detector is its folder
// (networks.ts, losses.ts, detector.ts) and one line in DETECTORS.
import { ModelFormatError, UnknownNameError, useBackend } from '@ganomaly/common';
import { Ganomaly } from '../ganomaly.js';
import { PreloadedArtifacts, artifactsMetadata, describeLocation, readArtifacts } from '../persistence.js';
import type { ModelLocation } from '../types.js';
import { Anogan } from './anogan/detector.js';
import { Autoencoder } from './autoencoder/detector.js';
import { Egbad } from './egbad/detector.js';
import type { Detector, DetectorKind } from './detector.js';
import { SkipGanomaly } from './skip-ganomaly/detector.js';
import { Vae } from './vae/detector.js';

/** What the registry needs of a detector class: its kind, `create` and `load`. */
export interface DetectorClass {
  readonly kind: DetectorKind;
  create(config?: object): Promise<Detector>;
  load(location: ModelLocation, options?: { backend?: string }): Promise<Detector>;
}

const DETECTORS: Readonly<Record<string, DetectorClass>> = {
  ganomaly: Ganomaly as DetectorClass,
  autoencoder: Autoencoder,
  vae: Vae,
  'skip-ganomaly': SkipGanomaly,
  anogan: Anogan,
  egbad: Egbad,
};

/** The detector kinds `createDetector` and `loadDetector` know, 'ganomaly' first. */
export function detectorKinds(): DetectorKind[] {
  return Object.keys(DETECTORS);
}

function detectorClass(kind: unknown, fn: string): DetectorClass {
  const c = typeof kind === 'string' && Object.hasOwn(DETECTORS, kind) ? DETECTORS[kind] : undefined;
  if (!c) throw new UnknownNameError('detector kind', String(kind), detectorKinds(), `'${fn}'`);
  return c;
}

/**
 * A new, untrained detector of the given kind: `createDetector('autoencoder', { imageSize: 32 })`.
 * The config is the kind's own (see its class); `backend` selects the backend as in `Ganomaly.create`.
 */
export async function createDetector(kind: DetectorKind, config: object = {}): Promise<Detector> {
  return detectorClass(kind, 'createDetector').create(config);
}

/**
 * Loads a model saved by any detector and returns it as its own class (read from the metadata's
 * `kind`; a GANomaly model saved before detectors had kinds loads as 'ganomaly'). The model is
 * read once.
 */
export async function loadDetector(location: ModelLocation, options: { backend?: string } = {}): Promise<Detector> {
  const fn = 'loadDetector';
  // Selected before reading, as the classes' own load does (tfjs-layers builds on the current backend).
  await useBackend(options.backend ?? 'auto');
  const where = describeLocation(location);
  const artifacts = await readArtifacts(location, fn);
  const kind = artifactsMetadata(artifacts, where).kind ?? 'ganomaly';
  if (!Object.hasOwn(DETECTORS, kind)) {
    throw new ModelFormatError(`The model at ${where} is a '${kind}' detector, which this library does not know (it knows ${detectorKinds().map((k) => `'${k}'`).join(', ')}): it was saved by a newer @ganomaly/core.`);
  }
  return DETECTORS[kind]!.load(new PreloadedArtifacts(artifacts, where), options);
}
