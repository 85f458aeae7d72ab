// What a folder scan leaves out without a word: `*.png`/`*.jpg` symbolic links that point nowhere
// or loop. Each gets a warning, as unreadable files do. (File names that are not valid UTF-8 are
// read: the data package lists them as bytes and shows them with \xNN escapes.)
import { readdir, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { data } from '@ganomaly/core';

const isImage = (name: string) => data.IMAGE_EXTENSIONS.some((x) => name.toLowerCase().endsWith(x));

/**
 * Warns about the image entries of `dir` (and its subfolders with `recursive`) that a scan skips.
 * Folders are walked by their bytes (a name that is not valid UTF-8 has no string form), and each
 * real folder once (`seen` holds real paths), so links to `.` or `..` do not multiply the walk.
 */
export async function warnSkippedEntries(dir: string | Buffer, recursive: boolean, warn: (m: string) => void, seen = new Set<string>()): Promise<void> {
  const bytes = typeof dir === 'string' ? Buffer.from(dir) : dir;
  const real = await realpath(bytes, { encoding: 'buffer' }).catch(() => null);
  if (!real) return;
  const key = real.toString('latin1');
  if (seen.has(key)) return;
  seen.add(key);
  const entries = await readdir(bytes, { withFileTypes: true, encoding: 'buffer' }).catch(() => null);
  if (!entries) return;
  const shown = data.showPath(bytes);
  const prefix = bytes.length && bytes[bytes.length - 1] === path.sep.charCodeAt(0) ? bytes : Buffer.concat([bytes, Buffer.from(path.sep)]);
  for (const e of entries) {
    const raw = e.name as unknown as Buffer;
    const name = data.showPath(raw);
    if (name.startsWith('.')) continue;
    const full = path.join(shown, name);
    // Opened by its bytes.
    const target = Buffer.concat([prefix, raw]);
    if (e.isSymbolicLink()) {
      const st = await stat(target).catch((err: NodeJS.ErrnoException) => err);
      if (st instanceof Error) {
        if (isImage(name)) {
          const to = await readlink(target, { encoding: 'buffer' }).then((b) => data.showPath(b), () => '?');
          warn(`${full}: skipped, a symbolic link to ${to} that ${st.code === 'ELOOP' ? 'loops' : 'points to nothing'} (${st.code}).`);
        }
        continue;
      }
      if (recursive && st.isDirectory()) await warnSkippedEntries(target, recursive, warn, seen);
    } else if (recursive && e.isDirectory()) {
      await warnSkippedEntries(target, recursive, warn, seen);
    }
  }
}
