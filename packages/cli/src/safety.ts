// What keeps the commands from destroying or losing data: output paths that are inputs, reports
// into data folders, unwritable or full output folders, two runs on one --out, write errors.
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, readdir, realpath, rename, rm, rmdir, stat, statfs, unlink } from 'node:fs/promises';
import path from 'node:path';
import { isProcessAlive } from '@ganomaly/core';
import { REPORT_FILES } from '@ganomaly/report';
import { CliError, EXIT, usage, type Output } from './io.js';

/** An error of the operating system (ENOSPC, EACCES, EROFS, ...), with its code. */
export function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && /^E[A-Z0-9]+$/.test((e as NodeJS.ErrnoException).code!);
}

/** One line for a system error: "ENOSPC, no space left on device (/path)". */
export function systemMessage(e: NodeJS.ErrnoException): string {
  const m = e.message.replace(/^E[A-Z0-9]+: /, '').replace(/, \w+ '[^']*'$/, '');
  return `${e.code}: ${m}${e.path ? ` (${e.path})` : ''}`;
}

/** The path with symbolic links resolved (of its folder, when it does not exist yet). */
async function real(p: string): Promise<string> {
  const r = await realpath(p).catch(() => null);
  if (r) return r;
  const dir = await realpath(path.dirname(p)).catch(() => path.dirname(p));
  return path.join(dir, path.basename(p));
}

export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * `score -o FILE`, `export --out FILE`: never one of the images being scored, nor anything in the
 * model folder. `flag` names the option in the messages.
 */
export async function checkOutputFile(file: string, inputs: string[], modelDir: string, flag = '--output'): Promise<void> {
  const out = await real(file);
  const model = await real(modelDir);
  if (isInside(out, model)) throw usage(`${flag} ${file} is inside the model folder ${modelDir}: writing there would damage the model. Choose a file elsewhere.`);
  for (const f of inputs) {
    if ((await real(f)) === out) throw usage(`${flag} ${file} is one of the images being scored: it would be overwritten. Choose another file.`);
  }
  const st = await stat(file).catch(() => null);
  if (st?.isDirectory()) throw usage(`${flag} ${file} is a folder; give a file name.`);
}

/**
 * A file written through a temporary sibling renamed into place at the end, so that a failed or
 * interrupted run leaves the old file (or none), never a cut one. Files that are not regular
 * (/dev/stdout, a pipe) are written directly.
 */
