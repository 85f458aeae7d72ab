import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BackendError, useBackend } from '@ganomaly/common';
import { describeAdapter, findAdapter, hasGpuDeviceNode, isSoftwareAdapter } from '@ganomaly/backend-webgpu';
import '@ganomaly/backend-cpu';
// tfjs-layers' node bundle registers the gradient functions tf.grad needs.
import '@tensorflow/tfjs-layers';

// Here (Node) the adapter comes from Dawn through the `webgpu` package: a hardware one on a GPU
// machine, Mesa's llvmpipe on CPU-only machines with mesa-vulkan-drivers >= 25, none otherwise.
const adapter = await findAdapter().catch(() => null);
const why = adapter ? '' : ' (skipped: no WebGPU adapter here; install mesa-vulkan-drivers >= 25 or run on a GPU)';

describe('adapter detection', () => {
  it('tells software adapters from hardware ones', () => {
    expect(isSoftwareAdapter({ info: { description: 'llvmpipe (LLVM 15.0.6, 256 bits)', vendor: 'mesa' } })).toBe(true);
    expect(isSoftwareAdapter({ info: { description: 'SwiftShader Device (Subzero)' } })).toBe(true);
    expect(isSoftwareAdapter({ isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter({ info: { description: 'NVIDIA H200', vendor: 'nvidia' } })).toBe(false);
    expect(describeAdapter({ info: { description: 'NVIDIA H200', vendor: 'nvidia' } })).toBe('NVIDIA H200 (nvidia)');
  });
});

describe.skipIf(!adapter)(`backend webgpu${why}`, () => {
  it('selected by name, it runs tfjs on WebGPU and matches cpu on a convolution', async () => {
    expect(await useBackend('webgpu')).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 1);
    const w = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 2);
    const gpu = await tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same').data();
    const xv = await x.data();
    const wv = await w.data();
    await useBackend('cpu');
    const cpu = await tf.conv2d(tf.tensor4d(xv, [2, 8, 8, 3]), tf.tensor4d(wv, [3, 3, 3, 4]), 1, 'same').data();
    cpu.forEach((v, i) => expect(Math.abs(gpu[i] - v)).toBeLessThan(1e-4 * Math.max(1, Math.abs(v))));
  });

  it('its filter gradient (a convolution over transposed tensors) matches cpu over several shapes', async () => {
    const cases = [
      { n: 4, size: 16, ci: 8, co: 16, k: 4, s: 2, pad: 'same' as const },
      { n: 1, size: 9, ci: 3, co: 5, k: 3, s: 2, pad: 'valid' as const },
      { n: 64, size: 4, ci: 16, co: 1, k: 4, s: 1, pad: 'valid' as const },
      { n: 2, size: 7, ci: 1, co: 4, k: 3, s: 1, pad: 'same' as const },
    ];
    for (const c of cases) {
      await useBackend('cpu');
      const x = tf.randomNormal([c.n, c.size, c.size, c.ci], 0, 1, 'float32', 3) as tf.Tensor4D;
      const w = tf.randomNormal([c.k, c.k, c.ci, c.co], 0, 1, 'float32', 4) as tf.Tensor4D;
      const dy = tf.randomNormal(tf.conv2d(x, w, c.s, c.pad).shape, 0, 1, 'float32', 5);
      const grad = (xx: tf.Tensor4D, yy: tf.Tensor) => tf.grad((ww: tf.Tensor4D) => tf.sum(tf.mul(tf.conv2d(xx, ww, c.s, c.pad), yy)));
      const want = await grad(x, dy)(w).data();
      const [xv, wv, dyv] = [await x.data(), await w.data(), await dy.data()];
      await useBackend('webgpu');
      const got = await grad(tf.tensor4d(xv, x.shape), tf.tensor(dyv, dy.shape))(tf.tensor4d(wv, w.shape)).data();
      const scale = Math.max(...want.map(Math.abs));
      want.forEach((v, i) => expect(Math.abs(got[i] - v)).toBeLessThan(1e-4 * scale));
    }
    const k = tf.getKernel(tf.Conv2DBackpropFilter, 'webgpu') as tf.KernelConfig & { ganomaly?: boolean };
    expect(k.ganomaly).toBe(true);
  });

  it.skipIf(!isSoftwareAdapter(adapter ?? {}))("'auto' passes over a software adapter and says why", async () => {
    const { listBackendCandidates } = await import('@ganomaly/common');
    const webgpu = listBackendCandidates().find((c) => c.name === 'webgpu')!;
    // Declined before Dawn starts on a Linux machine without GPU device nodes (this project's),
    // else after finding the software adapter.
    await expect(webgpu.load({ auto: true })).rejects.toThrow(/only a software adapter (is available \(.*\)|could serve WebGPU), which is slower than wasm; select 'webgpu' by name/);
  });
});

describe('GPU device nodes (Linux)', () => {
  it("tells a machine with a GPU device from one without", () => {
    const fake = (tree: Record<string, string[]>) => (dir: string) => tree[dir] ?? [];
    expect(hasGpuDeviceNode(fake({ '/dev': ['null', 'tty', 'nvidiactl'] }))).toBe(false);
    expect(hasGpuDeviceNode(fake({ '/dev': ['null', 'nvidiactl', 'nvidia0'] }))).toBe(true);
    expect(hasGpuDeviceNode(fake({ '/dev/dri': ['card0', 'renderD128'] }))).toBe(true);
    expect(hasGpuDeviceNode(fake({ '/dev/dri': ['card0'] }))).toBe(false);
    expect(hasGpuDeviceNode(fake({ '/dev': ['dxg'] }))).toBe(true);
    expect(hasGpuDeviceNode(fake({}))).toBe(false);
  });
});

describe.skipIf(!!adapter)('without an adapter', () => {
  it('selecting webgpu fails with what to install', async () => {
    const err = await useBackend('webgpu').catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toMatch(/WebGPU found no adapter|webgpu is not installed/);
  });
});
