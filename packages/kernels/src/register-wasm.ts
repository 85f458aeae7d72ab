// The kernels this library registers on tfjs's wasm backend.
import { registerFastConvFilterGradient } from './conv2d-backprop-filter.js';
import { registerFastConvInputGradient } from './conv2d-backprop-input.js';
import { registerFastLeakyRelu } from './leaky-relu.js';
import { registerKernels, KERNEL_NAMES, type KernelRegistration } from './register.js';
import { registerFastTile } from './tile.js';

export const wasmKernels: readonly KernelRegistration[] = [
  // Only where wasm has none, so a tfjs release that ships its own keeps it.
  { kernelName: KERNEL_NAMES.conv2DBackpropFilter, register: (b) => registerFastConvFilterGradient(b) },
  // wasm has its own Conv2DBackpropInput, but as a scalar loop: replaced by an XNNPACK convolution.
  { kernelName: KERNEL_NAMES.conv2DBackpropInput, register: registerFastConvInputGradient },
  // Tile (BatchNorm's gradient broadcasts with it) by block copies instead of an index per element.
  { kernelName: KERNEL_NAMES.tile, register: registerFastTile },
  // LeakyRelu and its gradient as one JavaScript pass each, instead of a scalar loop and three kernels.
  { kernelName: KERNEL_NAMES.leakyRelu, register: registerFastLeakyRelu },
];

/** Registers `wasmKernels` on 'wasm'; returns the names of those registered (none the second time). */
export function registerWasmKernels(): string[] {
  return registerKernels('wasm', wasmKernels);
}
