// Conv2DBackpropInput (the input gradient of a convolution, and the forward pass of a transposed
// convolution) as forward convolutions (sub-pixel or zero-inserted) or a matrix product and a scatter.
import * as tf from '@tensorflow/tfjs-core';
import { backend_util, type KernelBackend, type KernelConfig, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import { FEW_CHANNELS, HOST_MEMORY, conv2DInfo, replaceKernel, run } from './kernel-utils.js';

/**
 * Conv2DBackpropInput (the input gradient of a convolution, and the forward pass of a transposed
 * convolution) as a forward convolution: insert (stride - 1) zeros between the rows and columns
 * of dy, pad by (k - 1 - pad), and convolve with the filter flipped in space and with its channel
 * axes swapped:
 *
 *   dx[n,i,j,ci] = sum_{kh,kw,co} D[n, i+kh, j+kw, co] * W[KH-1-kh, KW-1-kw, ci, co]
 *
 * where D is the dilated, padded dy. The wasm backend's own kernel is a scalar loop; this runs on
 * XNNPACK's convolution. Returns null when the padding would have to be negative, or there are
 * fewer than 8 input channels (then the caller falls back to the backend's own kernel).
 */
export function makeConv2DBackpropInputKernel(backendName: string, fallback?: KernelConfig): KernelConfig {
  return {
    kernelName: tf.Conv2DBackpropInput,
    backendName,
    // The wasm backend binds its C++ function in setupFunc at initialisation: keep it for the fallback.
    setupFunc: fallback?.setupFunc,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
      const info = conv2DInfo(inputShape, filter.shape, { strides, pad, dimRoundingMode, dataFormat });
      if (dataFormat !== 'NCHW' && HOST_MEMORY.has(backendName) && (info.inChannels < FEW_CHANNELS || (info.outHeight === 1 && info.outWidth === 1))) {
        return conv2DBackpropInputViaMatMul(backend as KernelBackend, dy, filter, info);
      }
      const out = dataFormat === 'NCHW' ? null : conv2DBackpropInputViaConv(backend as KernelBackend, dy, filter, info);
      if (out) return out;
      if (!fallback) throw new Error(`Conv2DBackpropInput: this layout or padding is not supported on '${backendName}'.`);
      return fallback.kernelFunc({ inputs, backend, attrs: attrs as NamedAttrMap });
    },
  };
}

/**
 * The input gradient (and a transposed convolution's forward pass) as one matrix product and a
 * scatter: dy [n*oh*ow, co] times W^T [co, kh*kw*ci] gives, for every output pixel of the forward
 * convolution, its contribution to each input pixel of its patch; summing those into place
 * ("col2im", in JavaScript) gives dx. When dy is 1x1 and the patch is the whole unpadded input
 * (the decoder's first layer, z -> 4x4), the product is dx itself. Used for few input channels
 * and for 1x1 dy, where the convolution forms ran at 2 to 3 GFLOP/s.
 */
export function conv2DBackpropInputViaMatMul(backend: KernelBackend, dy: TensorInfo, filter: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, padInfo, inHeight: H, inWidth: W, inChannels: ci, outChannels: co } = info;
  const [n, oh, ow] = dy.shape;
  const P = n * oh * ow;
  const K = kh * kw * ci;
  // W [kh,kw,ci,co] read as [K, co], transposed in JavaScript to [co, K].
  const w = backend.readSync(filter.dataId) as Float32Array;
  const wt = new Float32Array(co * K);
  for (let t = 0; t < K; t++) for (let o = 0; o < co; o++) wt[o * K + t] = w[t * co + o];
  const temps: TensorInfo[] = [];
  const keep = (t: TensorInfo) => (temps.push(t), t);
  try {
    const a = keep(run(tf.Reshape, backend, { x: dy }, { shape: [1, P, co] }));
    const b = keep({ dataId: backend.write(wt, [1, co, K], 'float32'), shape: [1, co, K], dtype: 'float32' });
    const cols = keep(run(tf.BatchMatMul, backend, { a, b }, { transposeA: false, transposeB: false })); // [1, P, K]
    if (oh === 1 && ow === 1 && padInfo.top === 0 && padInfo.left === 0 && kh === H && kw === W) {
      return run(tf.Reshape, backend, { x: cols }, { shape: [n, H, W, ci] });
    }
    const c = backend.readSync(cols.dataId) as Float32Array;
    const dx = new Float32Array(n * H * W * ci);
    for (let b2 = 0; b2 < n; b2++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          const base = ((b2 * oh + oy) * ow + ox) * K;
          for (let ky = 0; ky < kh; ky++) {
            const y = oy * sh + ky - padInfo.top;
            if (y < 0 || y >= H) continue;
            for (let kx = 0; kx < kw; kx++) {
              const xx = ox * sw + kx - padInfo.left;
              if (xx < 0 || xx >= W) continue;
              const dst = ((b2 * H + y) * W + xx) * ci;
              const src = base + (ky * kw + kx) * ci;
              for (let ch = 0; ch < ci; ch++) dx[dst + ch] += c[src + ch];
            }
          }
        }
      }
    }
    return { dataId: backend.write(dx, [n, H, W, ci], 'float32'), shape: [n, H, W, ci], dtype: 'float32' };
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

