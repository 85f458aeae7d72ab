/**
 * Registers tfjs's WebGL backend with @ganomaly. It needs a browser (a WebGL2 or WebGL1 context);
 * in Node it is reported as unavailable and `useBackend('auto')` moves on. The backend package
 * (`@tensorflow/tfjs-backend-webgl`, an optional peer) is imported when the backend is selected.
 *
 * Numerics: on GPUs without 32-bit float textures WebGL computes in float16, so results can differ
 * from cpu by about 1e-3 relative; the browser conformance suite states its tolerances.
 */
import { registerBackendCandidate } from '@ganomaly/common';

export const WEBGL_PRIORITY = 25;

/** Whether this environment can make a WebGL context (without importing tfjs's backend). */
export function hasWebGL(): boolean {
  const doc = (globalThis as { document?: { createElement(tag: 'canvas'): { getContext(kind: string): unknown } } }).document;
  if (typeof OffscreenCanvas !== 'undefined') {
    try {
      if (new OffscreenCanvas(1, 1).getContext('webgl2') || new OffscreenCanvas(1, 1).getContext('webgl')) return true;
    } catch {
      /* fall through */
    }
  }
  if (!doc) return false;
  const canvas = doc.createElement('canvas');
  return !!(canvas.getContext('webgl2') || canvas.getContext('webgl'));
}

registerBackendCandidate({
  name: 'webgl',
  priority: WEBGL_PRIORITY,
  load: async () => {
    if (!hasWebGL()) {
      throw new Error('WebGL is not available here (it needs a browser with WebGL enabled); use wasm or cpu in Node.');
    }
    await import('@tensorflow/tfjs-backend-webgl');
  },
});
