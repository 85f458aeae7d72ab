// The ONNX scorer graph: pixels 0..255 NHWC -> scaling to [-1, 1] -> G_E -> G_D -> E (inference
// mode, the BatchNorm statistics the layers hold) -> raw score, normalised score, anomaly flag.
// Built from the tfjs-layers networks layer by layer; the protobuf is protobufjs's (proto.ts).
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ValueError } from '@ganomaly/common';
import { AttrType, DataType, encodeModel, type AttributeProto, type NodeProto, type TensorProto, type ValueInfoProto } from './proto.js';

/** The opset the graph is written for (every ONNX Runtime since 1.12 runs it, web included). */
export const ONNX_OPSET = 17;
/** IR version 8 goes with opset 17. */
export const ONNX_IR_VERSION = 8;
/** The metadata_props key holding the model's JSON description (OnnxModelInfo). */
export const METADATA_KEY = 'ganomaly';

/** The three networks of the generator chain. */
export interface ScorerNetworks {
  encoder: tfl.LayersModel;
  decoder: tfl.LayersModel;
  reencoder: tfl.LayersModel;
}

/** Extra outputs besides the scores. */
export type ExtraOutput = 'z' | 'zHat' | 'xHat';
export const EXTRA_OUTPUTS: readonly ExtraOutput[] = ['z', 'zHat', 'xHat'];

/** The scores an exported graph computes ('mse' is the library's 'latent'). */
export type OnnxScoreVariant = 'mse' | 'l1' | 'reconstruction' | 'knn';
export const ONNX_SCORE_VARIANTS: readonly OnnxScoreVariant[] = ['mse', 'l1', 'reconstruction', 'knn'];

/** What an exported model says about itself (metadata_props 'ganomaly', JSON). */
export interface OnnxModelInfo {
  format: 'ganomaly-onnx';
  /** 1 for this layout of inputs and outputs. */
  formatVersion: 1;
  libraryVersion: string;
  imageSize: number;
  channels: 1 | 3;
  latentDim: number;
  /**
   * 'mse' (mean (z − ẑ)²), 'l1' (Σ |z − ẑ|), 'reconstruction' (mean |x − x̂|, x and x̂ in [−1, 1])
   * or 'knn' (mean Euclidean distance from z to its `neighbours` nearest training codes, which the
   * graph holds as the initializer 'memory/codes').
   */
  scoreVariant: OnnxScoreVariant;
  /** With 'knn': how many training codes the graph holds, and how many nearest are averaged. */
  memory?: { count: number; neighbours: number };
  /** Which BatchNorm statistics the graph uses ('population' or 'running'). */
  batchNormStatistics: 'population' | 'running' | 'initial';
  /** The calibration saved with the model, or null (then the graph has only the `score` output). */
  calibration: { threshold: number; normalization: { min: number; max: number }; [k: string]: unknown } | null;
  /** The graph's output names, in order. */
  outputs: string[];
  /** The model's resolved config, as `Ganomaly.config`. */
  config: Record<string, unknown>;
  epochsTrained?: number;
  /** Set by quantizeOnnx: how the graph's convolutions were quantized. Absent: float32 throughout. */
  quantization?: OnnxQuantizationInfo;
}

/** What `quantizeOnnx` records in the model's metadata (`OnnxModelInfo.quantization`). */
export interface OnnxQuantizationInfo {
  /** 'int8-qdq': QuantizeLinear / DequantizeLinear around every Conv. */
  type: 'int8-qdq';
  activations: 'uint8, per tensor, asymmetric (min/max over the calibration images)';
  weights: 'int8, per output channel, symmetric';
  /** How many Conv nodes were quantized (ConvTranspose, Gemm, and the convolutions that read images or write the score's inputs, stay float). */
  convolutions: number;
  calibrationImages: number;
}


export interface BuildScorerOptions {
  imageSize: number;
  channels: 1 | 3;
  latentDim: number;
  scoreVariant: OnnxScoreVariant;
  /** With 'knn': the model's memory of training codes, [count × latentDim] row by row, and k. */
  memory?: { codes: Float32Array; count: number; neighbours: number };
  calibration: OnnxModelInfo['calibration'];
  batchNormStatistics: OnnxModelInfo['batchNormStatistics'];
  libraryVersion: string;
  config: Record<string, unknown>;
  epochsTrained?: number;
  /** Also output z and ẑ ([n, latentDim]) and/or x̂ (pixel values 0..255, NHWC). Default none. */
  outputs?: readonly ExtraOutput[];
  /**
   * Fold each BatchNorm that follows a convolution into that convolution's kernel and bias (ONNX
   * Runtime fuses Conv+BN itself, but not ConvTranspose+BN). Default true; false keeps explicit
   * BatchNormalization nodes.
   */
  foldBatchNorm?: boolean;
  /**
   * How transposed convolutions are written. 'subpixel' (default): a stride-s transposed
   * convolution whose kernel is a multiple of s and whose output is s times its input becomes s²
   * small convolutions (one per output phase, the same arithmetic) joined by Concat and
   * DepthToSpace, and one on a 1x1 input becomes Flatten + Gemm + Reshape; ONNX Runtime's CPU
   * provider runs these faster than its ConvTranspose (which has no direct MLAS kernel). Layers
   * with fewer than 8 output channels keep ConvTranspose (their per-phase convolutions cost more
   * than they save). 'native': every transposed convolution stays a ConvTranspose node.
   */
  convTranspose?: 'subpixel' | 'native';
}

