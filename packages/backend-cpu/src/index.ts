/**
 * Registers tfjs's pure-JavaScript `cpu` backend with @ganomaly. It runs everywhere, and with this
 * package it trains at a usable speed: its loop-based Conv2DBackpropFilter (seconds per call) is
 * replaced by a convolution over transposed tensors (see @ganomaly/kernels).
 */
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
});
