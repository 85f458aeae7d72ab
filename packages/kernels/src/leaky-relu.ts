// LeakyRelu and its gradient as single JavaScript passes over the wasm heap.
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { replaceKernel, type HeapBackend } from './kernel-utils.js';

/** The kernel behind the LeakyRelu gradient registered by `registerFastLeakyRelu` (this library's own name). */
export const LEAKY_RELU_GRAD = 'GanomalyLeakyReluGrad';

let leakyReluGradientInstalled = false;

/**
 * LeakyRelu and its gradient as single JavaScript passes over the wasm heap. The wasm backend's
 * LeakyRelu is a scalar loop (about 3 ms for a [64,16,16,64] tensor), and tfjs computes the
 * gradient with three kernels (Greater, Multiply, Select: about 5 ms at that size); one pass each
 * takes about 1 ms. Same float32 results bit for bit: alpha is rounded to float32 as tfjs's
 * kernels do, and a single float32 product rounds the same in JavaScript.
 *
 * The gradient is tfjs-core's own gradient of LeakyRelu, re-registered: it runs this kernel on
 * backends that have it and tfjs's exact formula (`where(x > 0, dy, dy * alpha)`) elsewhere.
 * Returns whether the forward kernel was registered.
 */
export function registerFastLeakyRelu(backendName: string): boolean {
  const registered = replaceKernel(tf.LeakyRelu, backendName, (existing) => ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: TensorInfo };
    const b = backend as unknown as HeapBackend;
    if (x.dtype !== 'float32' || typeof b.typedArrayFromHeap !== 'function') return existing!.kernelFunc({ inputs, backend, attrs });
    const alpha = Math.fround((attrs as unknown as tf.LeakyReluAttrs).alpha);
    const out = b.makeOutput([...x.shape], 'float32');
    const src = b.typedArrayFromHeap(x) as Float32Array;
    const dst = b.typedArrayFromHeap(out) as Float32Array;
    // Branch-free on the sign bit (half the activations are negative: a branch mispredicts half
    // the time, 7 ns per value against 1): sign 0 -> v * 1, sign 1 -> v * alpha. The same as
    // tfjs's `v < 0 ? alpha * v : v` for every float32, -0 and NaN included.
    const bits = new Int32Array(src.buffer, src.byteOffset, src.length);
    const factor = new Float32Array([1, alpha]);
    for (let i = 0; i < src.length; i++) dst[i] = src[i]! * factor[bits[i]! >>> 31]!;
    return out;
  });
  if (!registered) return false;
  if (!tf.getKernel(LEAKY_RELU_GRAD, backendName)) {
    tf.registerKernel({
      kernelName: LEAKY_RELU_GRAD,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
        const b = backend as unknown as HeapBackend;
        const alpha = Math.fround((attrs as unknown as { alpha: number }).alpha);
        const out = b.makeOutput([...x.shape], 'float32');
        const xs = b.typedArrayFromHeap(x) as Float32Array;
        const g = b.typedArrayFromHeap(dy) as Float32Array;
        const dst = b.typedArrayFromHeap(out) as Float32Array;
        // x > 0 ? dy : dy * alpha, from the sign bit (see the forward kernel); +0 and positive NaN,
        // where x > 0 is false with a clear sign bit, take the rare (well predicted) branch.
        const bits = new Int32Array(xs.buffer, xs.byteOffset, xs.length);
        const factor = new Float32Array([1, alpha]);
        for (let i = 0; i < xs.length; i++) {
          const v = bits[i]!;
          const f = v === 0 || v > 0x7f800000 ? alpha : factor[v >>> 31]!;
          dst[i] = g[i]! * f;
        }
        return out;
      },
    });
  }
  installLeakyReluGradient();
  return true;
}

/** Re-registers tfjs-core's LeakyRelu gradient so that it uses LEAKY_RELU_GRAD where a backend has it. Once. */
function installLeakyReluGradient(): void {
  if (leakyReluGradientInstalled) return;
  leakyReluGradientInstalled = true;
  tf.registerGradient({
    kernelName: tf.LeakyRelu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as tf.Tensor[];
      const { alpha } = attrs as unknown as tf.LeakyReluAttrs;
      return {
        x: () => {
          const grad = dy as tf.Tensor;
          if (grad.dtype === 'float32' && x!.dtype === 'float32' && tf.getKernel(LEAKY_RELU_GRAD, tf.getBackend())) {
            return tf.engine().runKernel(LEAKY_RELU_GRAD, { dy: grad, x: x! }, { alpha } as unknown as NamedAttrMap) as tf.Tensor;
          }
          // tfjs-core's own gradient (gradients/LeakyRelu_grad.ts).
          return tf.where(tf.greater(x!, 0), grad, tf.mul(grad, alpha));
        },
      };
    },
  });
}
