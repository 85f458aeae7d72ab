// How a backend's list of kernels is registered. Each backend has one list, in its own file
// (register-<backend>.ts), as tfjs has register_all_kernels.ts per backend package; to add kernels
// for another backend, write register-<backend>.ts with its list and export it from index.ts.
import * as tf from '@tensorflow/tfjs-core';

/** One kernel of a backend's list: its tfjs kernel name, and what registers it (returns whether it did). */
export interface KernelRegistration {
  kernelName: string;
  register(backendName: string): boolean;
}

/**
 * Registers every kernel of `list` for `backendName` (those already registered by this library
 * are skipped by their own `register`) and returns the names of those it registered.
 */
export function registerKernels(backendName: string, list: readonly KernelRegistration[]): string[] {
  const added: string[] = [];
  for (const k of list) if (k.register(backendName)) added.push(k.kernelName);
  return added;
}

/** The tfjs kernel names of the kernels this package's functions register. */
export const KERNEL_NAMES = {
  conv2DBackpropFilter: tf.Conv2DBackpropFilter,
  conv2DBackpropInput: tf.Conv2DBackpropInput,
  tile: tf.Tile,
  leakyRelu: tf.LeakyRelu,
} as const;
