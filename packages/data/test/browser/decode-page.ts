// The page of browser-decode.test.ts: decodes what the test hands it with the browser build's
// decoder (createImageBitmap + OffscreenCanvas), in the page and in a Web Worker.
import { decodeImageAsync } from '../../src/index.browser.ts';

type Result = { width: number; height: number; channels: number; pixels: number[] } | { error: string; name: string };

async function decode(bytes: Uint8Array, options: Record<string, unknown>): Promise<Result> {
  try {
    const d = await decodeImageAsync(bytes, options);
    return { width: d.width, height: d.height, channels: d.channels, pixels: Array.from(d.pixels) };
  } catch (e) {
    return { error: (e as Error).message, name: (e as Error).name };
  }
}

const w = window as unknown as Record<string, unknown>;
w.__decode = (b64: string, options: Record<string, unknown> = {}) => decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)), options);
w.__decodeInWorker = (b64: string) =>
  new Promise<Result>((resolve) => {
    const worker = new Worker(new URL('./decode-worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e) => {
      resolve(e.data as Result);
      worker.terminate();
    };
    worker.postMessage(b64);
  });
w.__ready = true;
