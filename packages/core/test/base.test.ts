// `@ganomaly/core/base` is the API without side effects: importing it registers no backend
// candidate, where `@ganomaly/core` registers all six. Run in fresh Node processes against the
// built package, through the package's `exports` (as an app imports it).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

  it('has the Node parts: a file:// save and load through base, with a backend the app registers; base itself registers none', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ganomaly-base-'));
    try {
      const script = `
        const base = await import('@ganomaly/core/base');
        const before = base.listBackendCandidates().map((c) => c.name);
        const node = ['fileHandler', 'isModelFolder', 'readModelMetadata', 'recoverInterruptedSave', 'ScoringPool'].map((k) => typeof base[k]);
        await import('@ganomaly/backend-cpu');
        const after = base.listBackendCandidates().map((c) => c.name);
        const m = await base.Ganomaly.create({ imageSize: 16, channels: 1, latentDim: 8, baseWidth: 4, seed: 3, backend: 'cpu', scoreVariant: 'mse' });
        const url = 'file://' + ${JSON.stringify(path.join(dir, 'm'))};
        await m.save(url);
        const x = new Float32Array(2 * 16 * 16).map((_, i) => (i * 37) % 256);
        const tf = await import('@tensorflow/tfjs-core');
        const t = tf.tensor4d(x, [2, 16, 16, 1]);
        const a = Array.from(await m.score(t));
        const l = await base.Ganomaly.load(url, { backend: 'cpu' });
        const b = Array.from(await l.score(t));
        console.log(JSON.stringify({ before, node, after, folder: await base.isModelFolder(${JSON.stringify(path.join(dir, 'm'))}), same: a.length === 2 && a.every((v, i) => v === b[i]) }));
      `;
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
      const r = JSON.parse(out.trim().split('\n').pop()!);
      expect(r).toEqual({ before: [], node: ['function', 'function', 'function', 'function', 'function'], after: ['cpu'], folder: true, same: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
