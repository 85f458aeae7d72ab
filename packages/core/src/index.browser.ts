/**
 * The browser build of @ganomaly/core (the `browser` condition of its `exports`): the same API as
 * index.ts, with the backends a browser can use (webgpu, webgl, wasm, cpu; the native TensorFlow
 * ones are Node only) and without the Node-only parts: the `file://` handler, data-parallel
 * training (`fit({ workers > 1 })` is a ValueError, as on any runtime without worker_threads) and
 * `ScoringPool`, which throw an error that says they need Node. Save and load with
 * `indexeddb://`, `localstorage://`, `downloads://` and `http(s)://` instead.
 */
import '@tensorflow/tfjs-layers';
import '@ganomaly/backend-cpu';
import '@ganomaly/backend-wasm';
import '@ganomaly/backend-webgpu';
import '@ganomaly/backend-webgl';

export { setWasmPaths, setWasmThreads, wasmThreadsStatus, type WasmThreadsStatus } from '@ganomaly/backend-wasm';
// The API, with the Node-only names as functions that throw (see base.browser.ts).
export * from './base.browser.js';
