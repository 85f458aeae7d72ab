import { defineConfig } from 'vitest/config';
import projects from './vitest.workspace.ts';

export default defineConfig({
  test: {
    projects,
    // Two cores: one test file per core, no more.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
