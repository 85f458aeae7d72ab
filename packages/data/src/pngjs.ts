// pngjs, the one loader of it for the whole library (decoding here, encoding in @ganomaly/report).
// Never imported at load time: it needs Node's util, stream and zlib. `loadPngjs` imports it;
// `pngjsSync` requires it synchronously where the runtime offers that (Node >= 20.16).
import { GanomalyError } from '@ganomaly/common';

/** The parts of pngjs's PNG class this library uses. */
export interface Pngjs {
  new (options: { width: number; height: number }): { data: Uint8Array };
  sync: {
    read(buffer: Uint8Array, options?: { checkCRC?: boolean; skipRescale?: boolean }): { width: number; height: number; data: Uint8Array };
    write(png: { data: Uint8Array }): Uint8Array;
  };
}

let loaded: Pngjs | undefined;

function pick(m: unknown): Pngjs {
  // pngjs is CommonJS: its exports are named exports, or properties of the default export.
  const mod = m as { PNG?: Pngjs; default?: { PNG?: Pngjs } };
  const png = mod.PNG ?? mod.default?.PNG;
  if (!png?.sync?.read || !png.sync.write) throw new GanomalyError("The package 'pngjs' does not export PNG.sync.read and write; @ganomaly needs pngjs 7.");
  return png;
}

/** Imports pngjs (once; a failed import is tried again next time). */
export async function loadPngjs(): Promise<Pngjs> {
  // A variable specifier keeps browser bundlers from pulling in pngjs (and the Node modules it needs).
  const specifier = 'pngjs';
  return (loaded ??= pick(await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)));
}

/** pngjs, loaded synchronously if `loadPngjs` has not loaded it yet (see `requireSync`). */
export function pngjsSync(): Pngjs {
  return (loaded ??= pick(requireSync('pngjs')));
}

/** `require` of a decoder package, synchronously, where the runtime offers it without a static import. */
export function requireSync(name: string): unknown {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const mod = typeof proc?.getBuiltinModule === 'function' ? (proc.getBuiltinModule('node:module') as { createRequire?: (url: string) => (id: string) => unknown } | undefined) : undefined;
  if (!mod?.createRequire) {
    throw new GanomalyError(`decodeImage needs the '${name}' package: call 'await loadImageDecoders()' once before decoding (it is loaded automatically only on Node >= 20.16).`);
  }
  return mod.createRequire(import.meta.url)(name);
}
