// What `fit` does the same way for GANomaly (training.ts) and for the detectors built on
// BaseDetector (detectors/base.ts): the training images and validation set as sources, and the
// epoch loop: seeded batches per epoch, continuing an interrupted epoch, stopping between two
// batches on an abort (the position kept in `partial`, so that a checkpoint saved then or the next
// fit goes on from there), the divergence check, each epoch's mean losses, time and throughput,
// and the AbortError. What differs comes in through the loop's hooks: the step itself (GANomaly's
// may run data-parallel), what follows a step (a collapsed D's reset, the batch callback) and an
// epoch's logs (their shape, validation AUROC, GANomaly's epoch selection). Internal.
import { AbortError, TrainingError, ValueError, failWith } from '@ganomaly/common';
import { batchIndices } from '@ganomaly/data';
import { checkLabels, disposeSource, imageSource, type ImageInput, type ImageSource } from './inputs.js';
import type { PartialEpoch } from './types.js';

/** fit's labelled images scored after every epoch, as a source. */
export interface ValidationSource {
  src: ImageSource;
  labels: ArrayLike<number>;
}

/**
 * fit's training images (at least 2) and its validation set (labels checked) as sources; when a
 * check fails, what was opened is disposed before the error is thrown.
 */
export async function fitSources(
  images: ImageInput,
  validation: { images: ImageInput; labels: ArrayLike<number> } | undefined,
  fn: string,
  target: { imageSize: number; channels: 1 | 3 },
): Promise<{ src: ImageSource; validation: ValidationSource | null }> {
  const src = await imageSource(images, 'images', fn, target);
  if (src.count < 2) {
    disposeSource(src);
    failWith('images', fn, 'at least 2 images (BatchNorm needs a batch to normalise over)', `${src.count}`);
  }
  let v: ValidationSource | null = null;
  try {
    if (validation) {
      v = { src: await imageSource(validation.images, 'options.validation.images', fn, target), labels: validation.labels };
      checkLabels(v.labels, v.src.count, 'options.validation.labels', fn);
    }
  } catch (e) {
    disposeSource(src);
    if (v) disposeSource(v.src);
    throw e;
  }
  return { src, validation: v };
}

/** Where a model's training stands; `runEpochs` moves it on in place. */
export interface TrainingPosition {
  /** Complete epochs so far. */
  epochsTrained: number;
  /** Where an interrupted epoch stopped. */
  partial: PartialEpoch | null;
}

/** Which step a hook is called for. */
export interface StepPlace {
  /** 1-based epoch. */
  epoch: number;
  /** 0-based batch within the epoch. */
  batch: number;
  /** The epoch's number of batches. */
  batches: number;
}

/** What the loop measured over one complete epoch. */
export interface EpochTotals {
  /** 1-based. */
  epoch: number;
  /** The epoch this fit ends at: the epochs trained before it plus its `epochs`. */
  epochs: number;
  /** Each loss's mean over the epoch's batches, in the order the step returns them. */
  means: number[];
  /** How often a discriminator was re-initialised during the epoch. */
  resets: number;
  seconds: number;
  imagesPerSecond: number;
}

export interface EpochLoop<L> {
  /** The caller's name in messages ('fit'). */
  fn: string;
  position: TrainingPosition;
  src: ImageSource;
  epochs: number;
  batchSize: number;
  shuffle: boolean;
  /** config.seed: with the epoch, it seeds the epoch's batch order. */
  seed: number;
  /** How many losses a step returns. */
  lossCount: number;
  /** Stops training between two batches. */
  signal?: AbortSignal;
  /** The discriminator-reset counter now (each epoch's logs and a partial epoch count from it). */
  resets(): number;
  /** At the start of each epoch, on its clock (e.g. training goes on from the running BatchNorm averages). */
  startEpoch(): void;
  /** One training step on the images at `indices`; resolves to its losses, read back. */
  step(indices: Int32Array, place: StepPlace): Promise<number[]>;
  /** After a step with finite losses, once they are counted (e.g. a collapsed D's reset, `onBatchEnd`). */
  afterStep(losses: number[], place: StepPlace): Promise<void>;
  /** After each complete epoch: its logs (e.g. with the validation AUROC), after `onEpochEnd` has seen them. */
  endEpoch(totals: EpochTotals): Promise<L>;
}

