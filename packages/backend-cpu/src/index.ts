/**
 * Registers tfjs's pure-JavaScript `cpu` backend with @ganomaly. It runs everywhere, and with this
 * package it trains at a usable speed: its loop-based Conv2DBackpropFilter (seconds per call) is
 * replaced by a convolution over transposed tensors (see @ganomaly/kernels).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { registerBackendCandidate } from '@ganomaly/common';
import { registerCpuKernels } from '@ganomaly/kernels';

export const CPU_PRIORITY = 10;

registerBackendCandidate({
  name: 'cpu',
  priority: CPU_PRIORITY,
  load: async () => {
    registerCpuKernels(); // @ganomaly/kernels' register-cpu.ts
  },
  // tfjs's cpu backend prints "Hi, looks like you are running TensorFlow.js in Node.js..." on its
  // first tensor in Node: this library picks the backend on purpose, so that notice is noise
  // (on a command's stderr above all). Its first-use flag is cleared once the backend is set.
  ready: () => {
    const b = tf.engine().backend as unknown as { firstUse?: boolean };
    if (b && typeof b.firstUse === 'boolean') b.firstUse = false;
  },
});
