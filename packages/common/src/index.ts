export * from './errors.js';
export * from './check.js';
export * from './runtime.js';
export * from './backends.js';
export * from './optional.js';
