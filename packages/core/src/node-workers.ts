// Starting this package's worker_threads (Node only): the scoring workers of ScoringPool and the
// training workers of data-parallel `fit`. One bootstrap for both: the script is found beside this
// module in dist/ (from the TypeScript sources, as in tests, the built one), each worker starts
// with a clean execArgv and its workerData, and counts as started when it posts `{ ready: true }`;
// if any fails to start, all are stopped and the error says which way it failed.
// node: modules are imported when called, never at load time.

type Worker = import('node:worker_threads').Worker;

export interface StartWorkersOptions {
  /** The worker's file in dist/, e.g. 'train-worker.js'. */
  script: string;
  count: number;
  workerData: unknown;
  /** For messages: 'training' or 'scoring'. */
  kind: string;
  /** Why the workers are needed, for the message when the build is missing. */
  purpose: string;
}

/** Starts `count` workers of `script` and resolves once every one has posted `{ ready: true }`. */
export async function startWorkers(options: StartWorkersOptions): Promise<Worker[]> {
  const { script, count, workerData, kind, purpose } = options;
  const { Worker } = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:worker_threads');
  const { existsSync } = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:fs');
  // From dist: the worker beside this module. From the TypeScript sources (tests, tsx): the built one.
  let url = new URL(`./${script}`, import.meta.url);
  if (!existsSync(url) && /\/src\/node-workers\.ts$/.test(import.meta.url)) url = new URL(`../dist/${script}`, import.meta.url);
  if (!existsSync(url)) {
    throw new Error(`${purpose} runs its workers from the built package (${url.pathname} is missing): build it with 'npm run build'.`);
  }
  const started: Worker[] = [];
  try {
    return await Promise.all(
      Array.from({ length: count }, () => {
        // execArgv: [] so that flags of the parent (e.g. --input-type for node -e) do not break the worker.
        const w = new Worker(url, { workerData, execArgv: [] });
        started.push(w);
        return new Promise<Worker>((resolve, reject) => {
          const onExit = (code: number) => reject(new Error(`A ${kind} worker exited (code ${code}) while starting.`));
          w.once('exit', onExit);
          w.once('error', (e) => reject(new Error(`A ${kind} worker failed to start: ${e.message}`)));
          w.once('message', (m: { ready?: boolean; error?: string }) => {
            w.off('exit', onExit);
            if (m?.ready) resolve(w);
            else reject(new Error(`A ${kind} worker failed to start: ${m?.error ?? 'no ready message'}`));
          });
        });
      }),
    );
  } catch (e) {
    await Promise.all(started.map((w) => w.terminate()));
    throw e;
  }
}