type Shape = { c: number; h: number; w: number };

/** Collects nodes and initializers with unique names. */
class Graph {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  /** The ConvTranspose nodes with their input and output shapes (for rewriteConvTranspose). */
  readonly convTransposes: { node: NodeProto; inShape: Shape; outShape: Shape }[] = [];
  private readonly used = new Set<string>();

  name(base: string): string {
    let n = base.replace(/[^A-Za-z0-9_./-]/g, '_');
    for (let i = 1; this.used.has(n); i++) n = `${base}_${i}`;
    this.used.add(n);
    return n;
  }

  constant(base: string, values: Float32Array, dims: number[]): string {
    const name = this.name(base);
    this.initializers.push({ name, dims, dataType: DataType.FLOAT, rawData: floatBytes(values) });
    return name;
  }

  int64s(base: string, values: number[]): string {
    const name = this.name(base);
    this.initializers.push({ name, dims: [values.length], dataType: DataType.INT64, int64Data: values });
    return name;
  }

  node(opType: string, inputs: string[], base: string, attribute: AttributeProto[] = [], output?: string): string {
    const out = output ?? this.name(base);
    this.nodes.push({ name: this.name(`${base}/${opType}`), opType, input: inputs, output: [out], attribute });
    return out;
  }
}

const ints = (name: string, v: number[]): AttributeProto => ({ name, type: AttrType.INTS, ints: v });
const int = (name: string, v: number): AttributeProto => ({ name, type: AttrType.INT, i: v });
const float = (name: string, v: number): AttributeProto => ({ name, type: AttrType.FLOAT, f: v });

function floatBytes(values: Float32Array): Uint8Array {
  // ONNX raw_data is little-endian, as every platform that runs JS here.
  const copy = new Float32Array(values);
  return new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength);
}

/** Permutes a row-major tensor: out[axes] = in[perm]. */
function transpose(data: Float32Array | Int32Array | Uint8Array, shape: number[], perm: number[]): Float32Array {
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(data.length);
  const idx = new Array(shape.length).fill(0);
  const strides = perm.map((p) => inStrides[p]!);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < idx.length; d++) src += idx[d] * strides[d]!;
    out[o] = data[src]!;
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** TensorFlow's padding of a conv from `size` with kernel k, stride s, dilation d: [before, after]. */
function tfPads(padding: string, size: number, k: number, s: number, d: number): [number, number] {
  if (padding === 'valid') return [0, 0];
  const eff = (k - 1) * d + 1;
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + eff - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

type LayerConfig = Record<string, unknown>;

function pair(v: unknown, what: string): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return [v[0], v[1]];
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'number') return [v[0], v[0]];
  throw new ValueError(`Unsupported ${what}: ${JSON.stringify(v)}.`);
}

function unsupported(model: tfl.LayersModel, layer: tfl.layers.Layer, why: string): never {
  throw new ValueError(
    `exportOnnx: layer '${layer.name}' (${layer.getClassName()}) of network '${model.name}' has no ONNX mapping: ${why}. ` +
      'Supported layers: InputLayer, Conv2D, Conv2DTranspose, BatchNormalization, LeakyReLU, ReLU, Activation ' +
      `(${Object.keys(ACTIVATIONS).join(', ')}), Dropout, Add, Multiply, Concatenate (channels last).`,
  );
}

const ACTIVATIONS: Record<string, ((g: Graph, x: string, base: string) => string) | null> = {
  linear: null,
  relu: (g, x, b) => g.node('Relu', [x], b),
  tanh: (g, x, b) => g.node('Tanh', [x], b),
  sigmoid: (g, x, b) => g.node('Sigmoid', [x], b),
  elu: (g, x, b) => g.node('Elu', [x], b, [float('alpha', 1)]),
  selu: (g, x, b) => g.node('Selu', [x], b),
  softplus: (g, x, b) => g.node('Softplus', [x], b),
  relu6: (g, x, b) => g.node('Clip', [x, g.constant(`${b}/min`, new Float32Array([0]), []), g.constant(`${b}/max`, new Float32Array([6]), [])], b),
};

function activation(g: Graph, model: tfl.LayersModel, layer: tfl.layers.Layer, name: unknown, x: string, base: string): string {
  const key = typeof name === 'string' ? name : name == null ? 'linear' : String(name);
  if (!(key in ACTIVATIONS)) unsupported(model, layer, `activation '${key}'`);
  const f = ACTIVATIONS[key];
  return f ? f(g, x, base) : x;
}

/** Reads a layer's weights (async: GPU backends cannot always read synchronously). */
async function weights(layer: tfl.layers.Layer): Promise<{ name: string; shape: number[]; data: Float32Array }[]> {
  return Promise.all(
    layer.weights.map(async (w) => {
      const t = w.read() as tf.Tensor;
      return { name: w.originalName.split('/').pop() ?? w.name, shape: t.shape, data: Float32Array.from(await t.data()) };
    }),
  );
}

/**
 * Appends one tfjs-layers network to the graph, NCHW throughout. `input` is the name of its input
 * (NCHW) and `inShape` its static shape. Returns the output name and shape.
 */
