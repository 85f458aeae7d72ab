// The one list of test projects: one per package. vitest.config.ts imports it (vitest 4 reads
// projects from `test.projects`; the separate workspace file itself is no longer read by vitest).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

export const packages = [
  'math',
  'models',
  'data',
  'common',
  'kernels',
  'backend-cpu',
  'backend-wasm',
  'backend-node',
  'backend-node-gpu',
  'backend-webgpu',
  'backend-webgl',
  'onnx',
  'core',
  'report',
  'cli',
] as const;

const root = fileURLToPath(new URL('.', import.meta.url));

/** Tests run against the TypeScript sources, so `npm test` needs no build first. */
export const alias = {
  // Subpath exports first: an alias also matches the paths below its name.
  '@ganomaly/core/base': `${root}packages/core/src/base.ts`,
  ...Object.fromEntries(packages.map((p) => [`@ganomaly/${p}`, `${root}packages/${p}/src/index.ts`])),
};

/**
 * The same for bundles that run in a browser (the demo, the browser tests): a package's browser
 * build (src/index.browser.ts) where it has one, as a bundler picks it from the `browser`
 * condition of the package's `exports`.
 */
export const browserAlias = Object.fromEntries(
  packages.map((p) => {
    const browser = `${root}packages/${p}/src/index.browser.ts`;
    return [`@ganomaly/${p}`, existsSync(browser) ? browser : `${root}packages/${p}/src/index.ts`];
  }),
);

/** One vitest project: Node environment, package sources through `alias`. */
function project(name: string, dir: string, include: string, testTimeout: number, hookTimeout: number) {
  return defineProject({
    resolve: { alias },
    test: {
      name,
      root: `${root}${dir}`,
      include: [include],
      environment: 'node',
      testTimeout,
      hookTimeout,
      // Two test files run at once on two cores: a second XNNPACK thread per file would only
      // contend (the suite took 126 s instead of 94 s). The wasm threads have their own tests,
      // which start processes with the thread counts they need.
      env: { GANOMALY_WASM_THREADS: '1' },
    },
  });
}

export default [
  ...packages.map((name) => project(name, `packages/${name}`, 'test/**/*.test.ts', 60_000, 120_000)),
  // The examples' end-to-end tests (the browser demo).
  project('examples', 'examples', '*/test/**/*.test.ts', 120_000, 300_000),
  // The runnable examples of the docs.
  project('docs', 'docs', 'test/**/*.test.ts', 240_000, 300_000),
  // The packed packages installed into fresh apps (tools/test/pack.test.ts).
  project('pack', 'tools', 'test/**/*.test.ts', 120_000, 300_000),
  // The experiment harness (reproducing the paper's experiments).
  project('experiments', 'experiments', 'test/**/*.test.ts', 120_000, 120_000),
];
