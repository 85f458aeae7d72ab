import * as tf from '@tensorflow/tfjs-core';
import { BackendError, UnknownNameError } from './errors.js';

/**
 * A backend this library knows how to set up. Backend packages (`@ganomaly/backend-cpu`, ...)
 * register one on import; `useBackend` picks one by name or takes the best that works.
 */
export interface BackendCandidate {
  /** This library's name for it: `cpu`, `wasm`, `node`, `node-gpu`, ... */
  readonly name: string;
  /** The tfjs backend it sets (`tensorflow` for both tfjs-node and tfjs-node-gpu); default `name`. */
  readonly tfjsName?: string;
  /** Other names a user may type. */
  readonly aliases?: readonly string[];
  /** Higher is tried first by `useBackend('auto')`. */
  readonly priority: number;
  /**
   * Makes the tfjs backend available (imports the package, registers kernels). Throws an Error
   * whose message says why it cannot work here and how to fix that. `auto` is true when
   * `useBackend('auto')` is trying candidates: a backend that works but would be a poor default
   * (WebGPU on a software adapter) can decline then and still be chosen by name.
   */
  load(context?: { auto: boolean }): Promise<void>;
  /** Called once the backend is set and ready (e.g. to quiet a notice the backend would print on first use). */
  ready?(): void;
  /** Added to the error when tfjs fails to initialise the backend after `load` succeeded. */
  readonly initFailureHint?: string;
}

const candidates = new Map<string, BackendCandidate>();

export function registerBackendCandidate(candidate: BackendCandidate): void {
  candidates.set(candidate.name, candidate);
}

/** Registered candidates, best first. */
export function listBackendCandidates(): BackendCandidate[] {
  return [...candidates.values()].sort((a, b) => b.priority - a.priority);
}

function findCandidate(name: string): BackendCandidate | undefined {
  return (
    candidates.get(name) ??
    listBackendCandidates().find((c) => c.aliases?.includes(name))
  );
}

async function tryCandidate(c: BackendCandidate, auto: boolean): Promise<void> {
  await c.load({ auto });
  const tfjsName = c.tfjsName ?? c.name;
  let ok: boolean;
  try {
    ok = await tf.setBackend(tfjsName);
  } catch (e) {
    throw new Error(`tf.setBackend('${tfjsName}') threw: ${(e as Error).message}`);
  }
  if (!ok) {
    throw new Error(`tf.setBackend('${tfjsName}') returned false: the backend failed to initialise.${c.initFailureHint ? ` ${c.initFailureHint}` : ''}`);
  }
  await tf.ready();
  c.ready?.();
}

/**
 * Selects the tfjs backend. `'auto'` tries the registered candidates from best to worst and takes
 * the first that initialises; when none does, one BackendError lists why each failed. A name
 * selects that backend (a registered candidate, an alias, or any backend already registered with
 * tfjs by the app itself). Returns this library's name of the backend now in use.
 */
export async function useBackend(name: string = 'auto'): Promise<string> {
  if (name === 'auto') {
    const reasons: { backend: string; reason: string }[] = [];
    for (const c of listBackendCandidates()) {
      try {
        await tryCandidate(c, true);
        return c.name;
      } catch (e) {
        reasons.push({ backend: c.name, reason: (e as Error).message });
      }
    }
    throw new BackendError(
      listBackendCandidates().length === 0
        ? "No backend is registered. Import one, e.g. `import '@ganomaly/backend-cpu'`, or use @ganomaly/core, which registers cpu, wasm, node and node-gpu."
        : 'No backend could be initialised:',
      reasons,
    );
  }
  const c = findCandidate(name);
  if (c) {
    try {
      await tryCandidate(c, false);
    } catch (e) {
      throw new BackendError(`Backend '${name}' could not be initialised:`, [{ backend: c.name, reason: (e as Error).message }]);
    }
    return c.name;
  }
  if (tf.findBackendFactory(name) != null) {
    if (!(await tf.setBackend(name))) throw new BackendError(`Backend '${name}' is registered with tfjs but failed to initialise.`);
    await tf.ready();
    return name;
  }
  const known = [...new Set([...listBackendCandidates().flatMap((c) => [c.name, ...(c.aliases ?? [])]), ...Object.keys(tf.engine().registryFactory)])];
  throw new UnknownNameError('backend', name, ['auto', ...known], "'useBackend'");
}
