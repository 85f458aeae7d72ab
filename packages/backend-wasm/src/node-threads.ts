/**
 * Multi-threaded XNNPACK for tfjs's wasm backend under Node.
 *
 * tfjs-backend-wasm ships a threaded build (`tfjs-backend-wasm-threaded-simd.wasm`) but never uses
 * it in Node: `WASM_HAS_MULTITHREAD_SUPPORT` is false there, and forcing it fails because
 * Emscripten starts its pthread workers from `blob:` URLs, which Node's `worker_threads` refuse
 * (ERR_WORKER_PATH). Node itself runs WebAssembly threads (shared memory, atomics) fine. So this
 * module instantiates the same threaded build itself:
 *
 * - the pthread worker script (shipped by tfjs as a string) is written to a private temporary
 *   folder, handed to Emscripten as a path, and removed once the pool's workers have loaded it;
 * - the main script is handed to the workers as its path in node_modules (they import it);
 * - the build caps XNNPACK's pool at `os.cpus().length / 2` (it assumes two hyper-threads per
 *   core), so the main script is evaluated with that one expression replaced by the requested
 *   count; everything else is tfjs's code and kernels, unchanged;
 * - the process listeners Emscripten adds (rethrowing every uncaught exception and unhandled
 *   rejection) are removed again, and the idle pthread workers are unref'd, so the process exits
 *   as it would without them.
 *
 * Any failure falls back to tfjs's own single-threaded initialisation, with the reason kept in
 * `wasmThreadsStatus()`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm, getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { isNode } from '@ganomaly/common';

type Factory = () => tf.KernelBackend | Promise<tf.KernelBackend>;

/** What the wasm backend runs on, as decided when it was initialised. */
export interface WasmThreadsStatus {
  /** The threads asked for (`setWasmThreads`, `GANOMALY_WASM_THREADS`, or the default). */
  requested: number;
  /** XNNPACK's threads in use (1: tfjs's single-threaded build); null before the backend starts. */
  threads: number | null;
  /** Why fewer threads than requested are in use, if so. */
  reason?: string;
}

const MAX_THREADS = 8; // the build pre-creates 8 pthread workers; more would start them on demand
let requested: number | 'auto' = 'auto';
let installed = false;
let status: WasmThreadsStatus | null = null;

/**
 * Sets how many threads the wasm backend's convolutions and matrix products (XNNPACK) use in
 * Node: a count from 1 to 8, or `'auto'` (the default): all cores (`os.availableParallelism()`, at
 * most 8) on the main thread, 1 inside worker threads (`fit({ workers })` and `ScoringPool`
 * already spread their replicas over the cores). The environment variable
 * `GANOMALY_WASM_THREADS` overrides `'auto'`. Takes effect when the backend is first initialised;
 * afterwards it throws. In browsers tfjs decides (threads need a cross-origin isolated page).
 */
export function setWasmThreads(threads: number | 'auto'): void {
  if (threads !== 'auto' && !(Number.isInteger(threads) && threads >= 1 && threads <= MAX_THREADS)) {
    throw new RangeError(`Argument 'threads' passed to 'setWasmThreads' must be 'auto' or an integer from 1 to ${MAX_THREADS}, but got ${String(threads)}.`);
  }
  if (status !== null) {
    throw new Error(`'setWasmThreads' must be called before the wasm backend is first used: it already runs ${status.threads} thread(s).`);
  }
  requested = threads;
}

/** The threads asked for and in use; null until the wasm backend has been initialised. */
export function wasmThreadsStatus(): WasmThreadsStatus | null {
  return status && { ...status, threads: status.threads ?? safeThreadsCount() };
}

function safeThreadsCount(): number | null {
  try {
    const n = getThreadsCount();
    return n > 0 ? n : null;
  } catch {
    return null;
  }
}

async function resolveRequested(): Promise<number> {
  if (requested !== 'auto') return requested;
  const env = process.env.GANOMALY_WASM_THREADS;
  if (env !== undefined && env !== '' && env !== 'auto') {
    const n = Number(env);
    if (!(Number.isInteger(n) && n >= 1)) {
      throw new RangeError(`GANOMALY_WASM_THREADS must be 'auto' or a whole number from 1 to ${MAX_THREADS}, but is '${env}'.`);
    }
    return Math.min(n, MAX_THREADS);
  }
  const { isMainThread } = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:worker_threads');
  if (!isMainThread) return 1;
  const os = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:os');
  return Math.max(1, Math.min(os.availableParallelism(), MAX_THREADS));
}

/**
 * In Node, replaces the registered factory of tfjs's 'wasm' backend by one that starts the
 * threaded build (falling back to the original factory on any failure). Does nothing in browsers,
 * when the backend is already initialised, or when called again.
 */
