// File paths as text: a name that is not valid UTF-8 is kept as bytes and shown with \xNN escapes.
// No Node imports: the browser build exports showPath too.

/**
 * A file's path: a string, or (for a name that is not valid UTF-8, which a JavaScript string
 * cannot hold) its bytes, as Node's `fs` takes them (`readdir(dir, { encoding: 'buffer' })`).
 */
export type FilePath = string | Uint8Array;

/** Whether `bytes` are valid UTF-8 that a string gives back unchanged. */
export function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** A path as text: unchanged for strings; bytes that are not valid UTF-8 become `\xNN` (two upper-case hex digits). */
export function showPath(p: FilePath): string {
  if (typeof p === 'string') return p;
  if (isUtf8(p)) return new TextDecoder('utf-8', { ignoreBOM: true }).decode(p);
  let out = '';
  const dec = new TextDecoder('utf-8', { ignoreBOM: true });
  for (let i = 0; i < p.length; ) {
    // The longest valid UTF-8 sequence (1-4 bytes) starting at i, else one escaped byte.
    let taken = 0;
    for (let n = 1; n <= 4 && i + n <= p.length; n++) {
      if (isUtf8(p.subarray(i, i + n))) {
        taken = n;
        break;
      }
    }
    if (taken) {
      out += dec.decode(p.subarray(i, i + taken));
      i += taken;
    } else {
      out += `\\x${p[i]!.toString(16).padStart(2, '0').toUpperCase()}`;
      i++;
    }
  }
  return out;
}

