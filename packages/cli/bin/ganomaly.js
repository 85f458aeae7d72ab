#!/usr/bin/env node
// The `ganomaly` command. This file is committed, not built: npm links a workspace's bins before
// the root `prepare` script builds dist/, and after `npm ci` a bin pointing into dist/ was not
// linked at all (`npx ganomaly` then asked the registry and failed with E404).
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(built)) {
  process.stderr.write(`ganomaly: ${built.pathname} is missing: build the packages first (\`npm run build\` at the repository root).\n`);
  process.exit(1);
}
await import(built.href);
