// Side effects: tfjs-layers (which also registers tfjs-core's gradients in its Node build) and the
// backends every install has: wasm and cpu, plus webgpu, tfjs-node and tfjs-node-gpu when their
// optional peers are there (those packages only register a candidate; the peer is imported when
// the backend is selected).
import '@tensorflow/tfjs-layers';
import '@ganomaly/backend-cpu';
import '@ganomaly/backend-wasm';
import '@ganomaly/backend-node';
import '@ganomaly/backend-node-gpu';
import '@ganomaly/backend-webgpu';
import '@ganomaly/backend-webgl';

// wasm's XNNPACK threads in Node (the count is fixed when the backend starts), and where a page
// serves the .wasm files (an app then needs no import of @ganomaly/backend-wasm of its own).
export { setWasmPaths, setWasmThreads, wasmThreadsStatus, type WasmThreadsStatus } from '@ganomaly/backend-wasm';
// The API and the Node parts (the file:// handler, worker-thread scoring, data-parallel training,
// TensorBoard): `@ganomaly/core/base`'s Node build. The browser build (index.browser.ts) leaves them out.
export * from './base.js';
