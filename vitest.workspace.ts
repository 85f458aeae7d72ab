// The one list of test projects: one per package. vitest.config.ts imports it (vitest 4 reads
// projects from `test.projects`; the separate workspace file itself is no longer read by vitest).
import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

export const packages = [
  'math',
  'models',
  'data',
  'common',
  'backend-cpu',
  'backend-wasm',
  'backend-node',
  'backend-node-gpu',
  'backend-webgpu',
  'backend-webgl',
  'core',
] as const;

const root = fileURLToPath(new URL('.', import.meta.url));

/** Tests run against the TypeScript sources, so `npm test` needs no build first. */
export const alias = Object.fromEntries(
  packages.map((p) => [`@ganomaly/${p}`, `${root}packages/${p}/src/index.ts`]),
);

const packageProjects = packages.map((name) =>
  defineProject({
    resolve: { alias },
    test: {
      name,
      root: `${root}packages/${name}`,
      include: ['test/**/*.test.ts'],
      environment: 'node',
      testTimeout: 60_000,
      hookTimeout: 120_000,
    },
  }),
);

/** The examples' end-to-end tests (the browser demo). */
const examples = defineProject({
  resolve: { alias },
  test: {
    name: 'examples',
    root: `${root}examples`,
    include: ['*/test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});

/** The experiment harness (issue: reproduce the paper's experiments). */
const experiments = defineProject({
  resolve: { alias },
  test: {
    name: 'experiments',
    root: `${root}experiments`,
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});

export default [...packageProjects, examples, experiments];
