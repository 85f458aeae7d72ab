/**
 * Registers @tensorflow/tfjs-node-gpu (native TensorFlow with CUDA, for NVIDIA GPUs) with @ganomaly, when it is installed.
 * It is an optional peer dependency: its install script downloads libtensorflow, which some
 * machines cannot reach. When it is missing, selecting this backend fails with a message that
 * says how to install it, and `useBackend('auto')` moves on to the next candidate.
 */
import { loadOptionalPackage, registerBackendCandidate } from '@ganomaly/common';

export const NODE_GPU_PRIORITY = 40;
export const NODE_GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';

/** Imports @tensorflow/tfjs-node-gpu; throws an Error naming the fix when it cannot be loaded. */
export function loadTfjsNodeGpu(): Promise<unknown> {
  return loadOptionalPackage(NODE_GPU_PACKAGE, `\`npm install ${NODE_GPU_PACKAGE}@^4.22.0\` (its install script downloads libtensorflow and needs CUDA and cuDNN)`, import.meta.url);
}

registerBackendCandidate({
  name: 'node-gpu',
  tfjsName: 'tensorflow',
  aliases: ['tfjs-node-gpu', 'gpu'],
  priority: NODE_GPU_PRIORITY,
  load: async () => {
    await loadTfjsNodeGpu();
  },
});
