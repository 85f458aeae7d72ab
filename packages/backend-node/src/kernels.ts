/**
 * Faster forms of convolution gradients for tfjs-node's `tensorflow` backend, built from native
 * TensorFlow ops (ExtractImagePatches, MatMul, Reshape) called through the backend's eager
 * `executeSingleOutput`. Measured with bench/tf-kernels.mjs on the shapes of a GANomaly step
 * (batch 64, 32x32x1, widths 64): where dy is 1x1 (the layers next to the latent vector, dense
 * layers in conv form) TensorFlow's own Conv2DBackpropFilter and Conv2DBackpropInput run at about
 * 10 GFLOP/s, and one MatMul does the same work 1.6x to 2.3x faster. Each form below is used only
 * for the shapes where it measured faster; TensorFlow's own kernel keeps every other case.
 *
 * The outputs of executeSingleOutput are engine Tensors: every intermediate is disposed here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backend_util, type KernelConfig, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';

/** The parts of tfjs-node's NodeJSKernelBackend these kernels use (structural: no import of tfjs-node). */
interface TFBackend {
  binding: { TF_ATTR_INT: number; TF_ATTR_STRING: number; TF_ATTR_BOOL: number; TF_ATTR_TYPE: number; TF_FLOAT: number; TF_INT32: number };
  executeSingleOutput(name: string, attrs: { name: string; type: number; value: unknown }[], inputs: TensorInfo[]): tf.Tensor;
}

function typeAttr(b: TFBackend, name: string, dtype: 'float32' | 'int32') {
  return { name, type: b.binding.TF_ATTR_TYPE, value: dtype === 'float32' ? b.binding.TF_FLOAT : b.binding.TF_INT32 };
}

function reshape(b: TFBackend, x: TensorInfo, shape: number[]): tf.Tensor {
  const s = tf.tensor1d(shape, 'int32');
  try {
    return b.executeSingleOutput('Reshape', [typeAttr(b, 'T', 'float32'), typeAttr(b, 'Tshape', 'int32')], [x, s]);
  } finally {
    s.dispose();
  }
}

function matMul(b: TFBackend, a: TensorInfo, c: TensorInfo, transposeA: boolean, transposeB: boolean): tf.Tensor {
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
function isDense(info: backend_util.Conv2DInfo): boolean {
  return info.outHeight === 1 && info.outWidth === 1 && info.padInfo.top === 0 && info.padInfo.left === 0 && info.filterHeight === info.inHeight && info.filterWidth === info.inWidth;
}

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
/**
 * The selection above, changeable for measuring (bench/tf-kernels.mjs): `dense` the matrix-product
 * forms of dense layers, `patchMaxOutputPixels` the largest oh*ow of dy that takes the patch form
 * of the filter gradient (0: none), `subPixelMaxInChannels` the most input channels (ci) for which
 * the input gradient takes the sub-pixel form (0: never).
 */
export const TENSORFLOW_FORMS = { dense: true, patchMaxOutputPixels: 0, subPixelMaxInChannels: 8 };

type Marked = KernelConfig & { ganomaly?: boolean };

function conv2DInfo(xShape: number[], filterShape: number[], attrs: { strides: number | [number, number]; pad: unknown; dimRoundingMode?: unknown; dataFormat: 'NHWC' | 'NCHW' }) {
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad as 'same',
    attrs.dimRoundingMode as 'round' | undefined,
    false,
    backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
}

/**
 * Registers the forms above on the `tensorflow` backend in place of tfjs-node's
 * Conv2DBackpropFilter and Conv2DBackpropInput, which stay as the fallback for every other shape
 * (and for NCHW). Once only; returns whether it registered.
 */
export function registerTensorflowKernels(): boolean {
  const name = 'tensorflow';
  const filterOwn = tf.getKernel(tf.Conv2DBackpropFilter, name) as Marked | undefined;
  const inputOwn = tf.getKernel(tf.Conv2DBackpropInput, name) as Marked | undefined;
  if (!filterOwn || !inputOwn || filterOwn.ganomaly) return false;
  const filter: Marked = {
    kernelName: tf.Conv2DBackpropFilter,
    backendName: name,
    setupFunc: filterOwn.setupFunc,
    kernelFunc: (args) => {
      const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
      const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
      if (attrs.dataFormat !== 'NCHW' && x.dtype === 'float32') {
        const info = conv2DInfo(x.shape, attrs.filterShape, attrs);
        if (filterGradientUsesPatches(info)) {
          const out = conv2DBackpropFilterViaPatches(args.backend as unknown as TFBackend, x, dy, info);
          if (out) return out;
        }
      }
      return filterOwn.kernelFunc({ ...args, attrs: args.attrs as NamedAttrMap });
    },
  };
  const input: Marked = {
    kernelName: tf.Conv2DBackpropInput,
    backendName: name,
    setupFunc: inputOwn.setupFunc,
    kernelFunc: (args) => {
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
      return inputOwn.kernelFunc({ ...args, attrs: args.attrs as NamedAttrMap });
    },
  };
  filter.ganomaly = input.ganomaly = true;
  tf.unregisterKernel(tf.Conv2DBackpropFilter, name);
  tf.unregisterKernel(tf.Conv2DBackpropInput, name);
  tf.registerKernel(filter);
  tf.registerKernel(input);
  return true;
}
