// What a folder scan leaves out without a word: `*.png`/`*.jpg` symbolic links that point nowhere
// or loop. Each gets a warning, as unreadable files do. (File names that are not valid UTF-8 are
// read: the data package lists them as bytes and shows them with \xNN escapes.)
import { readdir, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { data } from '@ganomaly/core';

const isImage = (name: string) => data.IMAGE_EXTENSIONS.some((x) => name.toLowerCase().endsWith(x));

/** Warns about the image entries of `dir` (and its subfolders with `recursive`) that a scan skips. */
export async function warnSkippedEntries(dir: string, recursive: boolean, warn: (m: string) => void, seen = new Set<string>()): Promise<void> {
  if (seen.has(dir)) return;
  seen.add(dir);
  const entries = await readdir(dir, { withFileTypes: true, encoding: 'buffer' }).catch(() => null);
  if (!entries) return;
  for (const e of entries) {
    const raw = e.name as unknown as Buffer;
    const name = data.showPath(raw);
    if (name.startsWith('.')) continue;
    const full = path.join(dir, name);
    // Opened by its bytes: a name that is not valid UTF-8 has no string form.
    const target = Buffer.concat([Buffer.from(path.join(dir, '_').slice(0, -1)), raw]);
    if (e.isSymbolicLink()) {
      const st = await stat(target).catch((err: NodeJS.ErrnoException) => err);
      if (st instanceof Error) {
        if (isImage(name)) {
          const to = await readlink(target, { encoding: 'buffer' }).then((b) => data.showPath(b), () => '?');
          warn(`${full}: skipped, a symbolic link to ${to} that ${st.code === 'ELOOP' ? 'loops' : 'points to nothing'} (${st.code}).`);
        }
        continue;
      }
      if (recursive && st.isDirectory()) await warnSkippedEntries(full, recursive, warn, seen);
    } else if (recursive && e.isDirectory()) {
      await warnSkippedEntries(full, recursive, warn, seen);
    }
  }
}
