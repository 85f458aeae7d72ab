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
 * In browsers (index.browser.ts) the `.wasm` files must be reachable: call `setWasmPaths(...)`
 * before the backend is first used; without it tfjs looks for them relative to the page.
 */
import { installNodeThreadedWasm } from './node-threads.js';

export { WASM_PRIORITY, registerWasmTrainingKernels, setWasmPaths } from './register.js';
export { setWasmThreads, wasmThreadsStatus, type WasmThreadsStatus } from './node-threads.js';

installNodeThreadedWasm();
