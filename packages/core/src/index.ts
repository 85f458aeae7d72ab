// Side effects: tfjs-layers (which also registers tfjs-core's gradients in its Node build) and the
// backends every install has: wasm and cpu, plus tfjs-node / tfjs-node-gpu when installed (their
// packages only register a candidate; the optional peer is imported when selected).
import '@tensorflow/tfjs-layers';
import '@ganomaly/backend-cpu';
import '@ganomaly/backend-wasm';
import '@ganomaly/backend-node';
import '@ganomaly/backend-node-gpu';

export * from './base.js';
