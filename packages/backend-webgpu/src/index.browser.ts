/**
 * The browser build of @ganomaly/backend-webgpu (the `browser` condition of its `exports`): the
 * same candidate as in Node, on the browser's `navigator.gpu`, without the Node code (Dawn from
 * the `webgpu` package, the Linux device probe), so a bundle holds none of it.
 */
import { findAdapterWith, registerWebgpuCandidate, type Adapter, type GpuLike, type WebgpuPlatform } from './candidate.js';

export * from './api.js';

/** The browser's `navigator.gpu`; throws an Error naming the fix when there is none. */
export async function ensureNavigatorGpu(): Promise<GpuLike> {
  const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (!gpu) throw new Error('This browser has no WebGPU (navigator.gpu is undefined). Use a browser with WebGPU enabled, or the wasm or webgl backend.');
  return gpu;
}

const platform: WebgpuPlatform = {
  isNode: false,
  ensureNavigatorGpu,
  linuxWithoutGpu: async () => false,
  // The bundler resolved the literal import('@tensorflow/tfjs-backend-webgpu') at build time.
  isWebgpuPackageInstalled: async () => true,
};

/** The adapter WebGPU would use here, or null. */
export function findAdapter(): Promise<Adapter | null> {
  return findAdapterWith(platform);
}

registerWebgpuCandidate(platform);
