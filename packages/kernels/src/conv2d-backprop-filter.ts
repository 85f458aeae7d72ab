// Conv2DBackpropFilter (the filter gradient of a convolution) as a forward convolution over
// transposed tensors, or as one matrix product for few input channels.
import * as tf from '@tensorflow/tfjs-core';
import { backend_util, type KernelBackend, type KernelConfig, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import { FEW_CHANNELS, HOST_MEMORY, conv2DInfo, replaceKernel, run } from './kernel-utils.js';

/**
 * Conv2DBackpropFilter computed as a forward convolution over transposed tensors, so that it runs
 * on whatever fast Conv2D kernel a backend has (XNNPACK on wasm) instead of JavaScript loops:
 *
 *   dW[kh,kw,ci,co] = sum_{n,oh,ow} x[n, oh*s+kh-pt, ow*s+kw-pl, ci] * dy[n,oh,ow,co]
 *
 * Read x as a batch of `ci` images with `n` channels ([ci,H,W,n]) and dy as a filter of size
 * oh x ow from `n` to `co` channels ([oh,ow,n,co]), dilated by the stride: a stride-1 convolution
 * with the forward pass's padding gives [ci,kh,kw,co] (cropped to kh x kw when the forward pass
 * dropped trailing rows), and a transpose gives dW.
 *
 * Built from the backend's own Transpose, Conv2D and Slice kernels (called as kernels, not ops,
 * so nothing is recorded on a gradient tape and intermediates are freed at once).
 */
export function makeConv2DBackpropFilterKernel(backendName: string, fallback?: KernelConfig): KernelConfig {
  return {
    kernelName: tf.Conv2DBackpropFilter,
    backendName,
    setupFunc: fallback?.setupFunc,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
      if (dataFormat === 'NCHW') {
        if (fallback) return fallback.kernelFunc({ inputs, backend, attrs: attrs as NamedAttrMap });
        throw new Error(`Conv2DBackpropFilter on '${backendName}' supports NHWC data only (tfjs-layers' default), but got NCHW.`);
      }
      const info = conv2DInfo(x.shape, filterShape, { strides, pad, dimRoundingMode, dataFormat });
      if (HOST_MEMORY.has(backendName) && info.inChannels < FEW_CHANNELS) return conv2DBackpropFilterViaMatMul(backend as KernelBackend, x, dy, info);
      return conv2DBackpropFilterViaConv(backend as KernelBackend, x, dy, info);
    },
  };
}

/**
 * The filter gradient as one matrix product: the patches of x, laid out in JavaScript as
 * P^T [kh*kw*ci, n*oh*ow] (zeros where a patch crosses the padding), times dy [n*oh*ow, co], gives
 * dW [kh*kw*ci, co]. Used for few input channels (the first layer), where the patches are small
 * (kh*kw*ci values per output pixel) and the convolution form's "batch of ci images" is too thin.
 * The operands are laid out so that the product needs no transposed operand (tfjs-wasm's
 * BatchMatMul runs on XNNPACK only without transposes: 2 GFLOP/s with, 20 to 50 without).
 */
export function conv2DBackpropFilterViaMatMul(backend: KernelBackend, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, padInfo, inHeight: H, inWidth: W, inChannels: ci, outChannels: co } = info;
  const [n, oh, ow] = dy.shape;
  const xs = backend.readSync(x.dataId) as Float32Array;
  const P = n * oh * ow;
  const K = kh * kw * ci;
  const pt = new Float32Array(K * P);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const p = (b * oh + oy) * ow + ox;
        for (let ky = 0; ky < kh; ky++) {
          const y = oy * sh + ky - padInfo.top;
          if (y < 0 || y >= H) continue;
          for (let kx = 0; kx < kw; kx++) {
            const xx = ox * sw + kx - padInfo.left;
            if (xx < 0 || xx >= W) continue;
            const src = ((b * H + y) * W + xx) * ci;
            const row = (ky * kw + kx) * ci;
            for (let c = 0; c < ci; c++) pt[(row + c) * P + p] = xs[src + c];
          }
        }
      }
    }
  }
  const temps: TensorInfo[] = [];
  const keep = (t: TensorInfo) => (temps.push(t), t);
  try {
    const a = keep({ dataId: backend.write(pt, [1, K, P], 'float32'), shape: [1, K, P], dtype: 'float32' });
    const b = keep(run(tf.Reshape, backend, { x: dy }, { shape: [1, P, co] }));
    const prod = keep(run(tf.BatchMatMul, backend, { a, b }, { transposeA: false, transposeB: false })); // [1, K, co]
    return run(tf.Reshape, backend, { x: prod }, { shape: [kh, kw, ci, co] });
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

export function conv2DBackpropFilterViaConv(
  backend: KernelBackend,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, padInfo } = info;
  const [, inH, inW] = x.shape;
  const [, outH, outW] = dy.shape;
  const xT = run(tf.Transpose, backend, { x }, { perm: [3, 1, 2, 0] }); // [ci, H, W, n]
  const dyT = run(tf.Transpose, backend, { x: dy }, { perm: [1, 2, 0, 3] }); // [oh, ow, n, co]
  // Bottom/right padding that makes the output exactly kh x kw; never more than the forward pass had.
  const padBottom = Math.max(0, kh + (outH - 1) * sh - inH - padInfo.top);
  const padRight = Math.max(0, kw + (outW - 1) * sw - inW - padInfo.left);
  const conv = run(tf.Conv2D, backend, { x: xT, filter: dyT }, {
    strides: [1, 1],
    pad: [[0, 0], [padInfo.top, padBottom], [padInfo.left, padRight], [0, 0]],
    dataFormat: 'NHWC',
    dilations: [sh, sw],
    dimRoundingMode: undefined,
  }); // [ci, >=kh, >=kw, co]
  backend.disposeData(xT.dataId);
  backend.disposeData(dyT.dataId);
  let cropped = conv;
  if (conv.shape[1] !== kh || conv.shape[2] !== kw) {
    cropped = run(tf.Slice, backend, { x: conv }, { begin: [0, 0, 0, 0], size: [conv.shape[0], kh, kw, conv.shape[3]] });
    backend.disposeData(conv.dataId);
  }
  const dW = run(tf.Transpose, backend, { x: cropped }, { perm: [1, 2, 0, 3] }); // [kh, kw, ci, co]
  backend.disposeData(cropped.dataId);
  return dW;
}

/**
 * Registers the fast filter gradient for a backend. With `replace`, an existing kernel is swapped
 * out (the cpu backend's own takes seconds per call); without it, the kernel is only added where
 * the backend lacks one, so a future tfjs release that ships its own keeps it. Returns whether a
 * kernel was registered.
 */
export function registerFastConvFilterGradient(backendName: string, options: { replace?: boolean } = {}): boolean {
  if (tf.getKernel(tf.Conv2DBackpropFilter, backendName) && !options.replace) return false;
  return replaceKernel(tf.Conv2DBackpropFilter, backendName, (existing) => makeConv2DBackpropFilterKernel(backendName, existing).kernelFunc);
}
