/**
 * @ganomaly/kernels: the tfjs kernels this library adds to or replaces in tfjs's backends for
 * training (one file per kernel), and one list per backend of what it registers
 * (register-<backend>.ts). The backend packages register their list when their backend is
 * selected; nothing is registered on import.
 */
export { type KernelRegistration, KERNEL_NAMES, registerKernels } from './register.js';
export { wasmKernels, registerWasmKernels } from './register-wasm.js';
export { cpuKernels, registerCpuKernels } from './register-cpu.js';
export { webgpuKernels, registerWebgpuKernels } from './register-webgpu.js';
// The kernels one by one, for a backend without a list here. Their internals (the kernel
// configs, the matrix-product and convolution forms) are not exported; the tests import them
// from their modules.
export { registerFastConvFilterGradient } from './conv2d-backprop-filter.js';
export { registerFastConvInputGradient } from './conv2d-backprop-input.js';
export { registerFastTile } from './tile.js';
export { registerFastLeakyRelu } from './leaky-relu.js';
// The tensorflow backend's list, and the switches of its forms (bench/tf-kernels.mjs, the parity tests).
export { tensorflowKernels, registerTensorflowKernels } from './register-tensorflow.js';
export { TENSORFLOW_FORMS } from './tensorflow-ops.js';
