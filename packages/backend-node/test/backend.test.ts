import { describe, expect, it } from 'vitest';
import { BackendError, useBackend } from '@ganomaly/common';
import { findLocalTfjsNode, isTfjsNodeAvailable } from '@ganomaly/backend-node';

const available = await isTfjsNodeAvailable();

describe('backend node', () => {
  it.skipIf(available)('without @tensorflow/tfjs-node installed, selecting it fails with the command that installs it', async () => {
    const err = await useBackend('node').catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toContain("Backend 'node' could not be initialised");
    expect(err.message).toContain('@tensorflow/tfjs-node is not installed. Install it with `npm install @tensorflow/tfjs-node@^4.22.0`');
    expect(err.message).toContain('npm run setup:tfjs-node');
  });

  it.skipIf(!available)('with @tensorflow/tfjs-node installed or built by setup:tfjs-node, it becomes the tfjs "tensorflow" backend on the root\'s tfjs-core', async () => {
    expect(await useBackend('node')).toBe('node');
    const tf = await import('@tensorflow/tfjs-core');
    expect(tf.getBackend()).toBe('tensorflow');
    // tfjs-node's ops run through the engine this library uses: one kernel registry, one engine.
    const y = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[1], [1]]));
    expect(Array.from(await y.data())).toEqual([3, 7]);
    y.dispose();
  });

  it('GANOMALY_TFJS_NODE naming a folder without a built tfjs-node finds none', async () => {
    const saved = process.env.GANOMALY_TFJS_NODE;
    process.env.GANOMALY_TFJS_NODE = '/nonexistent/tfjs-node';
    try {
      expect(await findLocalTfjsNode()).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.GANOMALY_TFJS_NODE;
      else process.env.GANOMALY_TFJS_NODE = saved;
    }
  });
});
