import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from '@ganomaly/common';
import { setWasmThreads, wasmThreadsStatus } from '@ganomaly/backend-wasm';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./fixtures/threads-child.mjs', import.meta.url));

interface ChildResult {
  status: { requested: number; threads: number; reason?: string };
  inWorker: { requested: number; threads: number };
  weights: number[][];
  scores: number[];
  listenersAdded: number;
}

/** Trains in a fresh Node process (from the built packages) with the given environment. */
function runChild(env: Record<string, string | undefined>): ChildResult {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  // A timeout here means the process did not exit by itself once done.
  const r = spawnSync(process.execPath, [CHILD], { cwd: ROOT, env: childEnv as NodeJS.ProcessEnv, encoding: 'utf8', timeout: 90_000 });
  expect(r.error, r.stderr).toBeUndefined();
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult;
}

describe('wasm threads in Node', () => {
  const cores = Math.min(availableParallelism(), 8);

  it('uses all cores by default on the main thread, one in worker threads, and trains bit for bit as one thread does', () => {
    const auto = runChild({ GANOMALY_WASM_THREADS: undefined });
    expect(auto.status).toEqual({ requested: cores, threads: cores });
    expect(auto.inWorker).toEqual({ requested: 1, threads: 1 });
    const one = runChild({ GANOMALY_WASM_THREADS: '1' });
    expect(one.status).toEqual({ requested: 1, threads: 1 });
    // The worker script's private temporary folder is gone once the backend has started.
    const tmp = mkdtempSync(path.join(tmpdir(), 'threads-test-'));
    const three = runChild({ GANOMALY_WASM_THREADS: '3', TMPDIR: tmp });
    expect(three.status).toEqual({ requested: 3, threads: 3 });
    expect(readdirSync(tmp)).toEqual([]);
    rmSync(tmp, { recursive: true });
    // XNNPACK splits the outputs between threads, each sum keeps its order: identical results.
    expect(one.weights.length).toBe(auto.weights.length);
    expect(three.weights).toEqual(one.weights);
    expect(auto.weights).toEqual(one.weights);
    expect(three.scores).toEqual(one.scores);
    expect(one.scores.length).toBe(32);
    expect(one.scores.every(Number.isFinite)).toBe(true);
    // Emscripten's rethrowing uncaughtException / unhandledRejection handlers are removed again.
    expect(auto.listenersAdded).toBe(0);
    expect(three.listenersAdded).toBe(0);
  }, 180_000);

  it('GANOMALY_WASM_THREADS picks the count; a bad value is refused with its name', () => {
    const two = runChild({ GANOMALY_WASM_THREADS: '2' });
    expect(two.status).toEqual({ requested: 2, threads: 2 });
    const r = spawnSync(process.execPath, [CHILD], { cwd: ROOT, env: { ...process.env, GANOMALY_WASM_THREADS: 'many' }, encoding: 'utf8', timeout: 90_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("GANOMALY_WASM_THREADS must be 'auto' or a whole number from 1 to 8, but is 'many'");
  }, 120_000);

  it("falls back to tfjs's single-threaded build, with the reason, when the threaded one cannot start", () => {
    // The worker script cannot be written: no temporary folder.
    const r = runChild({ GANOMALY_WASM_THREADS: '2', TMPDIR: '/nonexistent/ganomaly-tmp' });
    expect(r.status.requested).toBe(2);
    expect(r.status.threads).toBe(1);
    expect(r.status.reason).toMatch(/^the threaded build failed to start \(.*ENOENT.*\); using tfjs's single-threaded build$/);
    expect(r.scores.every(Number.isFinite)).toBe(true);
  }, 120_000);

  it('setWasmThreads checks its argument, and refuses once the backend runs', async () => {
    expect(() => setWasmThreads(0)).toThrow(/'auto' or an integer from 1 to 8, but got 0/);
    expect(() => setWasmThreads(9)).toThrow(RangeError);
    expect(() => setWasmThreads(1.5)).toThrow(RangeError);
    await useBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const status = wasmThreadsStatus();
    expect(status?.threads).toBeGreaterThanOrEqual(1);
    expect(() => setWasmThreads(1)).toThrow(/must be called before the wasm backend is first used/);
  });
});
