// The compiled training step's Node half (see compiled-step.ts): writes the step graph as a
// SavedModel into a temporary folder, loads it into a TensorFlow session through tfjs-node's
// binding, and keeps one session per batch size for the networks and optimisers it was built
// for. A Node part (node-parts.ts): the browser build has none, and the node: modules are
// imported when `compiledStepUnavailable` first finds the step can run, not at load time.
import * as tf from '@tensorflow/tfjs-core';
import type { LossWeights } from '@ganomaly/math';
import type { GanomalyNetworks } from '@ganomaly/models';
import { buildStepGraph, isTfjsAdam, runStepGraph, unsupportedLayer, type SessionBackend, type StepGraph } from './compiled-step.js';

interface Compiled {
  nets: GanomalyNetworks;
  /** The backend the sessions were loaded into (they are closed through it). */
  backend: SessionBackend;
  sessions: Map<number, { id: number; graph: StepGraph }>;
  /** Why the graph could not be built or loaded, once it failed (the eager step runs then). */
  failed: string | null;
}

const cache = new WeakMap<tf.Optimizer, Compiled>();
let node: { fs: typeof import('node:fs'); os: typeof import('node:os'); path: typeof import('node:path') } | null = null;

/**
 * Why the compiled step cannot run for these networks and optimisers here (null: it can): it needs
 * the `node` backend on the CPU (tfjs-node's TensorFlow sessions; not tfjs-node-gpu), tfjs's Adam,
 * and networks made of the layer kinds compiled-step.ts translates. GANOMALY_COMPILED_STEP=0 turns
 * it off.
 */
export async function compiledStepUnavailable(nets: GanomalyNetworks, optG: tf.Optimizer, optD: tf.Optimizer): Promise<string | null> {
  if (process.env.GANOMALY_COMPILED_STEP === '0') return 'GANOMALY_COMPILED_STEP=0';
  if (tf.getBackend() !== 'tensorflow') return `the backend is '${tf.getBackend()}', not tfjs-node's 'tensorflow'`;
  const b = tf.backend() as unknown as Partial<SessionBackend>;
  if (typeof b.loadSavedModelMetaGraph !== 'function' || typeof b.runSavedModel !== 'function') return "tfjs-node's backend has no SavedModel sessions";
  // tfjs-node-gpu keeps tensors on the GPU; a session call takes and returns host tensors, so every
  // weight would cross host memory twice a step.
  if ((b as { isUsingGpuDevice?: boolean }).isUsingGpuDevice) return 'tfjs-node-gpu keeps the weights on the GPU, and a session call would copy them through host memory every step';
  if (!isTfjsAdam(optG) || !isTfjsAdam(optD)) return "the optimisers are not tfjs's Adam";
  const layer = unsupportedLayer(nets);
  if (layer) return `layer ${layer} has no graph translation`;
  node ??= {
    fs: await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:fs'),
    os: await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:os'),
    path: await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:path'),
  };
  return null;
}

/**
 * One training iteration through the compiled graph for `x`'s batch size (built and loaded on
 * first use). Returns null when the graph cannot be built or loaded here (an older or unusual
 * TensorFlow): the caller runs the eager step instead, and a warning says why, once per model.
 */
export function compiledTrainStep(nets: GanomalyNetworks, optG: tf.Optimizer, optD: tf.Optimizer, weights: Partial<LossWeights>, x: tf.Tensor4D): tf.Tensor1D | null {
  const backend = tf.backend() as unknown as SessionBackend;
  let c = cache.get(optG);
  if (!c || c.nets !== nets) {
    if (c) releaseCompiledStep(optG);
    c = { nets, backend, sessions: new Map(), failed: null };
    cache.set(optG, c);
  }
  if (c.failed || !node) return null;
  const { fs, os, path } = node;
  const n = x.shape[0];
  let s = c.sessions.get(n);
  if (!s) {
    let dir: string | null = null;
    try {
      const graph = buildStepGraph(nets, optG, optD, weights, n);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ganomaly-step-'));
      fs.writeFileSync(path.join(dir, 'saved_model.pb'), graph.savedModel);
      s = { id: backend.loadSavedModelMetaGraph(dir, 'serve'), graph };
    } catch (e) {
      c.failed = (e as Error).message;
      console.warn(`@ganomaly/core: the compiled training step could not be loaded into TensorFlow (${c.failed}); training goes on with the eager step (the same computation, slower).`);
      return null;
    } finally {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    }
    c.sessions.set(n, s);
  }
  return runStepGraph(backend, s.id, s.graph, x);
}

/** Why the compiled step fell back to the eager one for `optG`'s model (null: it did not). */
export function compiledStepFailure(optG: tf.Optimizer): string | null {
  return cache.get(optG)?.failed ?? null;
}

/** Closes the sessions built for `optG`'s model (on dispose, or when its networks change). */
export function releaseCompiledStep(optG: tf.Optimizer): void {
  const c = cache.get(optG);
  if (c) for (const s of c.sessions.values()) c.backend.deleteSavedModel(s.id);
  cache.delete(optG);
}
