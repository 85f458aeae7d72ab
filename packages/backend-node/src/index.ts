/**
 * Registers @tensorflow/tfjs-node (native TensorFlow on the CPU) with @ganomaly, when it is installed.
 * It is an optional peer dependency: its install script downloads libtensorflow, which some
 * machines cannot reach. Two ways to have it:
 * - `npm install @tensorflow/tfjs-node` (the usual way, with internet access): it resolves from
 *   this package like any dependency;
 * - without a download, in this repository: `npm run setup:tfjs-node` builds it from the C library
 *   of the `tensorflow-cpu` Python wheel into `.tfjs-node/` at the project's root, outside
 *   node_modules (so `npm ci` and `npm install` leave it alone); it is found from here by looking
 *   in the folders above this package (see {@link findLocalTfjsNode}).
 * When neither is there, selecting this backend fails with a message that says how to install
 * it, and `useBackend('auto')` moves on to the next candidate.
 */
import { isNode, isPackageInstalled, loadOptionalPackage, registerBackendCandidate } from '@ganomaly/common';
import { registerTensorflowKernels } from '@ganomaly/kernels';

/** Which of this library's forms the tensorflow backend's kernels use (@ganomaly/kernels' register-tensorflow.ts). */
export { TENSORFLOW_FORMS } from '@ganomaly/kernels';

export const NODE_PRIORITY = 30;
export const NODE_PACKAGE = '@tensorflow/tfjs-node';
/** Where `npm run setup:tfjs-node` builds tfjs-node, relative to a project's root. */
export const LOCAL_BUILD_DIR = '.tfjs-node/node_modules/@tensorflow/tfjs-node';

const INSTALL_HINT =
  `\`npm install ${NODE_PACKAGE}@^4.22.0\` (its install script downloads libtensorflow; ` +
  'without internet access, in the @ganomaly repository: `npm run setup:tfjs-node`)';

// Variable specifiers keep bundlers from trying to include Node's modules.
const nodeModule = (name: string) => import(/* @vite-ignore */ /* webpackIgnore: true */ name);

/**
 * The folder of a tfjs-node built by `npm run setup:tfjs-node`: `<dir>/.tfjs-node/node_modules/
 * @tensorflow/tfjs-node` for the nearest folder above this package that has one with a built
 * binding, or the folder named by the environment variable GANOMALY_TFJS_NODE. Undefined when
 * there is none (and outside Node).
 */
export async function findLocalTfjsNode(): Promise<string | undefined> {
  if (!isNode()) return undefined;
  const fs = await nodeModule('node:fs');
  const path = await nodeModule('node:path');
  const { fileURLToPath } = await nodeModule('node:url');
  const built = (dir: string) => fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'lib/napi-v8/tfjs_binding.node'));
  const fromEnv = process.env.GANOMALY_TFJS_NODE;
  if (fromEnv) return built(fromEnv) ? path.resolve(fromEnv) : undefined;
  let dir: string = fs.realpathSync(path.dirname(fileURLToPath(import.meta.url)));
  for (;;) {
    const candidate = path.join(dir, LOCAL_BUILD_DIR);
    if (built(candidate)) return candidate;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** Whether tfjs-node can be loaded from here: installed as a package, or built by setup:tfjs-node. */
export async function isTfjsNodeAvailable(): Promise<boolean> {
  return (await isPackageInstalled(NODE_PACKAGE, import.meta.url)) || (await findLocalTfjsNode()) !== undefined;
}

/**
 * TensorFlow's oneDNN kernels for the CPU, unless the environment already chose
 * (`TF_ENABLE_ONEDNN_OPTS=0` keeps TensorFlow's own). TensorFlow 2.9 and later turn them on by
 * default only on CPUs with AVX-512 VNNI, BF16 or AMX; elsewhere (AVX2-only CPUs such as many AMD
 * EPYC and older Intel parts) its convolution gradients run on its own kernels at about half the
 * rate: a training step at widths 64 here, 1,830 ms without, 1,145 to 1,305 ms with
 * (docs/benchmarks.md). TensorFlow reads the variable once, when it loads, so this must run before
 * tfjs-node is first imported; where the application imported tfjs-node itself earlier, set the
 * variable before starting Node. Returns whether oneDNN is requested.
 */
export function enableOneDnn(): boolean {
  if (!isNode()) return false;
  if (process.env.TF_ENABLE_ONEDNN_OPTS === undefined) process.env.TF_ENABLE_ONEDNN_OPTS = '1';
  return process.env.TF_ENABLE_ONEDNN_OPTS !== '0' && process.env.TF_ENABLE_ONEDNN_OPTS.toLowerCase() !== 'false';
}

/**
 * Imports @tensorflow/tfjs-node: the installed package when it resolves, else the local build of
 * `npm run setup:tfjs-node`. Throws an Error naming the fix when neither can be loaded.
 */
export async function loadTfjsNode(): Promise<unknown> {
  enableOneDnn();
  if (!(await isPackageInstalled(NODE_PACKAGE, import.meta.url))) {
    const local = await findLocalTfjsNode();
    if (local !== undefined) {
      const path = await nodeModule('node:path');
      const { pathToFileURL } = await nodeModule('node:url');
      try {
        return await import(/* @vite-ignore */ /* webpackIgnore: true */ pathToFileURL(path.join(local, 'dist/index.js')).href);
      } catch (e) {
        const why = ((e as Error)?.message ?? String(e)).replace(/\.+$/, '');
        throw new Error(`${NODE_PACKAGE} built by \`npm run setup:tfjs-node\` in ${local} failed to load: ${why}. Rebuild it (\`npm run setup:tfjs-node -- --force\`) or choose another backend ('wasm' or 'cpu').`);
      }
    }
  }
  return loadOptionalPackage(NODE_PACKAGE, INSTALL_HINT, import.meta.url);
}

registerBackendCandidate({
  name: 'node',
  tfjsName: 'tensorflow',
  aliases: ['tensorflow', 'tfjs-node'],
  priority: NODE_PRIORITY,
  load: async () => {
    await loadTfjsNode();
    // Faster convolution gradients where tfjs-node's own measured slow (@ganomaly/kernels' register-tensorflow.ts).
    registerTensorflowKernels();
  },
});
