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
// The kernels, one by one (for backends without a list here, and for tests).
export { makeConv2DBackpropFilterKernel, registerFastConvFilterGradient } from './conv2d-backprop-filter.js';
export { makeConv2DBackpropInputKernel, registerFastConvInputGradient } from './conv2d-backprop-input.js';
export { tileByBlocks, registerFastTile } from './tile.js';
export { LEAKY_RELU_GRAD, registerFastLeakyRelu } from './leaky-relu.js';
export { tensorflowKernels, registerTensorflowKernels } from './register-tensorflow.js';
export { TENSORFLOW_FORMS } from './tensorflow-ops.js';
export { conv2DBackpropFilterViaPatches, filterGradientUsesPatches } from './conv2d-backprop-filter-tensorflow.js';
export { conv2DBackpropInputDense, conv2DBackpropInputSubPixel } from './conv2d-backprop-input-tensorflow.js';
