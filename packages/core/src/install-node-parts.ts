// Imported by the Node builds (base.ts, and so index.ts) only: installs the Node-only parts (see
// node-parts.ts).
import { DataParallelTrainer, autoWorkers } from './data-parallel.js';
import { fileHandler } from './node-file-handler.js';
import { compiledStepFailure, compiledStepUnavailable, compiledTrainStep, releaseCompiledStep } from './node-compiled-step.js';
import { installNodeParts } from './node-parts.js';
import { openTensorBoard } from './node-tensorboard.js';

installNodeParts({ fileHandler, DataParallelTrainer, autoWorkers, openTensorBoard, compiledStepUnavailable, compiledTrainStep, compiledStepFailure, releaseCompiledStep });
