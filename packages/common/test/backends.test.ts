import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BackendError, UnknownNameError, isPackageInstalled, listBackendCandidates, loadOptionalPackage, registerBackendCandidate, useBackend } from '@ganomaly/common';

describe('useBackend', () => {
  it("'auto' takes the best candidate that initialises, after the ones that fail", async () => {
    const tried: string[] = [];
    registerBackendCandidate({ name: 'best-broken', priority: 1000, load: async () => { tried.push('best-broken'); throw new Error('driver missing'); } });
    // Loads fine, but tfjs has no backend of that name: setBackend fails.
    registerBackendCandidate({ name: 'no-such-tfjs', priority: 950, load: async () => void tried.push('no-such-tfjs') });
    registerBackendCandidate({ name: 'second', tfjsName: 'cpu', priority: 900, load: async () => void tried.push('second') });
    expect(listBackendCandidates().map((c) => c.name).slice(0, 3)).toEqual(['best-broken', 'no-such-tfjs', 'second']);
    expect(await useBackend('auto')).toBe('second');
    expect(tf.getBackend()).toBe('cpu');
    expect(tried).toEqual(['best-broken', 'no-such-tfjs', 'second']);
  });

  it('when nothing works, one BackendError lists why each candidate failed', async () => {
    // Every candidate registered in this file fails once 'second' is made to fail too.
    registerBackendCandidate({ name: 'second', tfjsName: 'cpu', priority: 900, load: async () => { throw new Error('second is off'); } });
    registerBackendCandidate({ name: 'cpu-off', tfjsName: 'cpu-off', priority: 1, load: async () => { throw new Error('cpu is off'); } });
    const err = await useBackend('auto').catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toMatch(/No backend could be initialised/);
    expect(err.message).toMatch(/- best-broken: driver missing/);
    expect(err.message).toMatch(/- no-such-tfjs: tf.setBackend\('no-such-tfjs'\) threw/);
    expect(err.message).toMatch(/- second: second is off/);
    expect(err.message).toMatch(/- cpu-off: cpu is off/);
    expect(err.reasons.map((r: { backend: string }) => r.backend)).toEqual(['best-broken', 'no-such-tfjs', 'second', 'cpu-off']);
  });

  it('names: a candidate, an alias, a backend registered with tfjs directly; unknown names list the known ones', async () => {
    tf.registerBackend('plain-test', () => new MathBackendCPU());
    registerBackendCandidate({ name: 'aliased', tfjsName: 'plain-test', aliases: ['my-alias'], priority: 0, load: async () => undefined });
    expect(await useBackend('my-alias')).toBe('aliased');
    expect(tf.getBackend()).toBe('plain-test');
    tf.registerBackend('direct-test', () => new MathBackendCPU());
    expect(await useBackend('direct-test')).toBe('direct-test'); // registered with tfjs by the app, no candidate
    // A tfjs name shared by several candidates is not a way to pick one of them.
    registerBackendCandidate({ name: 'shared-high', tfjsName: 'direct-test', priority: 500, load: async () => { throw new Error('high is off'); } });
    expect(await useBackend('direct-test')).toBe('direct-test');
    const err = await useBackend('quantum').catch((e) => e);
    expect(err).toBeInstanceOf(UnknownNameError);
    expect(err.message).toMatch(/Unknown backend 'quantum'.*Known backends: 'auto', .*'my-alias'.*'cpu'/);
  });
});

describe('optional packages', () => {
  it('a missing package fails with the install command; a present one loads', async () => {
    expect(await isPackageInstalled('@tensorflow/tfjs-core', import.meta.url)).toBe(true);
    expect(await isPackageInstalled('@example/not-a-real-package', import.meta.url)).toBe(false);
    await expect(loadOptionalPackage('@example/not-a-real-package', '`npm install @example/not-a-real-package`', import.meta.url)).rejects.toThrow(
      "@example/not-a-real-package is not installed. Install it with `npm install @example/not-a-real-package`, or choose another backend ('wasm' or 'cpu').",
    );
    const core = (await loadOptionalPackage('@tensorflow/tfjs-core', 'x', import.meta.url)) as { version_core: string };
    expect(core.version_core).toMatch(/^4\./);
  });
});
