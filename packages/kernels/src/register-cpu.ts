// The kernels this library registers on tfjs's cpu backend.
import { registerFastConvFilterGradient } from './conv2d-backprop-filter.js';
import { registerKernels, KERNEL_NAMES, type KernelRegistration } from './register.js';

export const cpuKernels: readonly KernelRegistration[] = [
  // The cpu backend's own filter gradient is a loop that takes seconds per call: replaced.
  { kernelName: KERNEL_NAMES.conv2DBackpropFilter, register: (b) => registerFastConvFilterGradient(b, { replace: true }) },
];

/** Registers `cpuKernels` on 'cpu'; returns the names of those registered. */
export function registerCpuKernels(): string[] {
  return registerKernels('cpu', cpuKernels);
}
