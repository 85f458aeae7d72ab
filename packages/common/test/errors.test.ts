// Error names survive minification: a minifier renames classes, so a name taken from the class
// (`new.target.name`) came out as `aj` in an app's production bundle. errors.ts is bundled and
// minified here with Vite (the bundler the browser tests use) and each class is thrown from it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as source from '../src/errors.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
let out = '';
afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

const args: Record<string, unknown[]> = {
  UnknownNameError: ['encoder', 'x', ['dcgan']],
  BackendError: ["Backend 'wasm' could not be initialised", [{ backend: 'wasm', reason: 'no .wasm' }]],
};

describe('error classes', () => {
  it('keep their names in a minified bundle, and in the sources', async () => {
    const { build } = await import('vite');
    out = await mkdtemp(path.join(tmpdir(), 'ganomaly-errors-'));
    await build({
      configFile: false,
      logLevel: 'silent',
      build: {
        outDir: out,
        minify: true,
        lib: { entry: path.join(here, '../src/errors.ts'), formats: ['es'], fileName: 'errors' },
      },
    });
    const min = (await import(pathToFileURL(path.join(out, 'errors.js')).href)) as Record<string, new (...a: unknown[]) => Error>;
    const names = Object.keys(source).filter((k) => k.endsWith('Error'));
    expect(names.length).toBeGreaterThanOrEqual(10);
    const mangled: string[] = [];
    for (const name of names) {
      for (const mod of [source as unknown as Record<string, new (...a: unknown[]) => Error>, min]) {
        const e = new mod[name]!(...(args[name] ?? ['m']));
        expect(e.name).toBe(name);
        expect(String(e).startsWith(`${name}: `)).toBe(true);
        expect(e.stack!.startsWith(`${name}: `)).toBe(true);
        expect(e).toBeInstanceOf(mod.GanomalyError);
        expect(e).toBeInstanceOf(mod[name]);
      }
      if (min[name]!.name !== name) mangled.push(name);
    }
    // The check means something only if the minifier did rename the classes.
    expect(mangled.length).toBeGreaterThan(0);
  });

  it('a subclass of your own is named after its class', () => {
    class MyError extends source.ValueError {}
    class Mine extends source.GanomalyError {}
    expect(new Mine('m').name).toBe('Mine');
    // A subclass of a named class inherits that name unless it sets its own.
    expect(new MyError('m').name).toBe('ValueError');
  });
});
