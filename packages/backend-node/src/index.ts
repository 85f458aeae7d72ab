/**
 * Registers @tensorflow/tfjs-node (native TensorFlow on the CPU) with @ganomaly, when it is installed.
 * It is an optional peer dependency: its install script downloads libtensorflow, which some
 * machines cannot reach. When it is missing, selecting this backend fails with a message that
 * says how to install it, and `useBackend('auto')` moves on to the next candidate.
 */
import { loadOptionalPackage, registerBackendCandidate } from '@ganomaly/common';

export const NODE_PRIORITY = 30;
export const NODE_PACKAGE = '@tensorflow/tfjs-node';

/** Imports @tensorflow/tfjs-node; throws an Error naming the fix when it cannot be loaded. */
export function loadTfjsNode(): Promise<unknown> {
  return loadOptionalPackage(NODE_PACKAGE, `\`npm install ${NODE_PACKAGE}@^4.22.0\` (its install script downloads libtensorflow)`, import.meta.url);
}

registerBackendCandidate({
  name: 'node',
  tfjsName: 'tensorflow',
  aliases: ['tensorflow', 'tfjs-node'],
  priority: NODE_PRIORITY,
  load: async () => {
    await loadTfjsNode();
  },
});
