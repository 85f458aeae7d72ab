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
import { isNode, isPackageInstalled, loadOptionalPackage, registerBackendCandidate } from '@ganomaly/common';
import { registerWebgpuKernels } from '@ganomaly/kernels';

export const WEBGPU_PRIORITY = 35;
export const WEBGPU_PACKAGE = '@tensorflow/tfjs-backend-webgpu';
export const DAWN_PACKAGE = 'webgpu';

interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  description?: string;
  device?: string;
}
interface Adapter {
  info?: AdapterInfo;
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(options?: object): Promise<Adapter | null>;
}

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

/** A short description of an adapter, e.g. "llvmpipe: Mesa 25.0.7 (software)". */
export function describeAdapter(a: Adapter): string {
  const i = a.info ?? {};
  return [i.description || i.device || i.architecture || 'unknown adapter', i.vendor ? `(${i.vendor})` : ''].filter(Boolean).join(' ');
}

/** Software rasterisers: CPU emulations of a GPU. */
export function isSoftwareAdapter(a: Adapter): boolean {
  if (a.isFallbackAdapter) return true;
  const text = `${a.info?.description ?? ''} ${a.info?.architecture ?? ''} ${a.info?.device ?? ''}`.toLowerCase();
  return /llvmpipe|lavapipe|swiftshader|software|warp/.test(text);
}

/** The adapter WebGPU would use here, or null. */
export async function findAdapter(): Promise<Adapter | null> {
  const gpu = await ensureNavigatorGpu();
  return (await gpu.requestAdapter({ powerPreference: 'high-performance' })) ?? null;
}

/** Registers the kernels this library replaces on webgpu (@ganomaly/kernels' register-webgpu.ts); returns their names. */
export function registerWebgpuTrainingKernels(): string[] {
  return registerWebgpuKernels();
}

/**
 * Whether a Linux machine shows a GPU device node: a DRM render node (`/dev/dri/renderD*`: Intel,
 * AMD, Mesa), an NVIDIA device (`/dev/nvidia0`...) or WSL's `/dev/dxg`. Without one, Dawn can only
 * find a software adapter. `list` reads a folder (default: fs.readdirSync, [] when missing).
 */
export function hasGpuDeviceNode(list: (dir: string) => string[]): boolean {
  return list('/dev/dri').some((f) => f.startsWith('renderD')) || list('/dev').some((f) => /^nvidia\d+$/.test(f) || f === 'dxg');
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

registerBackendCandidate({
  name: 'webgpu',
  priority: WEBGPU_PRIORITY,
  aliases: ['gpu-web'],
  load: async (context) => {
    // 'auto' on a Linux machine without a GPU device: Dawn could only find a software adapter,
    // which 'auto' passes over anyway. Declining before Dawn starts spares the probe's time and
    // the warnings Dawn prints on stderr.
    if (context?.auto && (await linuxWithoutGpu())) {
      throw new Error("no GPU device (no /dev/dri render node, /dev/nvidia* or /dev/dxg): only a software adapter could serve WebGPU, which is slower than wasm; select 'webgpu' by name to use it anyway.");
    }
    const adapter = await findAdapter();
    if (!adapter) {
      throw new Error(
        isNode()
          ? 'WebGPU found no adapter: Dawn needs a GPU driver (on Linux a Vulkan driver: the NVIDIA driver, or mesa-vulkan-drivers >= 25 for a software adapter, e.g. `apt-get install -t bookworm-backports mesa-vulkan-drivers` on Debian 12).'
          : 'WebGPU found no adapter (navigator.gpu.requestAdapter() returned null).',
      );
    }
    if (context?.auto && isSoftwareAdapter(adapter)) {
      throw new Error(`only a software adapter is available (${describeAdapter(adapter)}), which is slower than wasm; select 'webgpu' by name to use it anyway.`);
    }
    if (isNode() && !(await isPackageInstalled(WEBGPU_PACKAGE, import.meta.url))) {
      throw new Error(`${WEBGPU_PACKAGE} is not installed. Install it with \`npm install ${WEBGPU_PACKAGE}@^4.22.0\`.`);
    }
    // A literal specifier, so that bundlers include it (as a separate chunk) for browsers.
    await import('@tensorflow/tfjs-backend-webgpu');
    registerWebgpuTrainingKernels();
  },
});
