// The kernels this library registers on tfjs's webgpu backend.
import { registerFastConvFilterGradient } from './conv2d-backprop-filter.js';
import { registerKernels, KERNEL_NAMES, type KernelRegistration } from './register.js';

/**
 * Measured on Mesa's llvmpipe: Conv2DBackpropFilter as a convolution over transposed tensors: 373
 * -> 249 ms for [64,16,16,32] -> 4x4x32x64 stride 2 (it was 47% of a training step). The input
 * gradient keeps webgpu's own kernel: the sub-pixel form rearranges filters on the CPU, which a
 * GPU backend cannot do without a synchronous read.
 */
export const webgpuKernels: readonly KernelRegistration[] = [
  { kernelName: KERNEL_NAMES.conv2DBackpropFilter, register: (b) => registerFastConvFilterGradient(b, { replace: true }) },
];

/** Registers `webgpuKernels` on 'webgpu'; returns the names of those registered. */
export function registerWebgpuKernels(): string[] {
  return registerKernels('webgpu', webgpuKernels);
}
