// Conv2DBackpropFilter on tfjs-node's `tensorflow` backend: one MatMul of the patches of x and dy
// where that measured faster than tfjs-node's own kernel (dense layers), its own kernel elsewhere.
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, TensorInfo, backend_util } from '@tensorflow/tfjs-core';
import { replaceKernel } from './kernel-utils.js';
import { conv2DInfo } from './kernel-utils.js';
import { TENSORFLOW_FORMS, isDense, matMul, reshape, typeAttr, type TFBackend } from './tensorflow-ops.js';

/**
 * dW = patches(x)^T dy: the patches of x, [n*oh*ow, kh*kw*ci] (ExtractImagePatches with the
 * forward pass's padding, or x itself for a dense layer), times dy [n*oh*ow, co].
 */
export function conv2DBackpropFilterViaPatches(backend: TFBackend, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): tf.Tensor | null {
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co, padInfo } = info;
  const [n, oh, ow] = dy.shape;
  const temps: tf.Tensor[] = [];
  const keep = (t: tf.Tensor) => (temps.push(t), t);
  try {
    let patches: TensorInfo;
    if (isDense(info)) {
      patches = x;
    } else {
      if (padInfo.type !== 'SAME' && padInfo.type !== 'VALID') return null;
      patches = keep(
        backend.executeSingleOutput(
          'ExtractImagePatches',
          [
            { name: 'ksizes', type: backend.binding.TF_ATTR_INT, value: [1, kh, kw, 1] },
            { name: 'strides', type: backend.binding.TF_ATTR_INT, value: [1, sh, sw, 1] },
            { name: 'rates', type: backend.binding.TF_ATTR_INT, value: [1, 1, 1, 1] },
            { name: 'padding', type: backend.binding.TF_ATTR_STRING, value: padInfo.type },
            typeAttr(backend, 'T', 'float32'),
          ],
          [x],
        ),
      );
    }
    const p = keep(reshape(backend, patches, [n * oh * ow, kh * kw * ci]));
    const d = keep(reshape(backend, dy, [n * oh * ow, co]));
    const prod = keep(matMul(backend, p, d, true, false)); // [kh*kw*ci, co]
    return reshape(backend, prod, [kh, kw, ci, co]);
  } finally {
    for (const t of temps) t.dispose();
  }
}

/**
 * Which shapes take the patch form of the filter gradient: dense layers (2.1x TensorFlow's own
 * kernel on [64,4,4,256] -> 1x1x100, 1.6x for the discriminator's 1x1x1 output). For the other
 * layers of the step it measured slower than TensorFlow's own (0.3x to 0.9x: ExtractImagePatches
 * costs more than the product), and so did a forward convolution over transposed tensors (0.8x:
 * TensorFlow's dilated convolutions are slow), so they keep TensorFlow's kernel.
 */
export function filterGradientUsesPatches(info: backend_util.Conv2DInfo): boolean {
  return (TENSORFLOW_FORMS.dense && isDense(info)) || info.outHeight * info.outWidth <= TENSORFLOW_FORMS.patchMaxOutputPixels;
}

/** Registers the form above on 'tensorflow' in place of tfjs-node's own, which stays the fallback. */
export function registerTensorflowConvFilterGradient(backendName = 'tensorflow'): boolean {
  return replaceKernel(tf.Conv2DBackpropFilter, backendName, (own) => (args) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    if (attrs.dataFormat !== 'NCHW' && x.dtype === 'float32') {
      const info = conv2DInfo(x.shape, attrs.filterShape, attrs);
      if (filterGradientUsesPatches(info)) {
        const out = conv2DBackpropFilterViaPatches(args.backend as unknown as TFBackend, x, dy, info);
        if (out) return out;
      }
    }
    if (!own) throw new Error(`Conv2DBackpropFilter: backend '${backendName}' has no kernel of its own for this case.`);
    return own.kernelFunc({ ...args, attrs: args.attrs as NamedAttrMap });
  });
}
