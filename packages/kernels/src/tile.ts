// Tile by block copies over the wasm heap.
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { replaceKernel, type HeapBackend } from './kernel-utils.js';

/**
 * Tile by block copies (TypedArray.set), innermost axis first. The wasm backend's Tile computes an
 * index per element and took about 20 ms for a [1,1,1,64] -> [64,8,8,64] broadcast in BatchNorm's
 * gradient, more than the convolutions around it; block copies take well under a millisecond.
 */
export function tileByBlocks<T extends Float32Array | Int32Array | Uint8Array>(src: T, shape: readonly number[], reps: readonly number[]): T {
  let cur: T = src;
  const dims = [...shape];
  for (let d = dims.length - 1; d >= 0; d--) {
    const r = reps[d];
    if (r === 1) continue;
    const slab = dims.slice(d).reduce((a, b) => a * b, 1);
    const outer = cur.length / slab;
    const next = new (cur.constructor as new (n: number) => T)(cur.length * r);
    for (let o = 0; o < outer; o++) {
      const block = cur.subarray(o * slab, (o + 1) * slab);
      for (let k = 0; k < r; k++) next.set(block, (o * r + k) * slab);
    }
    cur = next;
    dims[d] *= r;
  }
  return cur;
}

/** Registers the block-copy Tile for a backend whose tensors live on a wasm heap, in place of its own. */
export function registerFastTile(backendName: string): boolean {
  return replaceKernel(tf.Tile, backendName, (existing) => ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: TensorInfo };
    const { reps } = attrs as unknown as tf.TileAttrs;
    const b = backend as unknown as HeapBackend;
    if (x.dtype === 'string' || x.dtype === 'complex64' || typeof b.typedArrayFromHeap !== 'function') {
      return existing!.kernelFunc({ inputs, backend, attrs: attrs as NamedAttrMap });
    }
    const out = b.makeOutput(x.shape.map((s, i) => s * reps[i]), x.dtype);
    b.typedArrayFromHeap(out).set(tileByBlocks(b.typedArrayFromHeap(x), x.shape, reps));
    return out;
  });
}