export async function atomicFile(file: string): Promise<Output & { write(data: string | Uint8Array): unknown; commit(): Promise<void>; abort(): Promise<void> }> {
  const st = await stat(file).catch(() => null);
  const direct = !!st && !st.isFile();
  const tmp = direct ? file : path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${Date.now()}`);
  const stream: WriteStream = createWriteStream(tmp, direct ? {} : { flags: 'wx' });
  let failed: NodeJS.ErrnoException | null = null;
  stream.on('error', (e) => (failed ??= e));
  const fail = (e: NodeJS.ErrnoException) => new CliError(`Cannot write ${file}: ${systemMessage(e)}${direct ? '' : '; nothing was written there'}.`, EXIT.error);
  await new Promise<void>((resolve, reject) =>
    stream.once('open', () => resolve()).once('error', (e) => reject(new CliError(`Cannot write ${file}: ${systemMessage(e)}.`, EXIT.usage))),
  );
  return {
    write: (s: string | Uint8Array) => {
      if (failed) throw fail(failed);
      return stream.write(s);
    },
    async commit() {
      if (!stream.destroyed) {
        await new Promise<void>((resolve) => {
          stream.once('error', () => resolve());
          stream.once('close', () => resolve());
          stream.end();
        });
      }
      if (!failed && !direct) {
        // Flushed to disk before the rename, so that a crash cannot leave an empty file in place.
        try {
          const fh = await open(tmp, 'r+');
          try {
            await fh.sync();
          } finally {
            await fh.close();
          }
          await rename(tmp, file);
        } catch (e) {
          failed = e as NodeJS.ErrnoException;
        }
      }
      if (failed) {
        if (!direct) await unlink(tmp).catch(() => undefined);
        throw fail(failed);
      }
    },
    async abort() {
      if (!stream.closed) {
        await new Promise<void>((resolve) => {
          stream.once('close', () => resolve());
          stream.destroy();
        });
      }
      if (!direct) await unlink(tmp).catch(() => undefined);
    },
  };
}

const REPORT_NAMES = new Set<string>([...Object.values(REPORT_FILES), 'scores.csv', 'index.html']);

/**
 * `evaluate --report DIR`: never inside a data folder or the model folder; an existing folder
 * only when it is empty or an earlier report (or with --force).
 */
export async function checkReportDir(dir: string, dataPaths: string[], modelDir: string, force: boolean): Promise<void> {
  const st = await stat(dir).catch(() => null);
  if (st && !st.isDirectory()) throw usage(`--report ${dir} is a file, not a folder.`);
  const out = await real(dir);
  for (const d of [modelDir, ...dataPaths]) {
    const r = await real(d);
    if (isInside(out, r)) {
      throw usage(`--report ${dir} is inside ${d === modelDir ? 'the model folder' : 'the data'} ${d}: a report there would mix its files with ${d === modelDir ? 'the model' : 'the images'}. Choose a folder of its own.`);
    }
  }
  if (!st) return;
  const entries = await readdir(dir);
  const isReport = entries.includes('index.html') && entries.every((e) => REPORT_NAMES.has(e)) && (await readFile(path.join(dir, 'index.html'), 'utf8').catch(() => '')).includes('GANomaly');
  if (entries.length && !isReport && !force) {
    throw usage(`--report ${dir} is a folder with other files in it (not an earlier report); choose a new or empty folder, or pass --force to write into it.`);
  }
}

/** The nearest folder of `p` (or above it) that exists. */
async function existingAncestor(p: string): Promise<string> {
  let d = path.resolve(p);
  for (;;) {
    const st = await stat(d).catch(() => null);
    if (st?.isDirectory()) return d;
    const up = path.dirname(d);
    if (up === d) return d;
    d = up;
  }
}

/**
 * Whether a save into `dir` could be written: a temporary folder is made and removed where the save
 * would make its own (beside `dir`, or in the nearest existing folder above it). Also returns the
 * free bytes there.
 */
export async function checkCanWrite(dir: string, flag: string): Promise<{ free: number | null; where: string }> {
  const where = await existingAncestor(path.dirname(path.resolve(dir)));
  try {
    const probe = await mkdtemp(path.join(where, '.ganomaly-write-test-'));
    await rmdir(probe);
  } catch (e) {
    if (!isSystemError(e)) throw e;
    throw usage(`${flag} ${dir} cannot be written: ${systemMessage(e)}. Choose a folder you can write to (checked before training, so that no training is lost).`);
  }
  const fs = await statfs(where).catch(() => null);
  return { free: fs ? fs.bavail * fs.bsize : null, where };
}

/**
 * An exclusive lock on an output folder: `<dir>.lock`, created at the start of `train` and removed
 * at its end; a lock of a process that is gone is taken over.
 */
export class FolderLock {
  private constructor(
    readonly file: string,
    private readonly token: string,
  ) {}

  static async take(dir: string, flag: string): Promise<FolderLock> {
    const file = `${path.resolve(dir)}.lock`;
    await mkdir(path.dirname(file), { recursive: true }).catch(() => undefined);
    const token = `${process.pid} ${Date.now()} ${Math.random().toString(36).slice(2)}`;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fh = await open(file, 'wx');
        try {
          await fh.writeFile(`${token}\n`);
        } finally {
          await fh.close();
        }
        return new FolderLock(file, token);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
          if (isSystemError(e)) throw usage(`${flag} ${dir} cannot be locked: ${systemMessage(e)}.`);
          throw e;
        }
        const held = (await readFile(file, 'utf8').catch(() => '')).trim();
        const pid = Number(held.split(' ')[0]);
        if (Number.isInteger(pid) && pid > 0 && (await isProcessAlive(pid))) {
          throw usage(`Another 'ganomaly train' (process ${pid}) is writing to ${flag} ${dir}: wait for it, or choose another ${flag}. (If no such run exists, delete ${file}.)`);
        }
        // Left by a run that was killed: take it over.
        await unlink(file).catch(() => undefined);
      }
    }
    throw usage(`${flag} ${dir}: could not take the lock ${file}.`);
  }

  /** Whether this run still holds the lock (checked again before the model is saved). */
  async held(): Promise<boolean> {
    return (await readFile(this.file, 'utf8').catch(() => '')).trim() === this.token;
  }

  async release(): Promise<void> {
    if (await this.held()) await rm(this.file, { force: true });
  }
}
