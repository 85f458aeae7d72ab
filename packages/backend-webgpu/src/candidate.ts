// What the webgpu backend candidate is in Node and in browsers alike; index.ts (Node: Dawn from the
// `webgpu` package) and index.browser.ts (the "browser" export condition: navigator.gpu only) pass
// in what differs, so that a browser bundle holds none of the Node code.
import { registerBackendCandidate } from '@ganomaly/common';
import { registerWebgpuKernels } from '@ganomaly/kernels';

export const WEBGPU_PRIORITY = 35;
export const WEBGPU_PACKAGE = '@tensorflow/tfjs-backend-webgpu';
export const DAWN_PACKAGE = 'webgpu';

export interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  description?: string;
  device?: string;
}
export interface Adapter {
  info?: AdapterInfo;
  isFallbackAdapter?: boolean;
}
export interface GpuLike {
  requestAdapter(options?: object): Promise<Adapter | null>;
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

/** What differs between Node and browsers. */
export interface WebgpuPlatform {
  isNode: boolean;
  /** The GPU object (`navigator.gpu`, or Dawn's in Node); throws an Error naming the fix when there is none. */
  ensureNavigatorGpu(): Promise<GpuLike>;
  /** Whether this is a Linux machine without a GPU device node (Node only; false in browsers). */
  linuxWithoutGpu(): Promise<boolean>;
  /** Whether tfjs's webgpu backend package can be imported (a bundle has it when it was installed). */
  isWebgpuPackageInstalled(): Promise<boolean>;
}

/** The adapter WebGPU would use here, or null. */
export async function findAdapterWith(platform: WebgpuPlatform): Promise<Adapter | null> {
  const gpu = await platform.ensureNavigatorGpu();
  return (await gpu.requestAdapter({ powerPreference: 'high-performance' })) ?? null;
}

export function registerWebgpuCandidate(platform: WebgpuPlatform): void {
  const { isNode } = platform;
  registerBackendCandidate({
    name: 'webgpu',
    priority: WEBGPU_PRIORITY,
    aliases: ['gpu-web'],
    load: async (context) => {
      // 'auto' on a Linux machine without a GPU device: Dawn could only find a software adapter,
      // which 'auto' passes over anyway. Declining before Dawn starts spares the probe's time and
      // the warnings Dawn prints on stderr.
      if (context?.auto && (await platform.linuxWithoutGpu())) {
        throw new Error("no GPU device (no /dev/dri render node, /dev/nvidia* or /dev/dxg): only a software adapter could serve WebGPU, which is slower than wasm; select 'webgpu' by name to use it anyway.");
      }
      const adapter = await findAdapterWith(platform);
      if (!adapter) {
        throw new Error(
          isNode
            ? 'WebGPU found no adapter: Dawn needs a GPU driver (on Linux a Vulkan driver: the NVIDIA driver, or mesa-vulkan-drivers >= 25 for a software adapter, e.g. `apt-get install -t bookworm-backports mesa-vulkan-drivers` on Debian 12).'
            : 'WebGPU found no adapter (navigator.gpu.requestAdapter() returned null).',
        );
      }
      if (context?.auto && isSoftwareAdapter(adapter)) {
        throw new Error(`only a software adapter is available (${describeAdapter(adapter)}), which is slower than wasm; select 'webgpu' by name to use it anyway.`);
      }
      if (isNode && !(await platform.isWebgpuPackageInstalled())) {
        throw new Error(`${WEBGPU_PACKAGE} is not installed. Install it with \`npm install ${WEBGPU_PACKAGE}@^4.22.0\`.`);
      }
      // A literal specifier, so that bundlers include it (as a separate chunk) for browsers.
      await import('@tensorflow/tfjs-backend-webgpu');
      registerWebgpuTrainingKernels();
    },
  });
}
