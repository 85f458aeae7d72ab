/**
 * Registers @tensorflow/tfjs-node-gpu (native TensorFlow with CUDA (NVIDIA GPUs)) with @ganomaly, when it is installed.
 * It is an optional peer dependency: its install script downloads libtensorflow, which some
 * machines cannot reach. When it is missing, selecting this backend fails with a message that
 * says how to install it, and `useBackend('auto')` moves on to the next candidate.
 */
import { registerBackendCandidate } from '@ganomaly/common';

export const NODE_GPU_PRIORITY = 40;
export const NODE_GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';

/** Imports @tensorflow/tfjs-node-gpu; throws an Error naming the fix when it cannot be loaded. */
export async function loadTfjsNodeGpu(): Promise<unknown> {
  // A variable specifier keeps bundlers and TypeScript from requiring the optional package.
  const specifier: string = NODE_GPU_PACKAGE;
  try {
    return await import(specifier);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const missing = err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'MODULE_NOT_FOUND';
    throw new Error(
      missing
        ? `${specifier} is not installed. Install it with \`npm install ${specifier}@^4.22.0\` (its install script downloads libtensorflow and needs CUDA and cuDNN), or choose another backend ('wasm' or 'cpu').`
        : `${specifier} is installed but failed to load: ${err?.message ?? String(e)}. Reinstall it (\`npm rebuild ${specifier}\`) or choose another backend ('wasm' or 'cpu').`,
    );
  }
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
