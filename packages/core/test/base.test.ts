// `@ganomaly/core/base` is the API without side effects: importing it registers no backend
// candidate, where `@ganomaly/core` registers all six. Run in fresh Node processes against the
// built package, through the package's `exports` (as an app imports it).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const built = existsSync(path.join(repo, 'packages/core/dist/base.js'));

const candidates = (specifier: string) =>
  execFileSync(
    process.execPath,
    ['--input-type=module', '-e', `const m = await import('${specifier}'); console.log(JSON.stringify({ names: m.listBackendCandidates().map((c) => c.name), api: typeof m.Ganomaly.create }));`],
    { cwd: repo, encoding: 'utf8', timeout: 60_000 },
  );

describe.skipIf(!built)(`@ganomaly/core/base${built ? '' : ' (skipped: packages are not built; run npm run build)'}`, () => {
  it('exports the API and registers no backend; @ganomaly/core registers the six', () => {
    const base = JSON.parse(candidates('@ganomaly/core/base').trim().split('\n').pop()!);
    expect(base).toEqual({ names: [], api: 'function' });
    const full = JSON.parse(candidates('@ganomaly/core').trim().split('\n').pop()!);
    expect([...full.names].sort()).toEqual(['cpu', 'node', 'node-gpu', 'wasm', 'webgl', 'webgpu']);
  });
});
