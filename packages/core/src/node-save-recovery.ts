// What a `file://` save leaves behind when its process dies, and how the next save or load puts it
// right. Node only (imported lazily by the file handler, like node:fs; the checksum of weights.bin
// kept in the metadata is checksum.ts, which browsers use too).
//
// A save writes <dir>.tmp-<pid>-<ms>-<rand>/ and then swaps it in with two renames:
// <dir> -> <dir>.old-<stamp>, <dir>.tmp-<stamp> -> <dir>. Killed before the first rename, the
// temporary folder is left over; killed between the two, <dir> is missing and both halves remain.
// `recoverInterruptedSave` finishes that swap when the new folder is complete (its metadata.json is
// written last, after weights.bin and model.json were synced), else rolls it back to the old
// model, and removes temporaries whose process is gone. Temporaries of a live process are left
// alone: that save is still running.

import { MODEL_FILES } from './format.js';

type Fs = typeof import('node:fs/promises');

const MODEL_FILE_NAMES: readonly string[] = Object.values(MODEL_FILES);

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Whether process `pid` is still running (this process is; a zombie, killed but not yet reaped,
 * is not). Used by save recovery and by the CLI's folder locks.
 */
export async function isProcessAlive(pid: number): Promise<boolean> {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process that its parent has not reaped yet (a zombie) is gone too (Linux: /proc).
  try {
    const fs = (await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:fs/promises')) as Fs;
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

async function modelFiles(fs: Fs, dir: string): Promise<string[] | null> {
  const entries = await fs.readdir(dir).catch(() => null);
  return entries && entries.every((e) => MODEL_FILE_NAMES.includes(e)) ? entries : null;
}

/**
 * Puts right what an interrupted save of the model folder `dir` left: finishes or rolls back a
 * half-done swap, and removes temporary folders of dead processes. Returns what it did, one
 * sentence per action (empty when there was nothing to do).
 */
export async function recoverInterruptedSave(dir: string): Promise<string[]> {
  const fs = (await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:fs/promises')) as Fs;
  const path = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:path');
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const re = new RegExp(`^${escapeRegExp(path.basename(target))}\\.(tmp|old)-(\\d+)-(\\d+)-([a-z0-9]+)$`);
  const entries = await fs.readdir(parent).catch(() => [] as string[]);
  const stale: { name: string; full: string; kind: 'tmp' | 'old'; stamp: string; time: number }[] = [];
  for (const name of entries) {
    const m = re.exec(name);
    if (!m || (await isProcessAlive(Number(m[2])))) continue;
    stale.push({ name, full: path.join(parent, name), kind: m[1] as 'tmp' | 'old', stamp: `${m[2]}-${m[3]}-${m[4]}`, time: Number(m[3]) });
  }
  if (!stale.length) return [];
  const done: string[] = [];
  const used = new Set<string>();
  const exists = await fs.stat(target).catch(() => null);
  if (!exists) {
    const old = stale.filter((e) => e.kind === 'old').sort((a, b) => b.time - a.time)[0];
    if (old) {
      const tmp = stale.find((e) => e.kind === 'tmp' && e.stamp === old.stamp);
      const files = tmp ? await modelFiles(fs, tmp.full) : null;
      if (tmp && files && MODEL_FILE_NAMES.every((f) => files.includes(f))) {
        await fs.rename(tmp.full, target);
        used.add(tmp.name);
        done.push(`finished an interrupted save: the new model in ${tmp.name} is now ${target}`);
      } else {
        await fs.rename(old.full, target);
        used.add(old.name);
        done.push(`rolled back an interrupted save: the previous model in ${old.name} is back at ${target}`);
      }
    }
  }
  for (const e of stale) {
    if (used.has(e.name) || !(await modelFiles(fs, e.full))) continue;
    await fs.rm(e.full, { recursive: true, force: true });
    done.push(`removed ${e.full}, left by a save that was interrupted`);
  }
  return done;
}
