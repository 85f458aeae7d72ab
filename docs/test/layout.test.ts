// The package layout that docs/architecture.md describes, checked on the sources: no import cycle
// inside a package (type-only imports included), each package imports only the @ganomaly packages
// its package.json declares, and no module imports a node: module at load time (top-level static
// imports), except the worker scripts, which only ever run in Node.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { packages } from '../../vitest.workspace.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Module {
  file: string;
  /** Relative imports (static and type-only, and `import('./x.js')` in types), as module files. */
  local: string[];
  /** Bare specifiers of static imports. */
  bare: string[];
}

/** Every .ts file under the package's src/ (subfolders such as core's detectors/ included), by its path from src/. */
function sourceFiles(dir: string, sub = ''): string[] {
  return readdirSync(path.join(dir, sub), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(dir, path.posix.join(sub, e.name)) : e.name.endsWith('.ts') ? [path.posix.join(sub, e.name)] : [],
  );
}

function modules(pkg: string): Module[] {
  const dir = path.join(root, 'packages', pkg, 'src');
  return sourceFiles(dir).map((f) => {
    const text = readFileSync(path.join(dir, f), 'utf8');
    const local = new Set<string>();
    const bare = new Set<string>();
    for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'|import\('(\.[^']+)'\)/gm)) {
      const spec = m[1] ?? m[2] ?? m[3]!;
      // Resolved against the importing file's folder: detectors/base.ts is not base.ts.
      if (spec.startsWith('.')) local.add(path.posix.join(path.posix.dirname(f), spec).replace(/\.js$/, '.ts'));
      else bare.add(spec);
    }
    return { file: f, local: [...local], bare: [...bare] };
  });
}

function findCycle(mods: Module[]): string[] | null {
  const byFile = new Map(mods.map((m) => [m.file, m]));
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): string[] | null => {
    if (state.get(f) === 'done') return null;
    if (state.get(f) === 'open') return [...stack.slice(stack.indexOf(f)), f];
    state.set(f, 'open');
    stack.push(f);
    for (const d of byFile.get(f)?.local ?? []) {
      const c = visit(d);
      if (c) return c;
    }
    stack.pop();
    state.set(f, 'done');
    return null;
  };
  for (const m of mods) {
    const c = visit(m.file);
    if (c) return c;
  }
  return null;
}

describe('package layout', () => {
  for (const pkg of packages) {
    const mods = modules(pkg);
    it(`${pkg}: no import cycle between its modules`, () => {
      expect(findCycle(mods)).toBeNull();
    });
    it(`${pkg}: imports only the @ganomaly packages it declares`, () => {
      const json = JSON.parse(readFileSync(path.join(root, 'packages', pkg, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
      const declared = new Set(Object.keys(json.dependencies ?? {}));
      const used = new Set(mods.flatMap((m) => m.bare.filter((s) => s.startsWith('@ganomaly/')).map((s) => s.split('/').slice(0, 2).join('/'))));
      expect([...used].filter((u) => !declared.has(u))).toEqual([]);
    });
    it(`${pkg}: no node: module is imported at load time (outside worker scripts and the cli)`, () => {
      if (pkg === 'cli') return; // the command line runs in Node only
      const offenders = mods.filter((m) => !m.file.endsWith('-worker.ts') && m.bare.some((s) => s.startsWith('node:'))).map((m) => m.file);
      expect(offenders).toEqual([]);
    });
  }
  it('common and kernels import no other @ganomaly package', () => {
    for (const pkg of ['common', 'kernels']) {
      expect(modules(pkg).flatMap((m) => m.bare.filter((s) => s.startsWith('@ganomaly/')))).toEqual([]);
    }
  });
});
