import { describe, expect, it } from 'vitest';
import { BackendError, useBackend } from '@ganomaly/common';
import { spawnSync } from 'node:child_process';
import { enableOneDnn, findLocalTfjsNode, isTfjsNodeAvailable } from '@ganomaly/backend-node';

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

  it('asks for TensorFlow\'s oneDNN kernels unless TF_ENABLE_ONEDNN_OPTS is set, and keeps what the user set', () => {
    const saved = process.env.TF_ENABLE_ONEDNN_OPTS;
    try {
      delete process.env.TF_ENABLE_ONEDNN_OPTS;
      expect(enableOneDnn()).toBe(true);
      expect(process.env.TF_ENABLE_ONEDNN_OPTS).toBe('1');
      process.env.TF_ENABLE_ONEDNN_OPTS = '0';
      expect(enableOneDnn()).toBe(false);
      expect(process.env.TF_ENABLE_ONEDNN_OPTS).toBe('0');
    } finally {
      if (saved === undefined) delete process.env.TF_ENABLE_ONEDNN_OPTS;
      else process.env.TF_ENABLE_ONEDNN_OPTS = saved;
    }
  });

  it.skipIf(!available)('TensorFlow loads with oneDNN on by default and off with TF_ENABLE_ONEDNN_OPTS=0 (its own start-up line says which)', () => {
    // A fresh process each: TensorFlow reads the variable once, when the library loads.
    const script = "import('@ganomaly/common').then(async (c) => { await import('@ganomaly/backend-node'); await c.useBackend('node'); })";
    const run = (value: string | undefined) => {
      const env = { ...process.env };
      if (value === undefined) delete env.TF_ENABLE_ONEDNN_OPTS;
      else env.TF_ENABLE_ONEDNN_OPTS = value;
      const r = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      return r.stderr;
    };
    expect(run(undefined)).toContain('oneDNN custom operations are on');
    expect(run('0')).not.toContain('oneDNN custom operations are on');
  }, 240_000);

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
