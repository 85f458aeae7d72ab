/**
 * `@ganomaly/core/base` in browsers (the `browser` condition of its `exports`): the API of
 * @ganomaly/core without registering any backend, and without the Node-only parts: the `file://`
 * handler, data-parallel training (`fit({ workers > 1 })` is a ValueError, as on any runtime
 * without worker_threads) and `ScoringPool`, which throw an error that says they need Node. Save
 * and load with `indexeddb://`, `localstorage://`, `downloads://` and `http(s)://` instead.
 */
import { GanomalyError } from '@ganomaly/common';
import type { ScoringPool as NodeScoringPool } from './parallel.js';

export * from './api.js';

const nodeOnly = (what: string) =>
  new GanomalyError(`${what} needs Node: it is not part of the browser build of @ganomaly/core (bundlers pick that build for browsers).`);

/** Node only: the `file://` handler. In browsers use `indexeddb://`, `downloads://` or `http(s)://`. */
export function fileHandler(_url: string, _fn: string): never {
  throw nodeOnly("The 'file://' handler (fileHandler)");
}

/** Node only: the metadata of a model folder. */
export async function readModelMetadata(_dir: string): Promise<never> {
  throw nodeOnly('readModelMetadata');
}

/** Node only: puts right what an interrupted `file://` save left behind. */
export async function recoverInterruptedSave(_dir: string): Promise<never> {
  throw nodeOnly('recoverInterruptedSave');
}

/** Node only: whether a process is still running. */
export async function isProcessAlive(_pid: number): Promise<boolean> {
  throw nodeOnly('isProcessAlive');
}

/** Node only: whether a folder holds a saved model. */
export async function isModelFolder(_dir: string): Promise<boolean> {
  throw nodeOnly('isModelFolder');
}

/** Node only (worker_threads): in a browser, score in the page or in a Web Worker of your own. */
export class ScoringPool {
  private constructor() {}
  static async create(..._args: Parameters<typeof NodeScoringPool.create>): Promise<NodeScoringPool> {
    throw nodeOnly('ScoringPool (worker_threads)');
  }
}
