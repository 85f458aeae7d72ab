// The file system access of the Node-only modules (node-*.ts): node:fs/promises and node:path,
// imported when first called, never at load time, so the package still loads in browsers.
// `webpackIgnore` keeps bundlers from resolving them for a browser build.

export type Fs = typeof import('node:fs/promises');
export type Path = typeof import('node:path');

import { isUtf8, showPath, type FilePath } from './path-text.js';
export { showPath, type FilePath };

export async function nodeModules(): Promise<{ fs: Fs; path: Path }> {
  const [fs, path] = await Promise.all([import(/* webpackIgnore: true */ 'node:fs/promises'), import(/* webpackIgnore: true */ 'node:path')]);
  return { fs, path };
}

/** 'dir', 'file', or undefined when missing or something else. Follows symbolic links. */
export async function kindOf(fs: Fs, p: FilePath): Promise<'dir' | 'file' | undefined> {
  try {
    const st = await fs.stat(nodePath(p));
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

/** A whole file's bytes. */
export async function readAll(fs: Fs, file: FilePath): Promise<Uint8Array> {
  const buf = await fs.readFile(nodePath(file));
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Whether `file` is an existing file (symbolic links followed). */
export async function isFile(file: string): Promise<boolean> {
  const { fs } = await nodeModules();
  return (await kindOf(fs, file)) === 'file';
}

/** A folder entry's name as a FilePath: a string when its bytes are valid UTF-8, else the bytes. */
export function entryName(raw: Uint8Array): FilePath {
  return isUtf8(raw) ? new TextDecoder('utf-8', { ignoreBOM: true }).decode(raw) : raw;
}

/** `dir` joined with a name (strings: path.join; either one bytes: the joined path is bytes too). */
export function joinPath(path: Path, dir: FilePath, name: FilePath): FilePath {
  if (typeof dir === 'string' && typeof name === 'string') return path.join(dir, name);
  const enc = new TextEncoder();
  const head = typeof dir === 'string' ? enc.encode(path.join(dir, '_').slice(0, -1)) : dir[dir.length - 1] === 0x2f ? dir : Uint8Array.from([...dir, 0x2f]);
  const tail = typeof name === 'string' ? enc.encode(name) : name;
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

/** A FilePath as Node's fs functions type it (bytes as a Buffer over the same memory). */
export function nodePath(p: FilePath): string | Buffer {
  return typeof p === 'string' ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
}