async function appendNetwork(g: Graph, model: tfl.LayersModel, input: string, inShape: Shape, fold: boolean): Promise<{ out: string; shape: Shape }> {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new ValueError(`exportOnnx: network '${model.name}' must have one input and one output to be exported.`);
  }
  const names = new Map<string, { name: string; shape: Shape }>();
  const p = model.name;
  // How many layers read each layer's output: a convolution read only by a BatchNorm folds into it.
  const readers = new Map<string, number>();
  for (const layer of model.layers) {
    for (const n of (layer as unknown as { inboundNodes: { inboundLayers: tfl.layers.Layer[] }[] }).inboundNodes) {
      for (const l of n.inboundLayers) readers.set(l.name, (readers.get(l.name) ?? 0) + 1);
    }
  }
  const convs = new Map<string, { node: NodeProto; kernel: TensorProto; data: Float32Array; dims: number[]; transpose: boolean; bias: Float32Array | null; layer: string }>();
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const nodes = (layer as unknown as { inboundNodes: { inboundLayers: tfl.layers.Layer[] }[] }).inboundNodes;
    const base = `${p}/${layer.name}`;
    if (cls === 'InputLayer') {
      names.set(layer.name, { name: input, shape: inShape });
      continue;
    }
    if (nodes.length !== 1) unsupported(model, layer, 'a layer applied more than once (shared layers) is not supported');
    const ins = nodes[0]!.inboundLayers.map((l) => {
      const v = names.get(l.name);
      if (!v) unsupported(model, layer, `its input '${l.name}' is not produced by a supported layer`);
      return v;
    });
    const cfg = layer.getConfig() as LayerConfig;
    if (cfg['dataFormat'] !== undefined && cfg['dataFormat'] !== 'channelsLast') unsupported(model, layer, `dataFormat '${String(cfg['dataFormat'])}'`);
    const x = ins[0]!;
    let out: { name: string; shape: Shape };
    switch (cls) {
      case 'Conv2D':
      case 'Conv2DTranspose': {
        const w = await weights(layer);
        const kernel = w.find((v) => v.name === 'kernel');
        const bias = w.find((v) => v.name === 'bias');
        if (!kernel || kernel.shape.length !== 4) unsupported(model, layer, 'no 4-D kernel');
        const [kh, kw] = [kernel.shape[0]!, kernel.shape[1]!];
        const [sh, sw] = pair(cfg['strides'], 'strides');
        const [dh, dw] = pair(cfg['dilationRate'] ?? 1, 'dilationRate');
        const padding = String(cfg['padding']);
        if (padding !== 'same' && padding !== 'valid') unsupported(model, layer, `padding '${padding}'`);
        const filters = Number(cfg['filters']);
        // Both tfjs kernels are [kh, kw, a, b]; ONNX wants [b, a, kh, kw] (Conv: [out, in], ConvTranspose: [in, out]).
        const wData = transpose(kernel.data, kernel.shape, [3, 2, 0, 1]);
        const wDims = [kernel.shape[3]!, kernel.shape[2]!, kh, kw];
        const W = g.constant(`${base}/kernel`, wData, wDims);
        const inputs = [x.name, W];
        if (bias) inputs.push(g.constant(`${base}/bias`, bias.data, [bias.data.length]));
        let y: string;
        let shape: Shape;
        if (cls === 'Conv2D') {
          const [pt, pb] = tfPads(padding, x.shape.h, kh, sh, dh);
          const [pl, pr] = tfPads(padding, x.shape.w, kw, sw, dw);
          const oh = Math.floor((x.shape.h + pt + pb - ((kh - 1) * dh + 1)) / sh) + 1;
          const ow = Math.floor((x.shape.w + pl + pr - ((kw - 1) * dw + 1)) / sw) + 1;
          y = g.node('Conv', inputs, base, [ints('kernel_shape', [kh, kw]), ints('strides', [sh, sw]), ints('dilations', [dh, dw]), ints('pads', [pt, pl, pb, pr])]);
          shape = { c: filters, h: oh, w: ow };
        } else {
          if (dh !== 1 || dw !== 1) unsupported(model, layer, 'dilated transposed convolution');
          // tfjs's output size, then the padding of the forward conv from that size (TensorFlow's rule).
          const len = (n: number, k: number, s: number) => (padding === 'same' ? n * s : n * s + Math.max(k - s, 0));
          const [oh, ow] = [len(x.shape.h, kh, sh), len(x.shape.w, kw, sw)];
          const [pt, pb] = tfPads(padding, oh, kh, sh, 1);
          const [pl, pr] = tfPads(padding, ow, kw, sw, 1);
          const oph = oh - (sh * (x.shape.h - 1) + kh - pt - pb);
          const opw = ow - (sw * (x.shape.w - 1) + kw - pl - pr);
          if (oph < 0 || opw < 0 || oph >= sh || opw >= sw) unsupported(model, layer, 'this kernel/stride/padding combination');
          y = g.node('ConvTranspose', inputs, base, [
            ints('kernel_shape', [kh, kw]),
            ints('strides', [sh, sw]),
            ints('pads', [pt, pl, pb, pr]),
            ints('output_padding', [oph, opw]),
          ]);
          shape = { c: filters, h: oh, w: ow };
          g.convTransposes.push({ node: g.nodes.at(-1)!, inShape: x.shape, outShape: shape });
        }
        const act = activation(g, model, layer, cfg['activation'], y, `${base}/act`);
        if (act === y) {
          convs.set(y, { node: g.nodes.at(-1)!, kernel: g.initializers.find((t) => t.name === W)!, data: wData, dims: wDims, transpose: cls === 'Conv2DTranspose', bias: bias?.data ?? null, layer: layer.name });
        }
        out = { name: act, shape };
        break;
      }
      case 'BatchNormalization': {
        const axis = cfg['axis'];
        if (axis !== -1 && axis !== 3) unsupported(model, layer, `axis ${JSON.stringify(axis)} (only the channel axis -1)`);
        const w = await weights(layer);
        const get = (n: string, fill: number) => w.find((v) => v.name === n)?.data ?? new Float32Array(x.shape.c).fill(fill);
        const c = x.shape.c;
        const mean = w.find((v) => v.name === 'moving_mean');
        const variance = w.find((v) => v.name === 'moving_variance');
        if (!mean || !variance) unsupported(model, layer, 'no moving statistics');
        const conv = convs.get(x.name);
        if (fold && conv && readers.get(conv.layer) === 1) {
          // y = gamma (conv(x) + b − mean) / sqrt(var + eps) + beta: scale the kernel's output
          // channels and give the convolution that bias (in float64, rounded once).
          const eps = Number(cfg['epsilon']);
          const gamma = get('gamma', 1);
          const beta = get('beta', 0);
          const scale = Array.from({ length: c }, (_, k) => gamma[k]! / Math.sqrt(variance.data[k]! + eps));
          const [d0, d1, kh, kw] = conv.dims as [number, number, number, number];
          const folded = new Float32Array(conv.data.length);
          for (let i = 0; i < d0; i++) {
            for (let j = 0; j < d1; j++) {
              const s = scale[conv.transpose ? j : i]!;
              const o = (i * d1 + j) * kh * kw;
              for (let q = 0; q < kh * kw; q++) folded[o + q] = conv.data[o + q]! * s;
            }
          }
          conv.kernel.rawData = floatBytes(folded);
          const b = Float32Array.from({ length: c }, (_, k) => beta[k]! + ((conv.bias?.[k] ?? 0) - mean.data[k]!) * scale[k]!);
          const biasName = g.constant(`${base}/folded_bias`, b, [c]);
          if (conv.node.input.length === 3) conv.node.input[2] = biasName;
          else conv.node.input.push(biasName);
          convs.delete(x.name);
          out = x;
          break;
        }
        const y = g.node(
          'BatchNormalization',
          [x.name, g.constant(`${base}/gamma`, get('gamma', 1), [c]), g.constant(`${base}/beta`, get('beta', 0), [c]), g.constant(`${base}/mean`, mean.data, [c]), g.constant(`${base}/variance`, variance.data, [c])],
          base,
          [float('epsilon', Number(cfg['epsilon'])), float('momentum', Number(cfg['momentum'] ?? 0.99))],
        );
        out = { name: y, shape: x.shape };
        break;
      }
      case 'LeakyReLU':
        out = { name: g.node('LeakyRelu', [x.name], base, [float('alpha', Number(cfg['alpha'] ?? 0.3))]), shape: x.shape };
        break;
      case 'ReLU': {
        const max = cfg['maxValue'];
        const y =
          max == null
            ? g.node('Relu', [x.name], base)
            : g.node('Clip', [x.name, g.constant(`${base}/min`, new Float32Array([0]), []), g.constant(`${base}/max`, new Float32Array([Number(max)]), [])], base);
        out = { name: y, shape: x.shape };
        break;
      }
      case 'Activation':
        out = { name: activation(g, model, layer, cfg['activation'], x.name, base), shape: x.shape };
        break;
      case 'Dropout':
      case 'SpatialDropout2D':
      case 'GaussianNoise':
      case 'GaussianDropout':
        out = x; // identity at inference
        break;
      case 'Add':
      case 'Multiply': {
        let y = ins[0]!.name;
        for (const other of ins.slice(1)) y = g.node(cls === 'Add' ? 'Add' : 'Mul', [y, other.name], base);
        out = { name: y, shape: x.shape };
        break;
      }
      case 'Concatenate': {
        const axis = cfg['axis'];
        if (axis !== -1 && axis !== 3) unsupported(model, layer, `axis ${JSON.stringify(axis)} (only the channel axis -1)`);
        out = { name: g.node('Concat', ins.map((v) => v.name), base, [int('axis', 1)]), shape: { ...x.shape, c: ins.reduce((a, v) => a + v.shape.c, 0) } };
        break;
      }
      default:
        unsupported(model, layer, 'this layer class is not covered');
    }
    names.set(layer.name, out);
  }
  const last = (model.outputs[0] as unknown as { sourceLayer: tfl.layers.Layer }).sourceLayer;
  const res = names.get(last.name);
  if (!res) throw new ValueError(`exportOnnx: the output of network '${model.name}' was not converted.`);
  return { out: res.name, shape: res.shape };
}

