/**
 * The browser build of @ganomaly/backend-wasm (the `browser` condition of its `exports`): the same
 * backend candidate and training kernels as in Node, without the threaded-wasm loader for Node
 * (node-threads.ts: node:vm, node:fs, worker_threads), so a bundle holds no Node code. In browsers
 * tfjs chooses its threaded build itself, on a cross-origin isolated page.
 */
import type { WasmThreadsStatus } from './node-threads.js';

export { WASM_PRIORITY, registerWasmTrainingKernels, setWasmPaths } from './register.js';
export type { WasmThreadsStatus };

/**
 * Node only: in browsers tfjs decides the thread count (threads need a cross-origin isolated
 * page). Checks its argument as in Node and otherwise does nothing, so code shared with Node runs.
 */
export function setWasmThreads(threads: number | 'auto'): void {
  if (threads !== 'auto' && !(Number.isInteger(threads) && threads >= 1 && threads <= 8)) {
    throw new RangeError(`Argument 'threads' passed to 'setWasmThreads' must be 'auto' or an integer from 1 to 8, but got ${String(threads)}.`);
  }
}

/** Node only: null in browsers (tfjs decides there). */
export function wasmThreadsStatus(): WasmThreadsStatus | null {
  return null;
}
