// What the browser build of @ganomaly/data (index.browser.ts) has in place of the Node-only
// functions: the same names, throwing an error that says where to go instead.
import { GanomalyError } from '@ganomaly/common';

const nodeOnly = (fn: string, instead: string) =>
  new GanomalyError(`'${fn}' needs Node (it reads files with node:fs) and is not part of the browser build of @ganomaly/data; ${instead}`);
const FETCH = "fetch the file's bytes and decode them with 'await decodeImageAsync(bytes)'.";
const PARSE = 'fetch the files and parse them with parseMnist / parseCifar10.';

/**
 * Node only: decodes with pngjs and jpeg-js, which need Node's zlib and streams. In browsers use
 * `await decodeImageAsync(bytes)` (the browser's own decoders).
 */
export function decodeImage(_bytes: Uint8Array, _options?: { maxPixels?: number; file?: string }): never {
  throw new GanomalyError("'decodeImage' decodes with pngjs and jpeg-js, which need Node; in browsers use 'await decodeImageAsync(bytes)', which decodes with the browser's own decoders.");
}
/** Nothing to load in browsers: `decodeImageAsync` uses the browser's decoders. */
export async function loadImageDecoders(): Promise<void> {}
export async function loadMnist(..._args: unknown[]): Promise<never> {
  throw nodeOnly('loadMnist', PARSE);
}
export async function loadCifar10(..._args: unknown[]): Promise<never> {
  throw nodeOnly('loadCifar10', PARSE);
}
export async function findMnist(..._args: unknown[]): Promise<never> {
  throw nodeOnly('findMnist', PARSE);
}
export async function listImageFiles(..._args: unknown[]): Promise<never> {
  throw nodeOnly('listImageFiles', FETCH);
}
export async function loadImageFiles(..._args: unknown[]): Promise<never> {
  throw nodeOnly('loadImageFiles', FETCH);
}
export async function loadImageFolder(..._args: unknown[]): Promise<never> {
  throw nodeOnly('loadImageFolder', FETCH);
}
export async function detectChannels(..._args: unknown[]): Promise<never> {
  throw nodeOnly('detectChannels', FETCH);
}
export async function loadFolderDataset(..._args: unknown[]): Promise<never> {
  throw nodeOnly('loadFolderDataset', FETCH);
}
export async function isFolderDataset(..._args: unknown[]): Promise<never> {
  throw nodeOnly('isFolderDataset', FETCH);
}
/** pngjs needs Node's util, stream and zlib: browsers decode with `decodeImageAsync` instead. */
export async function loadPngjs(): Promise<never> {
  throw new GanomalyError("'loadPngjs' loads pngjs, which needs Node's util, stream and zlib, and is not part of the browser build of @ganomaly/data; in browsers decode with 'await decodeImageAsync(bytes)'.");
}
