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
    setupFunc: fallback?.setupFunc,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
      if (dataFormat === 'NCHW') {
        if (fallback) return fallback.kernelFunc({ inputs, backend, attrs: attrs as NamedAttrMap });
        throw new Error(`Conv2DBackpropFilter on '${backendName}' supports NHWC data only (tfjs-layers' default), but got NCHW.`);
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
      if (HOST_MEMORY.has(backendName) && info.inChannels < FEW_CHANNELS) return conv2DBackpropFilterViaMatMul(backend as KernelBackend, x, dy, info);
      return conv2DBackpropFilterViaConv(backend as KernelBackend, x, dy, info);
    },
  };
}

/** Backends whose tensors live in CPU memory, where reading one inside a kernel costs a copy at most. */
const HOST_MEMORY = new Set(['wasm', 'cpu']);
/**
 * Below this many input channels a convolution has too little work per output pixel for a
 * convolution kernel to run well (XNNPACK reached 2 to 3 GFLOP/s on the first layer's gradients,
 * against 20 to 60 on the others, measured with bench/profile-step.mjs): the matrix-product forms
 * below take over.
 */
const FEW_CHANNELS = 8;

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
      const info = backend_util.computeConv2DInfo(
        inputShape as [number, number, number, number],
        filter.shape as [number, number, number, number],
        strides,
        1,
        pad,
        dimRoundingMode,
        false,
        backend_util.convertConv2DDataFormat(dataFormat),
      );
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

type MarkedKernel = KernelConfig & { ganomaly?: boolean };

/**
 * Registers this library's kernel for `kernelName` on `backendName` in place of the backend's own,
 * which `make` receives (for fallbacks); its `setupFunc` is kept, because the wasm backend binds
 * its C++ functions there. The kernel is marked, so a second call registers nothing: returns
 * whether it registered.
 */
function replaceKernel(kernelName: string, backendName: string, make: (existing: KernelConfig | undefined) => KernelConfig['kernelFunc']): boolean {
  const existing = tf.getKernel(kernelName, backendName) as MarkedKernel | undefined;
  if (existing?.ganomaly) return false;
  if (existing) tf.unregisterKernel(kernelName, backendName);
  const config: MarkedKernel = { kernelName, backendName, setupFunc: existing?.setupFunc, kernelFunc: make(existing) };
  config.ganomaly = true;
  tf.registerKernel(config);
  return true;
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

/**
 * Registers the convolution-based Conv2DBackpropInput for a backend, replacing its own kernel
 * (wasm's is a scalar loop, about ten times slower than its convolution); the original stays as
 * the fallback for layouts this one does not handle. Returns whether a kernel was registered.
 */
export function registerFastConvInputGradient(backendName: string): boolean {
  return replaceKernel(tf.Conv2DBackpropInput, backendName, (existing) => makeConv2DBackpropInputKernel(backendName, existing).kernelFunc);
}

/** The parts of the wasm backend a JavaScript kernel needs (structural, so no import of the package). */
interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

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
