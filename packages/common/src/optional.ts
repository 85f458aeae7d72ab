import { isNode } from './runtime.js';

/**
 * Loads an optional peer dependency (tfjs-node, tfjs-node-gpu, webgpu ...). Throws an Error whose
 * message says whether the package is missing or broken and how to fix either.
 *
 * @param specifier the package name, e.g. '@tensorflow/tfjs-node'.
 * @param installHint what to run or know to install it, e.g. "npm install @tensorflow/tfjs-node@^4.22.0".
 * @param from `import.meta.url` of the caller: the package is resolved from there.
 */
export async function loadOptionalPackage(specifier: string, installHint: string, from: string): Promise<unknown> {
  if (!(await isPackageInstalled(specifier, from))) {
    throw new Error(`${specifier} is not installed. Install it with ${installHint}, or choose another backend ('wasm' or 'cpu').`);
  }
  try {
    // A variable specifier keeps bundlers and TypeScript from requiring the optional package.
    return await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier);
  } catch (e) {
    const why = ((e as Error)?.message ?? String(e)).replace(/\.+$/, '');
    throw new Error(`${specifier} is installed but failed to load: ${why}. Reinstall it (\`npm rebuild ${specifier}\`) or choose another backend ('wasm' or 'cpu').`);
  }
}

/** Whether a package resolves from `from` (Node only; false elsewhere), without loading it. */
export async function isPackageInstalled(specifier: string, from: string): Promise<boolean> {
  // Browsers: nothing to resolve (and importing node:module would be a failed request).
  if (!isNode()) return false;
  try {
    const { createRequire } = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:module');
    createRequire(from).resolve(`${specifier}/package.json`);
    return true;
  } catch {
    return false;
  }
}
