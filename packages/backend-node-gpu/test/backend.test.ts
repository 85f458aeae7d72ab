import { describe, expect, it } from 'vitest';
import { BackendError, isPackageInstalled, useBackend } from '@ganomaly/common';
import '@ganomaly/backend-node-gpu';

const installed = await isPackageInstalled('@tensorflow/tfjs-node-gpu', import.meta.url);

describe('backend node-gpu', () => {
  it.skipIf(installed)('without @tensorflow/tfjs-node-gpu installed, selecting it fails with the command that installs it', async () => {
    const err = await useBackend('node-gpu').catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toContain("Backend 'node-gpu' could not be initialised");
    expect(err.message).toContain('@tensorflow/tfjs-node-gpu is not installed. Install it with `npm install @tensorflow/tfjs-node-gpu@^4.22.0`');
  });

  it.skipIf(!installed)('with @tensorflow/tfjs-node-gpu installed, it becomes the tfjs "tensorflow" backend', async () => {
    expect(await useBackend('node-gpu')).toBe('node-gpu');
    const tf = await import('@tensorflow/tfjs-core');
    expect(tf.getBackend()).toBe('tensorflow');
  });
});
