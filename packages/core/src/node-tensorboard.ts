/**
 * TensorBoard logs of training, written through tfjs-node's `tf.node.summaryFileWriter` (event
 * files that `tensorboard --logdir DIR` shows). Used by `fit({ tensorBoard: dir })` and
 * `ganomaly train --tensorboard DIR`; needs the `node` (or `node-gpu`) backend, whose native
 * TensorFlow writes the files.
 *
 * Scalars: per batch (step = (epoch - 1) * batches per epoch + batch, so a resumed run goes on)
 * `batch/generator_loss`, `batch/discriminator_loss`; per epoch (step = epoch)
 * `epoch/generator_loss`, `epoch/discriminator_loss`, `epoch/adversarial_loss`,
 * `epoch/contextual_loss`, `epoch/encoder_loss`, `epoch/images_per_second`,
 * `epoch/discriminator_resets`, `epoch/learning_rate` and, with validation images, `epoch/validation_auroc`
 * (with select: 'validation', `epoch/selection_auroc`).
 */
import { ValueError } from '@ganomaly/common';
import type { TensorBoardLog } from './tensorboard.js';

/** tfjs-node's SummaryFileWriter, as far as this module uses it. */
interface SummaryWriter {
  scalar(name: string, value: number, step: number, description?: string): void;
  flush(): void;
}
interface TfjsNodeModule {
  node: { summaryFileWriter(logdir: string, maxQueue?: number, flushMillis?: number, filenameSuffix?: string): SummaryWriter };
}

/**
 * Opens a TensorBoard log in `dir` for a model on `backend`. Throws a ValueError naming the fix
 * when the backend is not tfjs-node's (the event files are written by native TensorFlow).
 */
export async function openTensorBoard(dir: string, backend: string, learningRate: number, fn: string): Promise<TensorBoardLog> {
  if (typeof dir !== 'string' || dir === '') {
    throw new ValueError(`Argument 'options.tensorBoard' passed to '${fn}' must be a folder name (a non-empty string), but got ${JSON.stringify(dir)}.`);
  }
  if (backend !== 'node' && backend !== 'node-gpu') {
    throw new ValueError(
      `Argument 'options.tensorBoard' passed to '${fn}' needs the 'node' backend: TensorBoard's event files are written by tfjs-node's tf.node.summaryFileWriter, and this model runs on '${backend}'. ` +
        "Create or load the model with backend: 'node' (`npm install @tensorflow/tfjs-node`; without internet access, in the @ganomaly repository: `npm run setup:tfjs-node`), or log with onBatchEnd / onEpochEnd instead.",
    );
  }
  // Imported here, not at the top: importing a backend package registers its candidate, and
  // `@ganomaly/core/base` (which installs this module) registers none.
  const tfn = (backend === 'node' ? await (await import('@ganomaly/backend-node')).loadTfjsNode() : await (await import('@ganomaly/backend-node-gpu')).loadTfjsNodeGpu()) as TfjsNodeModule;
  // Flushed at every epoch's end and at close; 10 s at most between flushes while an epoch runs.
  const writer = tfn.node.summaryFileWriter(dir, 1000, 10_000);
  return {
    onBatchEnd(logs) {
      const step = (logs.epoch - 1) * logs.batches + logs.batch;
      writer.scalar('batch/generator_loss', logs.generatorLoss, step);
      writer.scalar('batch/discriminator_loss', logs.discriminatorLoss, step);
    },
    onEpochEnd(logs) {
      const e = logs.epoch;
      writer.scalar('epoch/generator_loss', logs.generatorLoss, e);
      writer.scalar('epoch/discriminator_loss', logs.discriminatorLoss, e);
      writer.scalar('epoch/adversarial_loss', logs.adversarialLoss, e);
      writer.scalar('epoch/contextual_loss', logs.contextualLoss, e);
      writer.scalar('epoch/encoder_loss', logs.encoderLoss, e);
      writer.scalar('epoch/images_per_second', logs.imagesPerSecond, e);
      writer.scalar('epoch/discriminator_resets', logs.discriminatorResets, e);
      // Adam's step size: constant in GANomaly's recipe, logged so that runs can be told apart.
      writer.scalar('epoch/learning_rate', learningRate, e);
      if (logs.auroc !== undefined) writer.scalar('epoch/validation_auroc', logs.auroc, e);
      if (logs.selectionAuroc !== undefined) writer.scalar('epoch/selection_auroc', logs.selectionAuroc, e);
      writer.flush();
    },
    close() {
      writer.flush();
    },
  };
}
