// Builds the demo into examples/browser/dist: `npx vite build examples/browser`.
// The library is taken from its TypeScript sources, the packages' browser builds (as in the tests); the wasm backend's .wasm
// files are copied next to the page so that nothing is fetched from another host.
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { browserAlias } from '../../vitest.workspace.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const wasmDir = path.resolve(here, '../../node_modules/@tensorflow/tfjs-backend-wasm/dist');
const ortDir = path.resolve(here, '../../node_modules/onnxruntime-web/dist');

export default defineConfig({
  root: here,
  base: './',
  resolve: { alias: browserAlias },
  build: { outDir: path.join(here, 'dist'), emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 10_000 },
  plugins: [
    {
      name: 'copy-wasm',
      writeBundle(options) {
        const out = path.join(options.dir ?? path.join(here, 'dist'), 'wasm');
        mkdirSync(out, { recursive: true });
        for (const f of readdirSync(wasmDir)) if (f.endsWith('.wasm')) cpSync(path.join(wasmDir, f), path.join(out, f));
        // onnxruntime-web's runtime (plain and JSEP/WebGPU builds), for the ONNX engine.
        const ortOut = path.join(options.dir ?? path.join(here, 'dist'), 'ort');
        mkdirSync(ortOut, { recursive: true });
        for (const f of readdirSync(ortDir)) if (/^ort-wasm-simd-threaded(\.jsep)?\.(wasm|mjs)$/.test(f)) cpSync(path.join(ortDir, f), path.join(ortOut, f));
      },
    },
  ],
});
