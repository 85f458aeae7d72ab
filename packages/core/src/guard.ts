// Concurrent use of one model, and models that give non-finite scores. Installed on the Ganomaly
// prototype by `guardModel` (one call after the class), so the class itself stays as it is:
//
// - `fit` runs alone: a second `fit`, or `score`/`scoreComponents`/`predict`/`evaluate`/`calibrate`/`reconstruct`/
//   `save`/`exportOnnx`/`recomputeStatistics` from outside fit's own callbacks, rejects with a
//   BusyError while it trains (calls made inside `onBatchEnd`/`onEpochEnd`, such as saving a
//   checkpoint, run between two batches and are allowed). `fit` while one of those calls is running
//   rejects with a BusyError too.
// - `dispose()` during `fit` stops training at the next batch; fit rejects with a DisposedError and
//   the tensors are released once it has stopped. `dispose()` during another call releases them when
//   that call settles. Any call after `dispose()` fails with a DisposedError at once.
// - Scores that are NaN or infinite mean the model is unusable (damaged weights, or weights so large
//   that the forward pass overflows): a ModelFormatError, not NaN rows or a misleading error later.
import { BusyError, DisposedError, ModelFormatError } from '@ganomaly/common';

interface GuardState {
  fitting: boolean;
  /** > 0 while one of fit's callbacks runs (fit waits on it, so calls from it are safe). */
  inCallback: number;
  /** Calls other than fit now running, by name. */
  running: string[];
  disposeRequested: boolean;
  stop: AbortController | null;
}

const states = new WeakMap<object, GuardState>();

function stateOf(model: object): GuardState {
  let s = states.get(model);
  if (!s) states.set(model, (s = { fitting: false, inCallback: 0, running: [], disposeRequested: false, stop: null }));
  return s;
}

/** Calls that read the model (and may overlap each other) but not a running fit. */
const SHARED = ['score', 'scoreComponents', 'predict', 'evaluate', 'calibrate', 'reconstruct', 'save', 'exportOnnx', 'recomputeStatistics'] as const;

type Method = (this: object, ...args: unknown[]) => Promise<unknown>;

interface Guardable {
  fit: Method;
  dispose(this: object): void;
}

function disposedError(fn: string, what: string): DisposedError {
  return new DisposedError(`'${fn}' was called on ${what} that was disposed. Create or load a new one.`);
}

/** `what` names the model in messages ('a Ganomaly model'; the other detectors say 'a model'). */
export function guardModel(proto: object, what = 'a Ganomaly model'): void {
  const p = proto as Guardable & Record<string, Method>;
  const fit = p.fit;
  const dispose = p.dispose;

  p.fit = async function (this: object, images: unknown, options: Record<string, unknown> = {}) {
    const s = stateOf(this);
    if (s.disposeRequested) throw disposedError('fit', what);
    if (s.fitting) throw new BusyError("'fit' was called while this model is already training (an earlier 'fit' has not settled). Await it first, or train another model.");
    if (s.running.length) throw new BusyError(`'fit' was called while this model is busy with '${s.running[0]}'. Await that call first.`);
    const stop = new AbortController();
    const user = options?.signal as AbortSignal | undefined;
    const onAbort = () => stop.abort(user?.reason);
    if (user?.aborted) stop.abort(user.reason);
    else user?.addEventListener?.('abort', onAbort, { once: true });
    const inCallback = (f: unknown) =>
      typeof f !== 'function'
        ? f
        : async (...a: unknown[]) => {
            s.inCallback++;
            try {
              return await (f as (...x: unknown[]) => unknown)(...a);
            } finally {
              s.inCallback--;
            }
          };
    s.fitting = true;
    s.stop = stop;
    try {
      return await fit.call(this, images, { ...options, signal: stop.signal, onBatchEnd: inCallback(options?.onBatchEnd), onEpochEnd: inCallback(options?.onEpochEnd) });
    } catch (e) {
      if (s.disposeRequested) {
        throw new DisposedError("'fit' stopped because the model was disposed during training; its tensors are released. Create or load a new model.");
      }
      throw e;
    } finally {
      user?.removeEventListener?.('abort', onAbort);
      s.fitting = false;
      s.stop = null;
      if (s.disposeRequested && !s.running.length) dispose.call(this);
    }
  } as Method;

  for (const name of SHARED) {
    const method = p[name];
    // A detector without the method (only GANomaly exports ONNX) gets none.
    if (typeof method !== 'function') continue;
    p[name] = async function (this: object, ...args: unknown[]) {
      const s = stateOf(this);
      if (s.disposeRequested) throw disposedError(name, what);
      if (s.fitting && s.inCallback === 0) {
        throw new BusyError(`'${name}' was called while this model is training ('fit' has not settled). Await fit first, or call it from fit's onEpochEnd/onBatchEnd.`);
      }
      s.running.push(name);
      try {
        return await method.apply(this, args);
      } finally {
        s.running.splice(s.running.indexOf(name), 1);
        if (s.disposeRequested && !s.running.length && !s.fitting) dispose.call(this);
      }
    } as Method;
  }

  p.dispose = function (this: object) {
    const s = stateOf(this);
    if (s.fitting || s.running.length) {
      // Released when the running call settles (fit stops at the next batch).
      s.disposeRequested = true;
      s.stop?.abort();
      return;
    }
    dispose.call(this);
  };
}

/** Scores that are NaN or infinite mean an unusable model: a ModelFormatError (called by every scoring pass). */
export function checkFiniteScores(scores: Float32Array): Float32Array {
  let bad = 0;
  for (let i = 0; i < scores.length; i++) if (!Number.isFinite(scores[i])) bad++;
  if (bad) {
    throw new ModelFormatError(
      `The model gives non-finite anomaly scores (NaN or infinite) for ${bad} of ${scores.length} image(s): its weights are damaged or out of range. Restore a good copy or retrain.`,
    );
  }
  return scores;
}
