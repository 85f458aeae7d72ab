// What the tensorflow-backend kernels of this package share: the parts of tfjs-node's
// NodeJSKernelBackend they call (native TensorFlow ops through its eager executeSingleOutput), a
// few ops built on it, and the switches that decide which forms are used (TENSORFLOW_FORMS).
//
// Measured with bench/tf-kernels.mjs on the shapes of a GANomaly step (batch 64, 32x32x1,
// widths 64): where dy is 1x1 (the layers next to the latent vector, dense layers in conv form)
// tfjs-node's own Conv2DBackpropFilter and Conv2DBackpropInput run at about 10 GFLOP/s, and one
// MatMul does the same work 1.6x to 3.4x faster; on the decoder's last layer (64 -> 1 channel) its
// input gradient runs at about 5 GFLOP/s, and the sub-pixel form is 1.7x faster. Each form is
// used only for the shapes where it measured faster; tfjs-node's own kernel keeps every other case.
//
// The outputs of executeSingleOutput are engine Tensors: every intermediate is disposed.
import * as tf from '@tensorflow/tfjs-core';
import { backend_util, type TensorInfo } from '@tensorflow/tfjs-core';

/** The parts of tfjs-node's NodeJSKernelBackend these kernels use (structural: no import of tfjs-node). */
export interface TFBackend {
  binding: { TF_ATTR_INT: number; TF_ATTR_STRING: number; TF_ATTR_BOOL: number; TF_ATTR_TYPE: number; TF_FLOAT: number; TF_INT32: number };
  executeSingleOutput(name: string, attrs: { name: string; type: number; value: unknown }[], inputs: TensorInfo[]): tf.Tensor;
}

export function typeAttr(b: TFBackend, name: string, dtype: 'float32' | 'int32') {
  return { name, type: b.binding.TF_ATTR_TYPE, value: dtype === 'float32' ? b.binding.TF_FLOAT : b.binding.TF_INT32 };
}

export function reshape(b: TFBackend, x: TensorInfo, shape: number[]): tf.Tensor {
  const s = tf.tensor1d(shape, 'int32');
  try {
    return b.executeSingleOutput('Reshape', [typeAttr(b, 'T', 'float32'), typeAttr(b, 'Tshape', 'int32')], [x, s]);
  } finally {
    s.dispose();
  }
}

export function matMul(b: TFBackend, a: TensorInfo, c: TensorInfo, transposeA: boolean, transposeB: boolean): tf.Tensor {
  return b.executeSingleOutput(
    'MatMul',
    [
      { name: 'transpose_a', type: b.binding.TF_ATTR_BOOL, value: transposeA },
      { name: 'transpose_b', type: b.binding.TF_ATTR_BOOL, value: transposeB },
      typeAttr(b, 'T', 'float32'),
    ],
    [a, c],
  );
}

/** Whether dy is 1x1 and the filter covers the whole unpadded input (a dense layer in conv form). */
export function isDense(info: backend_util.Conv2DInfo): boolean {
  return info.outHeight === 1 && info.outWidth === 1 && info.padInfo.top === 0 && info.padInfo.left === 0 && info.filterHeight === info.inHeight && info.filterWidth === info.inWidth;
}

/**
 * The selection above, changeable for measuring (bench/tf-kernels.mjs): `dense` the matrix-product
 * forms of dense layers, `patchMaxOutputPixels` the largest oh*ow of dy that takes the patch form
 * of the filter gradient (0: none), `subPixelMaxInChannels` the most input channels (ci) for which
 * the input gradient takes the sub-pixel form (0: never).
 */
export const TENSORFLOW_FORMS = { dense: true, patchMaxOutputPixels: 0, subPixelMaxInChannels: 8 };

