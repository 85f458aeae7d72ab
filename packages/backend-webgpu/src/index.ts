/**
 * Registers tfjs's WebGPU backend with @ganomaly.
 *
 * - In browsers it needs `navigator.gpu` (Chrome, Edge; Firefox and Safari behind flags).
 * - In Node it needs the optional `webgpu` package (Dawn's Node binding, prebuilt) and a GPU
 *   driver that Dawn can use: Vulkan on Linux (an NVIDIA driver, or Mesa's software `lavapipe`
 *   from mesa-vulkan-drivers 25, e.g. Debian's bookworm-backports), D3D12 on Windows, Metal on
 *   macOS. This package puts Dawn's `navigator.gpu` and WebGPU globals in place before tfjs's
 *   backend is imported.
 * - `@tensorflow/tfjs-backend-webgpu` is imported when the backend is selected, not on import.
 *
 * A software adapter (llvmpipe, SwiftShader) works, but is far slower than the wasm backend, so
 * `useBackend('auto')` passes over it; select it by name ('webgpu') to use it anyway.
 */
import { isNode, isPackageInstalled, loadOptionalPackage } from '@ganomaly/common';
import { DAWN_PACKAGE, WEBGPU_PACKAGE, findAdapterWith, hasGpuDeviceNode, registerWebgpuCandidate, type Adapter, type GpuLike, type WebgpuPlatform } from './candidate.js';

export * from './api.js';

/**
 * Makes `navigator.gpu` available: the browser's own, or in Node Dawn's from the `webgpu` package.
 * Returns the GPU object; throws an Error naming the fix when there is none.
 */
export async function ensureNavigatorGpu(): Promise<GpuLike> {
  const g = globalThis as { navigator?: { gpu?: GpuLike } };
  if (g.navigator?.gpu) return g.navigator.gpu;
  if (!isNode()) {
    throw new Error('This browser has no WebGPU (navigator.gpu is undefined). Use a browser with WebGPU enabled, or the wasm or webgl backend.');
  }
  const dawn = (await loadOptionalPackage(DAWN_PACKAGE, '`npm install webgpu@^0.6.2` (Dawn for Node, prebuilt)', import.meta.url)) as {
    create(flags: string[]): GpuLike;
    globals: Record<string, unknown>;
  };
  // tfjs's backend checks instanceof GPUBuffer etc., so the WebGPU classes must be globals too.
  for (const [k, v] of Object.entries(dawn.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  const gpu = dawn.create([]);
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  return gpu;
}

async function linuxWithoutGpu(): Promise<boolean> {
  if (!isNode() || process.platform !== 'linux') return false;
  const fs = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:fs');
  const list = (dir: string) => {
    try {
      return fs.readdirSync(dir);
    } catch {
      return [];
    }
  };
  return !hasGpuDeviceNode(list);
}

const platform: WebgpuPlatform = {
  isNode: isNode(),
  ensureNavigatorGpu,
  linuxWithoutGpu,
  isWebgpuPackageInstalled: () => isPackageInstalled(WEBGPU_PACKAGE, import.meta.url),
};

/** The adapter WebGPU would use here, or null. */
export function findAdapter(): Promise<Adapter | null> {
  return findAdapterWith(platform);
}

registerWebgpuCandidate(platform);
