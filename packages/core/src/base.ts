// `@ganomaly/core/base` in Node: the API of @ganomaly/core without registering any backend (an app
// imports the backend packages it wants, e.g. `@ganomaly/backend-wasm`). It has the Node parts all
// the same: the `file://` handler, fit({ workers }), TensorBoard logs (installed as a hook, see
// node-parts.ts) and the Node-only exports. The browser build is base.browser.ts.
export * from './api.js';
import './install-node-parts.js';
export { fileHandler, isModelFolder, readModelMetadata } from './node-file-handler.js';
export { isProcessAlive, recoverInterruptedSave } from './node-save-recovery.js';
export { ScoringPool } from './parallel.js';
