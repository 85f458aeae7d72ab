// The kernels this library registers on tfjs-node's `tensorflow` backend (by @ganomaly/backend-node,
// once tfjs-node has loaded). Each replaces tfjs-node's own kernel for the shapes where this
// library's form measured faster (bench/tf-kernels.mjs) and calls tfjs-node's own for the rest.
import { registerTensorflowConvFilterGradient } from './conv2d-backprop-filter-tensorflow.js';
import { registerTensorflowConvInputGradient } from './conv2d-backprop-input-tensorflow.js';
import { registerKernels, KERNEL_NAMES, type KernelRegistration } from './register.js';

export const tensorflowKernels: readonly KernelRegistration[] = [
  // Dense layers in conv form (dy 1x1): one MatMul, 1.6x to 2.1x tfjs-node's own.
  { kernelName: KERNEL_NAMES.conv2DBackpropFilter, register: registerTensorflowConvFilterGradient },
  // Dense layers: one MatMul (2.1x to 3.4x); k4 s2 with few input channels: sub-pixel (1.7x).
  { kernelName: KERNEL_NAMES.conv2DBackpropInput, register: registerTensorflowConvInputGradient },
];

/** Registers `tensorflowKernels` on 'tensorflow'; returns the names of those registered (none the second time). */
export function registerTensorflowKernels(): string[] {
  return registerKernels('tensorflow', tensorflowKernels);
}
