import * as tf from '@tensorflow/tfjs-core';
import { backend_util, type KernelBackend, type KernelConfig, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';

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
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
      if (dataFormat === 'NCHW' && fallback) {
        return fallback.kernelFunc({ inputs, backend, attrs: attrs as NamedAttrMap });
      }
      const info = backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        filterShape as [number, number, number, number],
        strides,
        1,
        pad,
        dimRoundingMode,
        false,
        backend_util.convertConv2DDataFormat(dataFormat),
      );
      return conv2DBackpropFilterViaConv(backend as KernelBackend, x, dy, info);
    },
  };
}

function run(name: string, backend: KernelBackend, inputs: Record<string, TensorInfo>, attrs: object): TensorInfo {
  const k = tf.getKernel(name, tf.getBackend());
  if (!k) throw new Error(`Kernel '${name}' is not registered for backend '${tf.getBackend()}'.`);
  return k.kernelFunc({ inputs, backend, attrs: attrs as NamedAttrMap }) as TensorInfo;
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
  const existing = tf.getKernel(tf.Conv2DBackpropFilter, backendName);
  if (existing && !options.replace) return false;
  if (existing && (existing as KernelConfig & { ganomaly?: boolean }).ganomaly) return false;
  if (existing) tf.unregisterKernel(tf.Conv2DBackpropFilter, backendName);
  const config = makeConv2DBackpropFilterKernel(backendName, existing);
  (config as KernelConfig & { ganomaly?: boolean }).ganomaly = true;
  tf.registerKernel(config);
  return true;
}