export function conv2DBackpropInputViaConv(
  backend: KernelBackend,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo | null {
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, padInfo, inHeight, inWidth } = info;
  const [n, outH, outW, co] = dy.shape;
  // With few input channels (the first layer: 1 or 3) the convolution has too little work per
  // pixel for the zero-inserted form to pay: measured on wasm, 16x16x32 -> 32x32x1 took 29 ms
  // this way against 10.6 ms with the loop kernel (8x8x64 -> 16x16x32: 40 ms against 106 ms).
  if (info.inChannels < 8) return null;
  if (inHeight % sh === 0 && inWidth % sw === 0) {
    const out = conv2DBackpropInputSubPixel(backend, dy, filter, info);
    if (out) return out;
  }
  const top = kh - 1 - padInfo.top;
  const left = kw - 1 - padInfo.left;
  const bottom = inHeight + padInfo.top - (outH - 1) * sh - 1;
  const right = inWidth + padInfo.left - (outW - 1) * sw - 1;
  if (top < 0 || left < 0 || bottom < 0 || right < 0) return null;
  const temps: TensorInfo[] = [];
  const keep = (t: TensorInfo) => (temps.push(t), t);
  try {
    // Zero insertion and padding in one PadV2: [n,oh,1,ow,1,co] padded to [n,oh,sh,ow,sw,co].
    let d = dy;
    if (sh > 1 || sw > 1) {
      const r = keep(run(tf.Reshape, backend, { x: dy }, { shape: [n, outH, 1, outW, 1, co] }));
      const p = keep(run(tf.PadV2, backend, { x: r }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 }));
      const flat = keep(run(tf.Reshape, backend, { x: p }, { shape: [n, outH * sh, outW * sw, co] }));
      // Drop the zeros after the last row and column.
      d = keep(run(tf.Slice, backend, { x: flat }, { begin: [0, 0, 0, 0], size: [n, (outH - 1) * sh + 1, (outW - 1) * sw + 1, co] }));
    }
    const flipped = keep(run(tf.Reverse, backend, { x: filter }, { dims: [0, 1] }));
    const swapped = keep(run(tf.Transpose, backend, { x: flipped }, { perm: [0, 1, 3, 2] })); // [kh,kw,co,ci]
    return run(tf.Conv2D, backend, { x: d, filter: swapped }, {
      strides: [1, 1],
      pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
      dataFormat: 'NHWC',
      dilations: [1, 1],
      dimRoundingMode: undefined,
    });
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/**
 * The sub-pixel form of the input gradient (used whenever the input size is a multiple of the
 * stride; stride 1 is the one-phase case, the plain flipped-filter convolution) for stride s: output rows i = s*q + r of one phase r
 * only ever meet the filter taps k = k0 + s*t with k0 = (r + pad) mod s, so each of the s*s
 * phases is a stride-1 convolution of dy (no inserted zeros) with a small sub-filter, and the
 * phases interleave into dx. Same arithmetic as the direct form, none of it on zeros: for the
 * usual k4 s2 layers it does a quarter of the zero-inserted form's work.
 */
function conv2DBackpropInputSubPixel(
  backend: KernelBackend,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo | null {
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, padInfo, inHeight, inWidth, inChannels: ci } = info;
  const [n, outH, outW] = dy.shape;
  const qh = inHeight / sh;
  const qw = inWidth / sw;
  const temps: TensorInfo[] = [];
  const keep = (t: TensorInfo) => (temps.push(t), t);
  // One spatial axis of one phase: first tap, number of taps, and how dy must be padded/cropped.
  const axis = (r: number, s: number, k: number, pad: number, q: number, out: number) => {
    const k0 = (r + pad) % s;
    const taps = Math.ceil((k - k0) / s);
    const shift = (r + pad - k0) / s; // dy index of tap t = 0 for output q is q + shift
    const before = taps - 1 - shift; // padding before dy (negative: crop)
    const after = q + taps - 1 - before - out;
    return { k0, taps, before, after };
  };
  try {
    // The sub-filters are rearranged in JavaScript: small, and wasm's Reverse and StridedSlice
    // kernels took about 25 ms each on a 4x4x128x256 filter, more than the convolutions.
    const w = backend.readSync(filter.dataId) as Float32Array;
    const co = filter.shape[3];
    const rows: TensorInfo[] = [];
    for (let r = 0; r < sh; r++) {
      const ay = axis(r, sh, kh, padInfo.top, qh, outH);
      const cols: TensorInfo[] = [];
      for (let c = 0; c < sw; c++) {
        const ax = axis(c, sw, kw, padInfo.left, qw, outW);
        if (ay.taps <= 0 || ax.taps <= 0) return null;
        // sub[m][p][o][i] = W[k0y + s*(ty-1-m)][k0x + s*(tx-1-p)][i][o]: taps flipped, channels swapped.
        const sub = new Float32Array(ay.taps * ax.taps * co * ci);
        let at = 0;
        for (let m = 0; m < ay.taps; m++) {
          const y = ay.k0 + sh * (ay.taps - 1 - m);
          for (let p = 0; p < ax.taps; p++) {
            const x = ax.k0 + sw * (ax.taps - 1 - p);
            const base = (y * kw + x) * ci * co;
            for (let o = 0; o < co; o++) for (let i = 0; i < ci; i++) sub[at++] = w[base + i * co + o];
          }
        }
        const subShape = [ay.taps, ax.taps, co, ci];
        const subT = keep({ dataId: backend.write(sub, subShape, 'float32'), shape: subShape, dtype: 'float32' });
        // Crop dy where the padding would be negative.
        const cropTop = Math.max(0, -ay.before);
        const cropLeft = Math.max(0, -ax.before);
        const cropBottom = Math.max(0, -ay.after);
        const cropRight = Math.max(0, -ax.after);
        // A phase that sees no row or column of dy (kernel smaller than the stride, large padding):
        // XNNPACK refuses empty convolutions, so leave such shapes to the other forms.
        if (outH - cropTop - cropBottom <= 0 || outW - cropLeft - cropRight <= 0) return null;
        let d = dy;
        if (cropTop || cropLeft || cropBottom || cropRight) {
          d = keep(run(tf.Slice, backend, { x: dy }, {
            begin: [0, cropTop, cropLeft, 0],
            size: [n, outH - cropTop - cropBottom, outW - cropLeft - cropRight, dy.shape[3]],
          }));
        }
        cols.push(keep(run(tf.Conv2D, backend, { x: d, filter: subT }, {
          strides: [1, 1],
          pad: [[0, 0], [Math.max(0, ay.before), Math.max(0, ay.after)], [Math.max(0, ax.before), Math.max(0, ax.after)], [0, 0]],
          dataFormat: 'NHWC',
          dilations: [1, 1],
          dimRoundingMode: undefined,
        }))); // [n, qh, qw, ci]
      }
      if (sh === 1 && sw === 1) {
        // One phase: the convolution is the whole answer (stride 1 needs no interleaving).
        temps.splice(temps.indexOf(cols[0]), 1);
        return cols[0];
      }
      const packed = keep(run(tf.Pack, backend, cols as unknown as Record<string, TensorInfo>, { axis: 3 })); // [n,qh,qw,sw,ci]
      rows.push(keep(run(tf.Reshape, backend, { x: packed }, { shape: [n, qh, qw * sw, ci] })));
    }
    const packed = keep(run(tf.Pack, backend, rows as unknown as Record<string, TensorInfo>, { axis: 2 })); // [n,qh,sh,W,ci]
    // Reshape shares the buffer and takes a reference of its own, so freeing the temps is safe.
    return run(tf.Reshape, backend, { x: packed }, { shape: [n, inHeight, inWidth, ci] });
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/**
 * Registers the convolution-based Conv2DBackpropInput for a backend, replacing its own kernel
 * (wasm's is a scalar loop, about ten times slower than its convolution); the original stays as
 * the fallback for layouts this one does not handle. Returns whether a kernel was registered.
 */
export function registerFastConvInputGradient(backendName: string): boolean {
  return replaceKernel(tf.Conv2DBackpropInput, backendName, (existing) => makeConv2DBackpropInputKernel(backendName, existing).kernelFunc);
}
