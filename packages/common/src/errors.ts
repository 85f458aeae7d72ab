/**
 * Typed errors of @ganomaly. Every error names the argument and the call it came from, what was
 * expected and what came, so that a user can fix the call without reading the source.
 *
 * `Object.setPrototypeOf` keeps `instanceof` working when TypeScript compiles to ES5-style classes
 * and across bundlers (the pattern tfjs-layers uses for its ValueError).
 *
 * Each class spells its `name` out: a minifier renames classes, so `new.target.name` turned a
 * `BackendError` into `aj: Backend 'wasm' could not be initialised` in a minified bundle. A class
 * field is set after `super()` returns, so the most derived class that sets it wins. A subclass of
 * your own keeps its class name (unminified) only when it extends GanomalyError directly; one that
 * extends ValueError, BusyError, ... gets that class's name unless it sets `override name =
 * 'MyError'` (which also keeps it minified).
 */
export class GanomalyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target === GanomalyError ? 'GanomalyError' : new.target.name;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** An argument has the wrong type, shape, size, range or content. */
export class ValueError extends GanomalyError {
  override name = 'ValueError';
}

/** A name (encoder, backend, score variant, ...) is not one of the registered names. */
export class UnknownNameError extends GanomalyError {
  override name = 'UnknownNameError';
  constructor(
    readonly kind: string,
    readonly requested: string,
    readonly known: readonly string[],
    context = '',
  ) {
    super(
      `Unknown ${kind} '${requested}'${context ? ` passed to ${context}` : ''}. ` +
        `Known ${kind}s: ${known.length ? known.map((k) => `'${k}'`).join(', ') : '(none registered)'}.`,
    );
  }
}

/** No backend could be initialised; `reasons` says why each candidate failed. */
export class BackendError extends GanomalyError {
  override name = 'BackendError';
  constructor(
    message: string,
    readonly reasons: ReadonlyArray<{ backend: string; reason: string }> = [],
  ) {
    super(
      reasons.length
        ? `${message}\n${reasons.map((r) => `  - ${r.backend}: ${r.reason}`).join('\n')}`
        : message,
    );
  }
}

/** A method was called on a model whose tensors were already released with `dispose()`. */
export class DisposedError extends GanomalyError {
  override name = 'DisposedError';
}

/**
 * A model is already busy with a call that cannot overlap this one: `fit` runs alone (no second
 * `fit`, no `score`/`predict`/`evaluate`/`calibrate`/`reconstruct`/`save` while it trains). Wait for
 * the running call to settle, then call again.
 */
export class BusyError extends GanomalyError {
  override name = 'BusyError';
}

/** A saved model cannot be read: files missing or truncated, another format version, or a config that does not match the weights. */
export class ModelFormatError extends GanomalyError {
  override name = 'ModelFormatError';
}

/** A long-running call (fit, calibrate) was stopped through its AbortSignal. */
export class AbortError extends GanomalyError {
  override name = 'AbortError';
}

/** A call needs a step that has not been taken yet (e.g. `predict` before `calibrate`). */
export class NotCalibratedError extends GanomalyError {
  override name = 'NotCalibratedError';
}

/** Training cannot go on: the losses became NaN or infinite. */
export class TrainingError extends GanomalyError {
  override name = 'TrainingError';
}

/** An image file cannot be used: unreadable, corrupt, of an unsupported format, or too large to decode. `file` names it. */
export class ImageError extends GanomalyError {
  override name = 'ImageError';
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(message);
  }
}