const floatsOf = (t: TensorProto): Float32Array => {
  const b = t.rawData!;
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

/**
 * Replaces ConvTranspose nodes by forms ONNX Runtime's CPU provider runs faster (see
 * BuildScorerOptions.convTranspose), after BatchNorm folding has written the final kernels:
 * - on a 1x1 input without padding (the decoder's first layer): Flatten, Gemm with the kernel as a
 *   [in, out·kh·kw] matrix, Reshape to [n, out, kh, kw];
 * - stride s, kernel k = J·s, output s·input (TensorFlow's 'same'): output pixel (s·m + a) sums
 *   input pixels m + q_a − j with kernel taps r_a + s·j (q_a, r_a = divmod(a + pad, s)), j < J, so
 *   each of the s² phases (a, b) is a J×J convolution with pads [J−1−q_a, J−1−q_b, q_a, q_b];
 *   the phases are concatenated on the channel axis in DepthToSpace's DCR order.
 * The replaced kernels and biases leave the initializers.
 */
function rewriteConvTransposes(g: Graph): void {
  const attr = (n: NodeProto, name: string) => (n.attribute ?? []).find((a) => a.name === name)?.ints?.map(Number) ?? [];
  const init = (name: string | undefined) => (name === undefined ? undefined : g.initializers.find((t) => t.name === name));
  /** The sub-pixel layers' outputs: their Concat of phases and the DepthToSpace after it. */
  const phaseOutputs = new Map<string, { cat: string; d2s: NodeProto; s: number; channels: number }>();
  const readers = (name: string) => g.nodes.filter((n) => n.input.includes(name)).length;
  /** x = Relu/LeakyRelu(DepthToSpace(phases)) of a sub-pixel layer of stride s, each read once. */
  const composable = (x: string, s: number) => {
    const act = g.nodes.find((n) => n.output[0] === x);
    if (!act || (act.opType !== 'Relu' && act.opType !== 'LeakyRelu')) return null;
    const prev = phaseOutputs.get(act.input[0]!);
    if (!prev || prev.s !== s || readers(act.input[0]!) !== 1 || readers(x) !== 1) return null;
    return { act, prev };
  };
  for (const { node, inShape, outShape } of g.convTransposes) {
    const kernel = init(node.input[1])!;
    const [cin, cout, kh, kw] = kernel.dims.map(Number) as [number, number, number, number];
    const W = floatsOf(kernel);
    const biasT = init(node.input[2]);
    const bias = biasT ? floatsOf(biasT) : null;
    const [sh, sw] = attr(node, 'strides');
    const [pt, pl, pb, pr] = attr(node, 'pads');
    const base = node.name.replace(/\/ConvTranspose$/, '');
    const x = node.input[0]!;
    const y = node.output[0]!;
    const made: NodeProto[] = [];
    const s0 = sh!;
    const J = kh / s0;
    const q = (a: number) => Math.floor((a + pt!) / s0);
    const r = (a: number) => (a + pt!) % s0;
    const phaseForm = sh === sw && s0 > 1 && kh === kw && kh % s0 === 0 && outShape.h === s0 * inShape.h && outShape.w === sw! * inShape.w && pt === pl && q(s0 - 1) <= J - 1;
    const add = (opType: string, inputs: string[], name: string, attribute: AttributeProto[] = [], output?: string) => {
      const before = g.nodes.length;
      const out = g.node(opType, inputs, name, attribute, output);
      made.push(...g.nodes.splice(before));
      return out;
    };
    if (inShape.h === 1 && inShape.w === 1 && pt === 0 && pl === 0 && pb === 0 && pr === 0 && outShape.h === kh && outShape.w === kw) {
      // out[n, o, i, j] = sum_c x[n, c] W[c, o, i, j] (+ b[o]): W as a [cin, cout·kh·kw] matrix.
      const flat = add('Flatten', [x], `${base}/flatten`, [int('axis', 1)]);
      const inputs = [flat, g.constant(`${base}/matrix`, W, [cin, cout * kh * kw])];
      if (bias) inputs.push(g.constant(`${base}/matrix_bias`, Float32Array.from({ length: cout * kh * kw }, (_, i) => bias[Math.floor(i / (kh * kw))]!), [cout * kh * kw]));
      const mm = add('Gemm', inputs, `${base}/gemm`);
      add('Reshape', [mm, g.int64s(`${base}/shape`, [-1, cout, kh, kw])], `${base}/reshape`, [], y);
    } else if (phaseForm && cout >= 8) {
      const s = sh!;
      const phases: string[] = [];
      for (let a = 0; a < s; a++) {
        for (let b = 0; b < s; b++) {
          // Conv kernel [cout, cin, J, J]: tap (u, v) is ConvTranspose tap (r_a + s(J−1−u), r_b + s(J−1−v)).
          const Wp = new Float32Array(cout * cin * J * J);
          for (let o = 0; o < cout; o++) {
            for (let c = 0; c < cin; c++) {
              for (let u = 0; u < J; u++) {
                for (let v = 0; v < J; v++) {
                  Wp[((o * cin + c) * J + u) * J + v] = W[((c * cout + o) * kh + r(a) + s * (J - 1 - u)) * kw + r(b) + s * (J - 1 - v)]!;
                }
              }
            }
          }
          const inputs = [x, g.constant(`${base}/phase${a}${b}/kernel`, Wp, [cout, cin, J, J])];
          if (biasT) inputs.push(biasT.name);
          phases.push(add('Conv', inputs, `${base}/phase${a}${b}`, [ints('kernel_shape', [J, J]), ints('strides', [1, 1]), ints('pads', [J - 1 - q(a), J - 1 - q(b), q(a), q(b)])]));
        }
      }
      const cat = add('Concat', phases, `${base}/phases`, [int('axis', 1)]);
      add('DepthToSpace', [cat], `${base}/depth_to_space`, [int('blocksize', s), { name: 'mode', type: AttrType.STRING, s: new TextEncoder().encode('DCR') }], y);
      phaseOutputs.set(y, { cat, d2s: made.at(-1)!, s, channels: cout });
    } else if (phaseForm && composable(x, sh!)) {
      // A narrow layer (the decoder's last) reading a sub-pixel layer through an elementwise
      // activation: it reads that layer's phases (the Concat, before DepthToSpace) directly.
      // Its input pixel i = s·m + e is phase e at grid position m, so its output pixel
      // s·(s·m + a) + a2 reads phase (a + d) mod s at m + floor((a + d)/s), d = q_a2 − (J−1) + u:
      // one K×K convolution on the phase grid with s²·cout outputs, then DepthToSpace(s²).
      const s = sh!;
      const { act, prev } = composable(x, s)!;
      const cp = prev.channels;
      const deltas: number[] = [];
      for (let a = 0; a < s; a++) for (let a2 = 0; a2 < s; a2++) for (let u = 0; u < J; u++) deltas.push(Math.floor((a + q(a2) - (J - 1) + u) / s));
      const lo = Math.min(...deltas);
      const K = Math.max(...deltas) - lo + 1;
      const S = s * s;
      const Wc = new Float32Array(S * S * cout * s * s * cp * K * K);
      const inCh = s * s * cp;
      for (let a = 0; a < s; a++) {
        for (let b = 0; b < s; b++) {
          for (let a2 = 0; a2 < s; a2++) {
            for (let b2 = 0; b2 < s; b2++) {
              for (let u = 0; u < J; u++) {
                for (let v = 0; v < J; v++) {
                  const dh = a + q(a2) - (J - 1) + u;
                  const dw = b + q(b2) - (J - 1) + v;
                  const [eh, ew] = [((dh % s) + s) % s, ((dw % s) + s) % s];
                  const [th, tw] = [Math.floor(dh / s) - lo, Math.floor(dw / s) - lo];
                  for (let o = 0; o < cout; o++) {
                    const oc = ((s * a + a2) * S + (s * b + b2)) * cout + o;
                    for (let c = 0; c < cp; c++) {
                      const ic = (eh * s + ew) * cp + c;
                      Wc[((oc * inCh + ic) * K + th) * K + tw]! += W[((c * cout + o) * kh + r(a2) + s * (J - 1 - u)) * kw + r(b2) + s * (J - 1 - v)]!;
                    }
                  }
                }
              }
            }
          }
        }
      }
      // The activation now reads the phases; the earlier DepthToSpace goes.
      act.input[0] = prev.cat;
      g.nodes.splice(g.nodes.indexOf(prev.d2s), 1);
      const inputs = [act.output[0]!, g.constant(`${base}/phases/kernel`, Wc, [S * S * cout, inCh, K, K])];
      if (bias) inputs.push(g.constant(`${base}/phases/bias`, Float32Array.from({ length: S * S * cout }, (_, i) => bias[i % cout]!), [S * S * cout]));
      const pad = [-lo, -lo, K - 1 + lo, K - 1 + lo];
      const conv = add('Conv', inputs, `${base}/phases`, [ints('kernel_shape', [K, K]), ints('strides', [1, 1]), ints('pads', pad)]);
      add('DepthToSpace', [conv], `${base}/depth_to_space`, [int('blocksize', S), { name: 'mode', type: AttrType.STRING, s: new TextEncoder().encode('DCR') }], y);
    } else continue;
    g.nodes.splice(g.nodes.indexOf(node), 1, ...made);
  }
  // Drop the initializers no node reads any more.
  const read = new Set(g.nodes.flatMap((n) => n.input));
  for (let i = g.initializers.length - 1; i >= 0; i--) if (!read.has(g.initializers[i]!.name)) g.initializers.splice(i, 1);
}

/** The smallest float32 >= t, so that float32 `s >= t32` says exactly what `s >= t` says. */
export function float32AtLeast(t: number): number {
  let f = Math.fround(t);
  if (f >= t) return f;
  const buf = new DataView(new ArrayBuffer(4));
  buf.setFloat32(0, f);
  const bits = buf.getInt32(0);
  // Next float32 towards +infinity.
  buf.setInt32(0, f >= 0 ? bits + 1 : bits - 1);
  f = buf.getFloat32(0);
  return f;
}

function valueInfo(name: string, elemType: number, dims: (number | string)[], doc: string): ValueInfoProto {
  return {
    name,
    docString: doc,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

/**
 * Builds the ONNX scorer of a GANomaly generator chain, with the BatchNorm statistics its layers
 * hold now (the caller puts the ones it wants in place). Returns the model's bytes.
 *
 * Input `images`: float32 [n, imageSize, imageSize, channels], pixel values 0..255 (n dynamic).
 * Outputs: `score` [n] (raw anomaly score), and with a calibration `normalized_score` [n]
 * ((s − min)/(max − min) of the calibration range, not clipped) and `is_anomaly` [n] uint8
 * (score >= threshold); `z`, `z_hat` [n, latentDim] and `x_hat` [n, size, size, channels] (0..255)
 * when asked for.
 */
export async function buildOnnxScorer(nets: ScorerNetworks, options: BuildScorerOptions): Promise<Uint8Array> {
  const { imageSize: s, channels: c, latentDim, scoreVariant, calibration } = options;
  const extra = options.outputs ?? [];
  for (const o of extra) {
    if (!EXTRA_OUTPUTS.includes(o)) throw new ValueError(`exportOnnx: unknown output '${String(o)}'; choose from ${EXTRA_OUTPUTS.join(', ')}.`);
  }
  const g = new Graph();
  const input = g.name('images');
  // x / 127.5 − 1, clipped to [−1, 1], as @ganomaly/data's preprocess; then NHWC -> NCHW.
  const scaled = g.node('Sub', [g.node('Div', [input, g.constant('c127_5', new Float32Array([127.5]), [])], 'scale'), g.constant('one', new Float32Array([1]), [])], 'shift');
  const clipped = g.node('Clip', [scaled, g.constant('minus_one', new Float32Array([-1]), []), 'one'], 'clip');
  const x = g.node('Transpose', [clipped], 'to_nchw', [ints('perm', [0, 3, 1, 2])]);
  const fold = options.foldBatchNorm ?? true;
  const enc = await appendNetwork(g, nets.encoder, x, { c, h: s, w: s }, fold);
  // The 'knn' score reads z alone: the decoder and the re-encoder go into the graph only when
  // x̂ or ẑ are asked for (a third of the arithmetic otherwise).
  const generator = scoreVariant !== 'knn' || extra.includes('zHat') || extra.includes('xHat');
  const dec = generator ? await appendNetwork(g, nets.decoder, enc.out, enc.shape, fold) : null;
  const re = dec ? await appendNetwork(g, nets.reencoder, dec.out, dec.shape, fold) : null;
  for (const [what, sh] of [['encoder', enc.shape], ['reencoder', re?.shape]] as const) {
    if (sh && (sh.h !== 1 || sh.w !== 1 || sh.c !== latentDim)) throw new ValueError(`exportOnnx: the ${what} gives [${sh.c}, ${sh.h}, ${sh.w}], not a latent code [${latentDim}, 1, 1].`);
  }
  if (dec && (dec.shape.h !== s || dec.shape.w !== s || dec.shape.c !== c)) throw new ValueError(`exportOnnx: the decoder gives [${dec.shape.c}, ${dec.shape.h}, ${dec.shape.w}], not an image [${c}, ${s}, ${s}].`);
  if ((options.convTranspose ?? 'subpixel') === 'subpixel') rewriteConvTransposes(g);
  const axes = [1, 2, 3];
  const diff = () => g.node('Sub', [enc.out, re!.out], 'score/diff');
  const square = (t: string) => g.node('Mul', [t, t], 'score/square');
  const outputs: ValueInfoProto[] = [];
  if (!ONNX_SCORE_VARIANTS.includes(scoreVariant)) throw new ValueError(`exportOnnx: unknown score variant '${String(scoreVariant)}'; the graph computes ${ONNX_SCORE_VARIANTS.join(', ')}.`);
  const score =
    scoreVariant === 'mse'
      ? g.node('ReduceMean', [square(diff())], 'score/mean', [ints('axes', axes), int('keepdims', 0)], 'score')
      : scoreVariant === 'l1'
        ? g.node('ReduceSum', [g.node('Abs', [diff()], 'score/abs'), g.int64s('score/axes', axes)], 'score/sum', [int('keepdims', 0)], 'score')
        : scoreVariant === 'knn'
          ? knnScore(g, enc.out, latentDim, options.memory)
          : // mean |x − x̂| over channels and pixels (NCHW), x the clipped [−1, 1] input, as the library's 'reconstruction'.
            g.node('ReduceMean', [g.node('Abs', [g.node('Sub', [x, dec!.out], 'score/pixel_diff')], 'score/pixel_abs')], 'score/pixel_mean', [ints('axes', axes), int('keepdims', 0)], 'score');
  g.name('score');
  outputs.push(valueInfo('score', DataType.FLOAT, ['n'], `anomaly score (${scoreVariant}), higher = more anomalous`));
  if (calibration) {
    const { min, max } = calibration.normalization;
    const span = max - min;
    const sub = g.node('Sub', [score, g.constant('calibration/min', new Float32Array([min]), [])], 'normalized/sub');
    if (span === 0) g.node('Mul', [sub, g.constant('zero', new Float32Array([0]), [])], 'normalized', [], 'normalized_score');
    else g.node('Div', [sub, g.constant('calibration/span', new Float32Array([span]), [])], 'normalized', [], 'normalized_score');
    g.name('normalized_score');
    const flag = g.node('GreaterOrEqual', [score, g.constant('calibration/threshold', new Float32Array([float32AtLeast(calibration.threshold)]), [])], 'flag');
    g.node('Cast', [flag], 'is_anomaly', [int('to', DataType.UINT8)], 'is_anomaly');
    g.name('is_anomaly');
    outputs.push(valueInfo('normalized_score', DataType.FLOAT, ['n'], 'score min-max normalised with the calibration range (not clipped)'));
    outputs.push(valueInfo('is_anomaly', DataType.UINT8, ['n'], '1 where score >= the calibrated threshold'));
  }
  if (extra.includes('z')) {
    g.node('Flatten', [enc.out], 'z', [int('axis', 1)], 'z');
    outputs.push(valueInfo('z', DataType.FLOAT, ['n', latentDim], 'latent code G_E(x)'));
  }
  if (extra.includes('zHat')) {
    g.node('Flatten', [re!.out], 'z_hat', [int('axis', 1)], 'z_hat');
    outputs.push(valueInfo('z_hat', DataType.FLOAT, ['n', latentDim], 'latent code E(G(x))'));
  }
  if (extra.includes('xHat')) {
    const nhwc = g.node('Transpose', [dec!.out], 'x_hat/nhwc', [ints('perm', [0, 2, 3, 1])]);
    const plus = g.node('Add', [nhwc, 'one'], 'x_hat/plus_one');
    g.node('Mul', [plus, 'c127_5'], 'x_hat', [], 'x_hat');
    outputs.push(valueInfo('x_hat', DataType.FLOAT, ['n', s, s, c], 'reconstruction G(x), pixel values 0..255'));
  }
  const info: OnnxModelInfo = {
    format: 'ganomaly-onnx',
    formatVersion: 1,
    libraryVersion: options.libraryVersion,
    imageSize: s,
    channels: c,
    latentDim,
    scoreVariant,
    ...(scoreVariant === 'knn' ? { memory: { count: options.memory!.count, neighbours: options.memory!.neighbours } } : {}),
    batchNormStatistics: options.batchNormStatistics,
    calibration,
    outputs: outputs.map((o) => o.name),
    config: options.config,
    ...(options.epochsTrained !== undefined ? { epochsTrained: options.epochsTrained } : {}),
  };
  return encodeModel({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: '@ganomaly/onnx',
    producerVersion: options.libraryVersion,
    docString: 'GANomaly anomaly scorer: images [n, size, size, channels] pixel values 0..255 -> scores',
    graph: {
      name: 'ganomaly_scorer',
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo(input, DataType.FLOAT, ['n', s, s, c], 'images, NHWC, pixel values 0..255 at the model size (resize outside)')],
      output: outputs,
    },
    metadataProps: [{ key: METADATA_KEY, value: JSON.stringify(info) }],
  });
}

/**
 * The 'knn' score in the graph, as @ganomaly/math's nearestDistance computes it: the k nearest
 * rows of the memory M (the initializer 'memory/codes', [m, latentDim]) by ‖M‖² − 2 z·Mᵀ (one Gemm,
 * ‖M‖² per row a second initializer), then the mean of their Euclidean distances to z computed
 * from the differences (TopK, Gather).
 */
function knnScore(g: Graph, code: string, latentDim: number, memory: BuildScorerOptions['memory']): string {
  if (!memory || memory.codes.length !== memory.count * latentDim || memory.count < 1) {
    throw new ValueError(`exportOnnx: scoreVariant 'knn' needs the model's memory of training codes ([count, ${latentDim}]); the model holds none: train it, or call recomputeStatistics(trainingImages).`);
  }
  const { codes, count: m, neighbours: k } = memory;
  if (!Number.isInteger(k) || k < 1 || k > m) throw new ValueError(`exportOnnx: neighbours must be an integer in [1, ${m}], got ${k}.`);
  const norms = new Float32Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < latentDim; j++) s += codes[i * latentDim + j]! ** 2;
    norms[i] = s;
  }
  const mem = g.constant('memory/codes', codes, [m, latentDim]);
  const z = g.node('Flatten', [code], 'knn/z', [int('axis', 1)]);
  // ‖M‖² − 2 z·Mᵀ: ranks the memory's rows as ‖z − M‖² does.
  const rank = g.node('Gemm', [z, mem, g.constant('memory/norms', norms, [1, m])], 'knn/rank', [float('alpha', -2), float('beta', 1), int('transB', 1)]);
  const neg = g.node('Neg', [rank], 'knn/neg');
  const indices = g.name('knn/nearest');
  g.nodes.push({ name: g.name('knn/topk/TopK'), opType: 'TopK', input: [neg, g.int64s('knn/k', [k])], output: [g.name('knn/top_values'), indices], attribute: [int('axis', 1), int('largest', 1), int('sorted', 1)] });
  const rows = g.node('Gather', [mem, indices], 'knn/rows', [int('axis', 0)]); // [n, k, d]
  const diff = g.node('Sub', [rows, g.node('Unsqueeze', [z, g.int64s('knn/unsqueeze_axes', [1])], 'knn/z3')], 'knn/diff');
  const d2 = g.node('ReduceSum', [g.node('Mul', [diff, diff], 'knn/square'), g.int64s('knn/sum_axes', [2])], 'knn/d2', [int('keepdims', 0)]);
  return g.node('ReduceMean', [g.node('Sqrt', [d2], 'knn/dist')], 'knn/mean', [ints('axes', [1]), int('keepdims', 0)], 'score');
}
