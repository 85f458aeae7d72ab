// What a folder scan leaves out without a word: `*.png`/`*.jpg` symbolic links that point nowhere
// or loop, and file names that are not valid UTF-8 (which Node's string paths cannot name: such a
// file would be reported as missing). Each gets a warning, as unreadable files do.
import { readdir, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { data } from '@ganomaly/core';

const isImage = (name: string) => data.IMAGE_EXTENSIONS.some((x) => name.toLowerCase().endsWith(x));

/** Escapes the bytes of a name that are not valid UTF-8 as \xNN. */
function shown(name: Buffer): string {
  let out = '';
  for (let i = 0; i < name.length; ) {
    let j = i + 1;
    while (j <= name.length && j - i <= 4) {
      const part = name.subarray(i, j);
      if (Buffer.from(part.toString('utf8'), 'utf8').equals(part) && !part.toString('utf8').includes('\uFFFD')) break;
      j++;
    }
    if (j <= name.length && j - i <= 4) {
      out += name.subarray(i, j).toString('utf8');
      i = j;
    } else {
      out += `\\x${name[i]!.toString(16).padStart(2, '0').toUpperCase()}`;
      i++;
    }
  }
  return out;
}

/**
 * Warns about the image entries of `dir` (and its subfolders with `recursive`) that a scan skips;
 * returns the paths (as the scan spells them) of names that are not valid UTF-8, so that callers
 * can drop them instead of failing on them later.
 */
export async function warnSkippedEntries(dir: string, recursive: boolean, warn: (m: string) => void, seen = new Set<string>()): Promise<Set<string>> {
  const invalid = new Set<string>();
  if (seen.has(dir)) return invalid;
  seen.add(dir);
  const entries = await readdir(dir, { withFileTypes: true, encoding: 'buffer' }).catch(() => null);
  if (!entries) return invalid;
  for (const e of entries) {
    const raw = e.name as unknown as Buffer;
    const name = raw.toString('utf8');
    if (name.startsWith('.')) continue;
    if (!Buffer.from(name, 'utf8').equals(raw)) {
      if (isImage(name)) {
        warn(`${path.join(dir, shown(raw))}: skipped, its file name is not valid UTF-8 (rename it to read it).`);
        invalid.add(path.join(dir, name));
      }
      continue;
    }
    const full = path.join(dir, name);
    if (e.isSymbolicLink()) {
      const st = await stat(full).catch((err: NodeJS.ErrnoException) => err);
      if (st instanceof Error) {
        if (isImage(name)) {
          const to = await readlink(full).catch(() => '?');
          warn(`${full}: skipped, a symbolic link to ${to} that ${st.code === 'ELOOP' ? 'loops' : 'points to nothing'} (${st.code}).`);
        }
        continue;
      }
      if (recursive && st.isDirectory()) for (const x of await warnSkippedEntries(full, recursive, warn, seen)) invalid.add(x);
    } else if (recursive && e.isDirectory()) {
      for (const x of await warnSkippedEntries(full, recursive, warn, seen)) invalid.add(x);
    }
  }
  return invalid;
}
