// The file system access of the Node-only modules (node-*.ts): node:fs/promises and node:path,
// imported when first called, never at load time, so the package still loads in browsers.
// `webpackIgnore` keeps bundlers from resolving them for a browser build.

export type Fs = typeof import('node:fs/promises');
export type Path = typeof import('node:path');

export async function nodeModules(): Promise<{ fs: Fs; path: Path }> {
  const [fs, path] = await Promise.all([import(/* webpackIgnore: true */ 'node:fs/promises'), import(/* webpackIgnore: true */ 'node:path')]);
  return { fs, path };
}

/** 'dir', 'file', or undefined when missing or something else. Follows symbolic links. */
export async function kindOf(fs: Fs, p: string): Promise<'dir' | 'file' | undefined> {
  try {
    const st = await fs.stat(p);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

/** A whole file's bytes. */
export async function readAll(fs: Fs, file: string): Promise<Uint8Array> {
  const buf = await fs.readFile(file);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Whether `file` is an existing file (symbolic links followed). */
export async function isFile(file: string): Promise<boolean> {
  const { fs } = await nodeModules();
  return (await kindOf(fs, file)) === 'file';
}
