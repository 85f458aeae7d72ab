/**
 * Registers tfjs's WebAssembly backend (XNNPACK, SIMD) with @ganomaly, and adds the training
 * kernels it lacks (Conv2DBackpropFilter, computed as a convolution; see
 * @ganomaly/kernels), only where the wasm backend has none, so a tfjs release that ships its own keeps it.
 * Its scalar-loop Conv2DBackpropInput (also the forward pass of the decoder's transposed
 * convolutions) is replaced by convolutions and matrix products on XNNPACK, and its Tile and
 * LeakyRelu (with LeakyRelu's gradient) by single JavaScript passes over the heap.
 *
 * In Node the backend runs tfjs's multi-threaded build (see ./node-threads.ts and
 * `setWasmThreads`), which tfjs itself only uses in browsers.
 *
 * In browsers the `.wasm` files must be reachable: call `setWasmPaths(prefix)` before the backend
 * is first used, when they are not served next to the bundle.
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerBackendCandidate } from '@ganomaly/common';
import { registerWasmKernels } from '@ganomaly/kernels';
import { installNodeThreadedWasm } from './node-threads.js';

export { setWasmPaths };
export { setWasmThreads, wasmThreadsStatus, type WasmThreadsStatus } from './node-threads.js';
export const WASM_PRIORITY = 20;

/** Adds the training kernels the wasm backend lacks, and faster ones where its own are slow; returns the names of those it registered. */
export function registerWasmTrainingKernels(): string[] {
  // The list is @ganomaly/kernels' register-wasm.ts.
  return registerWasmKernels();
}

installNodeThreadedWasm();

registerBackendCandidate({
  name: 'wasm',
  priority: WASM_PRIORITY,
  initFailureHint:
    "Its .wasm files (tfjs-backend-wasm.wasm, -simd.wasm, -threaded-simd.wasm) could not be loaded: serve them and call setWasmPaths('<URL of their folder>/') from @ganomaly/backend-wasm before the backend is first used.",
  load: async () => {
    registerWasmTrainingKernels();
  },
});
