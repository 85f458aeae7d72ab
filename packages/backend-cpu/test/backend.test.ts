import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from '@ganomaly/common';
import '@ganomaly/backend-cpu';

describe('backend cpu', () => {
  it('selects tfjs cpu and replaces its loop-based filter gradient with the convolution one', async () => {
    const original = tf.getKernel(tf.Conv2DBackpropFilter, 'cpu');
    expect(await useBackend('cpu')).toBe('cpu');
    const now = tf.getKernel(tf.Conv2DBackpropFilter, 'cpu') as tf.KernelConfig & { ganomaly?: boolean };
    expect(now).not.toBe(original);
    expect(now.ganomaly).toBe(true);
    // Selecting again does not stack registrations.
    await useBackend('cpu');
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'cpu')).toBe(now);
  });
});
