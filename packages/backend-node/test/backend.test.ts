import { describe, expect, it } from 'vitest';
import { BackendError, isPackageInstalled, useBackend } from '@ganomaly/common';
import '@ganomaly/backend-node';

const installed = await isPackageInstalled('@tensorflow/tfjs-node', import.meta.url);

describe('backend node', () => {
  it.skipIf(installed)('without @tensorflow/tfjs-node installed, selecting it fails with the command that installs it', async () => {
    const err = await useBackend('node').catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toContain("Backend 'node' could not be initialised");
    expect(err.message).toContain('@tensorflow/tfjs-node is not installed. Install it with `npm install @tensorflow/tfjs-node@^4.22.0`');
  });

  it.skipIf(!installed)('with @tensorflow/tfjs-node installed, it becomes the tfjs "tensorflow" backend', async () => {
    expect(await useBackend('node')).toBe('node');
    const tf = await import('@tensorflow/tfjs-core');
    expect(tf.getBackend()).toBe('tensorflow');
  });
});
