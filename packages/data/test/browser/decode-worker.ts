// A Web Worker that decodes with the browser build (OffscreenCanvas is there in workers too).
import { decodeImageAsync } from '../../src/index.browser.ts';

self.onmessage = async (e: MessageEvent<string>) => {
  try {
    const d = await decodeImageAsync(Uint8Array.from(atob(e.data), (c) => c.charCodeAt(0)));
    self.postMessage({ width: d.width, height: d.height, channels: d.channels, pixels: Array.from(d.pixels) });
  } catch (err) {
    self.postMessage({ error: (err as Error).message, name: (err as Error).name });
  }
};
