// The Node-only parts of @ganomaly/core, reached through a hook instead of imports: the Node
// builds (base.ts and index.ts, through install-node-parts.ts) install them; the browser builds
// (base.browser.ts, index.browser.ts) do not, so a bundle for browsers holds no file IO, worker threads or
// inlined worker scripts. Only types are imported here.
import type * as tf from '@tensorflow/tfjs-core';
import type { DataParallelTrainer, autoWorkers } from './data-parallel.js';
import type { compiledStepFailure, compiledStepUnavailable, compiledTrainStep, releaseCompiledStep } from './node-compiled-step.js';
import type { openTensorBoard } from './node-tensorboard.js';

export interface NodeParts {
  /** The `file://` IO handler (node-file-handler.ts). */
  fileHandler(url: string, fn: string): tf.io.IOHandler;
  /** Data-parallel training over worker_threads (data-parallel.ts). */
  DataParallelTrainer: typeof DataParallelTrainer;
  autoWorkers: typeof autoWorkers;
  /** TensorBoard logs through tfjs-node (node-tensorboard.ts). */
  openTensorBoard: typeof openTensorBoard;
  /** The `node` backend's compiled training step (node-compiled-step.ts, compiled-step.ts). */
  compiledStepUnavailable: typeof compiledStepUnavailable;
  compiledTrainStep: typeof compiledTrainStep;
  compiledStepFailure: typeof compiledStepFailure;
  releaseCompiledStep: typeof releaseCompiledStep;
}

let parts: NodeParts | null = null;

export function installNodeParts(p: NodeParts): void {
  parts = p;
}

/** The Node parts, or null in the browser build. */
export function nodeParts(): NodeParts | null {
  return parts;
}