export function installNodeThreadedWasm(): void {
  if (installed || !isNode()) return;
  const engine = tf.engine() as unknown as {
    registry: Record<string, unknown>;
    registryFactory: Record<string, { factory: Factory; priority: number } | undefined>;
  };
  const original = engine.registryFactory['wasm'];
  if (original === undefined || 'wasm' in engine.registry) return;
  installed = true;
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      const want = await resolveRequested();
      status = { requested: want, threads: null };
      if (want > 1) {
        try {
          const backend = await createThreadedBackend(want);
          status.threads = safeThreadsCount();
          if (status.threads !== null && status.threads < want) status.reason = `XNNPACK started ${status.threads} of ${want} threads`;
          return backend;
        } catch (e) {
          status.reason = `the threaded build failed to start (${(e as Error).message}); using tfjs's single-threaded build`;
        }
      }
      const backend = await original.factory();
      status.threads = 1;
      return backend;
    },
    original.priority,
  );
}

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  PThread?: { runningWorkers: { unref(): void }[]; unusedWorkers: { unref(): void }[] };
  tfjs?: unknown;
}

async function createThreadedBackend(threads: number): Promise<tf.KernelBackend> {
  const [{ createRequire }, path, fs, os, vm] = await Promise.all([
    import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:module'),
    import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:path'),
    import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:fs'),
    import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:os'),
    import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:vm'),
  ]);
  const require = createRequire(import.meta.url);
  const dir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
  const mainJs = path.join(dir, 'tfjs-backend-wasm-threaded-simd.js');
  const wasmFile = path.join(dir, 'tfjs-backend-wasm-threaded-simd.wasm');

  // The pthread worker script: tfjs ships it as a JS string (its "\n" escapes were turned into
  // newlines by the template literal, which tfjs undoes the same way before making its blob).
  // It goes into a private folder of its own (mkdtemp: mode 0700, so no other user can swap it),
  // which is removed once the pool's workers have loaded it.
  const { wasmWorkerContents } = require(path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  const workerDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ganomaly-wasm-'));
  const workerFile = path.join(workerDir, 'tfjs-backend-wasm-threaded-simd.worker.cjs');
  try {
    fs.writeFileSync(workerFile, wasmWorkerContents.replace(/\n/g, '\\n'));
    return await startThreadedModule(threads, { createRequire, path, fs, vm }, dir, mainJs, wasmFile, workerFile);
  } finally {
    fs.rmSync(workerDir, { recursive: true, force: true });
  }
}

async function startThreadedModule(
  threads: number,
  node: { createRequire: typeof import('node:module').createRequire; path: typeof import('node:path'); fs: typeof import('node:fs'); vm: typeof import('node:vm') },
  dir: string,
  mainJs: string,
  wasmFile: string,
  workerFile: string,
): Promise<tf.KernelBackend> {
  const { createRequire, path, fs, vm } = node;

  // The main script, with the build's core count (halved by the C code) set to what we want.
  const needle = 'if(ENVIRONMENT_IS_NODE)return require("os").cpus().length;';
  const source = fs.readFileSync(mainJs, 'utf8');
  if (!source.includes(needle)) throw new Error(`this tfjs-backend-wasm release's ${path.basename(mainJs)} has no core-count expression to set`);
  const patched = source.replace(needle, `if(ENVIRONMENT_IS_NODE)return ${2 * threads};`);
  const wrapper = vm.runInThisContext(`(function (require, module, exports, __filename, __dirname) {${patched}\n})`, { filename: mainJs }) as (
    ...a: unknown[]
  ) => void;
  const mod = { exports: {} as unknown };
  wrapper(createRequire(mainJs), mod, mod.exports, mainJs, dir);
  const factory = mod.exports as (config: object) => Promise<EmscriptenModule>;

  const events = ['uncaughtException', 'unhandledRejection'];
  const emitter = process as unknown as import('node:events').EventEmitter;
  const before = events.map((e) => new Set(emitter.listeners(e)));
  let ready: Promise<EmscriptenModule>;
  try {
    ready = factory({
      locateFile: (file: string, prefix: string) => (file.endsWith('.worker.js') ? workerFile : file.endsWith('.wasm') ? wasmFile : prefix + file),
      mainScriptUrlOrBlob: mainJs,
    });
  } finally {
    // Emscripten's listeners, added while the factory runs (synchronously), rethrow every uncaught
    // exception and rejection: not ours to add. Removed before anything else can run.
    events.forEach((e, i) => {
      for (const l of emitter.listeners(e)) if (!before[i].has(l)) emitter.removeListener(e, l as (...a: unknown[]) => void);
    });
  }
  const module = await ready;
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  setThreadsCount(threads);
  const backend = new BackendWasm(module as never);
  // XNNPACK's pool threads wait forever for work: they must not keep the process alive.
  for (const w of [...(module.PThread?.runningWorkers ?? []), ...(module.PThread?.unusedWorkers ?? [])]) w.unref();
  return backend;
}
