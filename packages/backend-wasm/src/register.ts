// The wasm backend candidate and its training kernels, for Node and browsers alike. index.ts (Node)
// adds the threaded-wasm loader; index.browser.ts (the "browser" export condition) does not.
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerBackendCandidate } from '@ganomaly/common';
import { registerWasmKernels } from '@ganomaly/kernels';

export { setWasmPaths };
export const WASM_PRIORITY = 20;

/** Adds the training kernels the wasm backend lacks, and faster ones where its own are slow; returns the names of those it registered. */
export function registerWasmTrainingKernels(): string[] {
  // The list is @ganomaly/kernels' register-wasm.ts.
  return registerWasmKernels();
}

registerBackendCandidate({
  name: 'wasm',
  priority: WASM_PRIORITY,
  initFailureHint:
    "Its .wasm files (tfjs-backend-wasm.wasm, -simd.wasm, -threaded-simd.wasm) could not be loaded: serve them and call setWasmPaths('<URL of their folder>/') from @ganomaly/backend-wasm before the backend is first used.",
  load: async () => {
    registerWasmTrainingKernels();
  },
});