/**
 * Trains `loop.epochs` epochs (the first of them the rest of an interrupted one, when the position
 * holds one for the next epoch); returns the complete epochs' logs, and whether the signal stopped
 * training (the position then holds where, when any batch of the epoch was trained).
 */
export async function runEpochs<L>(loop: EpochLoop<L>): Promise<{ history: L[]; aborted: boolean }> {
  const { fn, position, src, batchSize, shuffle, signal } = loop;
  const history: L[] = [];
  const firstEpoch = position.epochsTrained;
  const effectiveBatch = Math.min(batchSize, src.count);
  for (let e = 0; e < loop.epochs; e++) {
    const epoch = position.epochsTrained + 1;
    const resume = position.partial?.epoch === epoch ? position.partial : null;
    if (resume && (resume.batchSize !== effectiveBatch || resume.count !== src.count || resume.shuffle !== shuffle)) {
      throw new ValueError(
        `'${fn}' cannot continue the interrupted epoch ${epoch} (stopped after batch ${resume.nextBatch} of ${resume.batches}): it ran on ${resume.count} images with batchSize ${resume.batchSize} and shuffle ${resume.shuffle}, ` +
          `this call has ${src.count} images, batchSize ${effectiveBatch} and shuffle ${shuffle}. Pass the same images and options, or set options.restartEpoch to train epoch ${epoch} from its start.`,
      );
    }
    const start = performance.now();
    loop.startEpoch();
    const batches = batchIndices(src.count, effectiveBatch, { shuffle, seed: loop.seed * 100_003 + epoch, dropLast: src.count >= batchSize });
    const sums = resume ? [...resume.sums] : new Array<number>(loop.lossCount).fill(0);
    const resetsBefore = resume ? resume.resetsBefore : loop.resets();
    const secondsBefore = resume ? resume.seconds : 0;
    let seen = resume ? resume.seen : 0;
    let done = resume ? resume.nextBatch : 0;
    let aborted = false;
    let b = done;
    for (; b < batches.length; b++) {
      // One turn of the event loop per batch: on wasm and cpu a step never waits on anything,
      // so without it an abort from a signal handler or a timer would only land at the epoch's end.
      if (signal) await yieldToEventLoop();
      if (signal?.aborted) {
        aborted = true;
        break;
      }
      const place: StepPlace = { epoch, batch: b, batches: batches.length };
      const values = await loop.step(batches[b]!, place);
      if (values.some((v) => !Number.isFinite(v))) {
        throw new TrainingError(`Training diverged at epoch ${epoch}, batch ${b + 1}: losses ${values.join(', ')}. Lower config.learningRate.`);
      }
      values.forEach((v, i) => (sums[i]! += v));
      seen += batches[b]!.length;
      done++;
      await loop.afterStep(values, place);
    }
    const seconds = secondsBefore + (performance.now() - start) / 1000;
    if (aborted) {
      // Part of an epoch is not an epoch: it is neither logged nor counted, but the next fit
      // (or a checkpoint saved now) goes on from the batch where it stopped.
      if (done > 0) {
        position.partial = { epoch, nextBatch: b, batches: batches.length, batchSize: effectiveBatch, count: src.count, shuffle, sums, seen, seconds, resetsBefore };
      }
      return { history, aborted: true };
    }
    position.partial = null;
    position.epochsTrained = epoch;
    const totals: EpochTotals = {
      epoch,
      epochs: firstEpoch + loop.epochs,
      means: sums.map((s) => s / done),
      resets: loop.resets() - resetsBefore,
      seconds,
      imagesPerSecond: seen / seconds,
    };
    history.push(await loop.endEpoch(totals));
  }
  return { history, aborted: false };
}

/** The error an aborted fit rejects with: how far it got, and the complete epochs' logs as `history`. */
export function abortError<L>(history: L[], partial: PartialEpoch | null): AbortError & { history: L[] } {
  const where = partial ? ` and ${partial.nextBatch} of ${partial.batches} batches of epoch ${partial.epoch}` : '';
  const err = new AbortError(`Training was aborted after ${history.length} complete epoch(s)${where}; the model keeps the weights it reached.`) as AbortError & { history: L[] };
  err.history = history;
  return err;
}

/** Resolves after pending timers and I/O callbacks (a macrotask), in Node and in browsers. */
function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown };
  return new Promise((resolve) => (g.setImmediate ? g.setImmediate(resolve) : setTimeout(resolve, 0)));
}
