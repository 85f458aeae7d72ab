/**
 * Registers tfjs's WebAssembly backend (XNNPACK, SIMD) with @ganomaly, and adds the training
 * kernels it lacks (Conv2DBackpropFilter, computed as a convolution; see @ganomaly/common's
 * kernels). Kernels are added only where the wasm backend has none, so a tfjs release that ships
 * its own keeps it.
 *
 * In browsers the `.wasm` files must be reachable: call `setWasmPaths(prefix)` before the backend
 * is first used, when they are not served next to the bundle.
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerBackendCandidate, registerFastConvFilterGradient } from '@ganomaly/common';

export { setWasmPaths };
export const WASM_PRIORITY = 20;

/** Adds the training kernels the wasm backend lacks; returns the names of those it added. */
export function registerWasmTrainingKernels(): string[] {
  const added: string[] = [];
  if (registerFastConvFilterGradient('wasm')) added.push('Conv2DBackpropFilter');
  return added;
}

registerBackendCandidate({
  name: 'wasm',
  priority: WASM_PRIORITY,
  load: async () => {
    registerWasmTrainingKernels();
  },
});
