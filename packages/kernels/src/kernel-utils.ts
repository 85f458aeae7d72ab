// What the kernels of this package share: calling a backend's own kernel from inside a kernel,
// registering a kernel in place of a backend's own, and the backend facts they decide by.
import * as tf from '@tensorflow/tfjs-core';
import { backend_util, type KernelBackend, type KernelConfig, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';

/** Backends whose tensors live in CPU memory, where reading one inside a kernel costs a copy at most. */
export const HOST_MEMORY = new Set(['wasm', 'cpu']);
/**
 * Below this many input channels a convolution has too little work per output pixel for a
 * convolution kernel to run well (XNNPACK reached 2 to 3 GFLOP/s on the first layer's gradients,
 * against 20 to 60 on the others, measured with bench/profile-step.mjs): the matrix-product forms
 * below take over.
 */
export const FEW_CHANNELS = 8;

/**
 * Runs the active backend's kernel `name` directly (not as an op: nothing is recorded on a
 * gradient tape, and the caller frees intermediates at once).
 */
export function run(name: string, backend: KernelBackend, inputs: Record<string, TensorInfo>, attrs: object): TensorInfo {
  const k = tf.getKernel(name, tf.getBackend());
  if (!k) throw new Error(`Kernel '${name}' is not registered for backend '${tf.getBackend()}'.`);
  return k.kernelFunc({ inputs, backend, attrs: attrs as NamedAttrMap }) as TensorInfo;
}

type MarkedKernel = KernelConfig & { ganomaly?: boolean };

/**
 * Registers this library's kernel for `kernelName` on `backendName` in place of the backend's own,
 * which `make` receives (for fallbacks); its `setupFunc` is kept, because the wasm backend binds
 * its C++ functions there. The kernel is marked, so a second call registers nothing: returns
 * whether it registered.
 */
export function replaceKernel(kernelName: string, backendName: string, make: (existing: KernelConfig | undefined) => KernelConfig['kernelFunc']): boolean {
  const existing = tf.getKernel(kernelName, backendName) as MarkedKernel | undefined;
  if (existing?.ganomaly) return false;
  if (existing) tf.unregisterKernel(kernelName, backendName);
  const config: MarkedKernel = { kernelName, backendName, setupFunc: existing?.setupFunc, kernelFunc: make(existing) };
  config.ganomaly = true;
  tf.registerKernel(config);
  return true;
}

/** The parts of the wasm backend a JavaScript kernel needs (structural, so no import of the package). */
export interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** The geometry of a (dilation-1) 2-D convolution from the attributes of its gradient kernels. */
export function conv2DInfo(
  xShape: readonly number[],
  filterShape: readonly number[],
  attrs: Pick<tf.Conv2DBackpropFilterAttrs, 'strides' | 'pad' | 'dimRoundingMode' | 'dataFormat'>,
): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
}
