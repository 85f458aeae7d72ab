// Conv2DBackpropInput on tfjs-node's `tensorflow` backend: one MatMul for dense layers, the
// sub-pixel form for k4 s2 layers with few input channels (the decoder's last), where those
// measured faster than tfjs-node's own kernel; its own kernel elsewhere.
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, TensorInfo, backend_util } from '@tensorflow/tfjs-core';
import { replaceKernel } from './kernel-utils.js';
import { conv2DInfo } from './kernel-utils.js';
import { TENSORFLOW_FORMS, isDense, matMul, reshape, typeAttr, type TFBackend } from './tensorflow-ops.js';

/** dx = dy W^T for a dense layer in conv form (dy 1x1, the filter covering the whole input). */
export function conv2DBackpropInputDense(backend: TFBackend, dy: TensorInfo, filter: TensorInfo, info: backend_util.Conv2DInfo): tf.Tensor {
  const { filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co } = info;
  const n = dy.shape[0];
  const temps: tf.Tensor[] = [];
  const keep = (t: tf.Tensor) => (temps.push(t), t);
  try {
    const d = keep(reshape(backend, dy, [n, co]));
    const w = keep(reshape(backend, filter, [kh * kw * ci, co]));
    const prod = keep(matMul(backend, d, w, false, true)); // [n, kh*kw*ci]
    return reshape(backend, prod, [n, kh, kw, ci]);
  } finally {
    for (const t of temps) t.dispose();
  }
}

/**
 * The input gradient of a k4 s2 'same' convolution (the decoder's transposed convolutions) in
 * sub-pixel form: output row i = 2q + r meets dy rows q-1, q, q+1 through the filter taps
 * (r = 0: k = 3, 1, -; r = 1: k = -, 2, 0), likewise for columns, so one stride-1 3x3 'same'
 * convolution of dy with a filter [3, 3, co, 4*ci] assembled from W (zeros for the missing taps)
 * gives the four phases as channels, and DepthToSpace(2) interleaves them into dx. It does 9/4
 * of the direct form's multiplications, but as one dense convolution: it pays where ci is small
 * (the last layer, 64 -> 1 channel, where TensorFlow's own kernel runs at about 5 GFLOP/s).
 * Null for any other shape.
 */
export function conv2DBackpropInputSubPixel(backend: TFBackend, dy: TensorInfo, filter: TensorInfo, info: backend_util.Conv2DInfo): tf.Tensor | null {
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, padInfo, inHeight, inWidth, inChannels: ci, outChannels: co } = info;
  const [, oh, ow] = dy.shape;
  if (kh !== 4 || kw !== 4 || sh !== 2 || sw !== 2 || inHeight !== 2 * oh || inWidth !== 2 * ow) return null;
  if (padInfo.top !== 1 || padInfo.bottom !== 1 || padInfo.left !== 1 || padInfo.right !== 1) return null;
  const w = (backend as unknown as { readSync(id: unknown): Float32Array }).readSync(filter.dataId);
  // Tap of window position m for phase r (-1: none).
  const TAP = [
    [3, 1, -1],
    [-1, 2, 0],
  ];
  const oc = 4 * ci;
  const f = new Float32Array(9 * co * oc);
  for (let my = 0; my < 3; my++) {
    for (let mx = 0; mx < 3; mx++) {
      for (let ry = 0; ry < 2; ry++) {
        const ky = TAP[ry][my];
        if (ky < 0) continue;
        for (let rx = 0; rx < 2; rx++) {
          const kx = TAP[rx][mx];
          if (kx < 0) continue;
          for (let c = 0; c < ci; c++) {
            const src = ((ky * 4 + kx) * ci + c) * co;
            const dst = (my * 3 + mx) * co * oc + (ry * 2 + rx) * ci + c;
            for (let o = 0; o < co; o++) f[dst + o * oc] = w[src + o];
          }
        }
      }
    }
  }
  const temps: tf.Tensor[] = [];
  try {
    const ft = tf.tensor4d(f, [3, 3, co, oc]);
    temps.push(ft);
    const phases = backend.executeSingleOutput(
      'Conv2D',
      [
        typeAttr(backend, 'T', 'float32'),
        { name: 'strides', type: backend.binding.TF_ATTR_INT, value: [1, 1, 1, 1] },
        { name: 'padding', type: backend.binding.TF_ATTR_STRING, value: 'SAME' },
        { name: 'data_format', type: backend.binding.TF_ATTR_STRING, value: 'NHWC' },
        { name: 'use_cudnn_on_gpu', type: backend.binding.TF_ATTR_BOOL, value: true },
        { name: 'dilations', type: backend.binding.TF_ATTR_INT, value: [1, 1, 1, 1] },
      ],
      [dy, ft],
    ); // [n, oh, ow, 4*ci]
    temps.push(phases);
    return backend.executeSingleOutput(
      'DepthToSpace',
      [
        typeAttr(backend, 'T', 'float32'),
        { name: 'block_size', type: backend.binding.TF_ATTR_INT, value: 2 },
        { name: 'data_format', type: backend.binding.TF_ATTR_STRING, value: 'NHWC' },
      ],
      [phases],
    );
  } finally {
    for (const t of temps) t.dispose();
  }
}

/** Registers the forms above on 'tensorflow' in place of tfjs-node's own, which stays the fallback. */
export function registerTensorflowConvInputGradient(backendName = 'tensorflow'): boolean {
  return replaceKernel(tf.Conv2DBackpropInput, backendName, (own) => (args) => {
    const { dy, filter: w } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    if (attrs.dataFormat !== 'NCHW' && dy.dtype === 'float32') {
      const info = conv2DInfo(attrs.inputShape, w.shape, attrs);
      if (TENSORFLOW_FORMS.dense && isDense(info)) return conv2DBackpropInputDense(args.backend as unknown as TFBackend, dy, w, info);
      if (info.inChannels <= TENSORFLOW_FORMS.subPixelMaxInChannels) {
        const out = conv2DBackpropInputSubPixel(args.backend as unknown as TFBackend, dy, w, info);
        if (out) return out;
      }
    }
    if (!own) throw new Error(`Conv2DBackpropInput: backend '${backendName}' has no kernel of its own for this case.`);
    return own.kernelFunc({ ...args, attrs: args.attrs as NamedAttrMap });
  });
}
