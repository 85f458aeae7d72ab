// quantizeOnnx: an exported scorer with 8-bit convolutions (ONNX's QDQ form: QuantizeLinear /
// DequantizeLinear pairs around every Conv, which ONNX Runtime's CPU provider fuses into
// QLinearConv). Static quantization calibrated on images the caller gives (normal training
// images, never test images): the same recipe as ONNX Runtime's Python `quantize_static` with
// QDQ format, MinMax calibration, uint8 activations per tensor, int8 weights per output channel
// and int32 biases, so that a file written here and one written by that tool score alike.
import { ModelFormatError, ValueError, fail, failWith } from '@ganomaly/common';
import { METADATA_KEY, type OnnxQuantizationInfo } from './export.js';
import { DataType, decodeModel, encodeModel, type NodeProto, type TensorProto, type ValueInfoProto } from './proto.js';
import { OnnxScorer, readOnnxModelInfo, type OnnxImageInput, type OnnxScorerOptions } from './scorer.js';

export interface QuantizeOnnxOptions {
  /** ONNX Runtime for the calibration runs, as OnnxScorer.load takes it. Default: onnxruntime-node in Node, onnxruntime-web elsewhere. */
  runtime?: OnnxScorerOptions['runtime'];
  /** Threads of the calibration runs. Default: ONNX Runtime's. */
  threads?: number;
  /** Calibration images per run. Default 64. */
  batchSize?: number;
}

/** Convolutions with at most this many input channels read images (1 grey, 3 RGB, 4 RGBA) and stay float. */
const IMAGE_CHANNELS = 4;

/**
 * The Conv nodes from which some graph output (score, z, x̂ ...) is reached without passing
 * through another Conv.
 */
function scoreHeads(nodes: readonly NodeProto[], convs: readonly NodeProto[], outputs: ReadonlySet<string>): Set<NodeProto> {
  const readers = new Map<string, NodeProto[]>();
  for (const n of nodes) for (const i of n.input) readers.set(i, [...(readers.get(i) ?? []), n]);
  const isConv = new Set<NodeProto>(nodes.filter((n) => n.opType === 'Conv' || n.opType === 'ConvTranspose'));
  const heads = new Set<NodeProto>();
  for (const c of convs) {
    const seen = new Set<string>();
    const stack = [...c.output];
    while (stack.length > 0) {
      const t = stack.pop()!;
      if (seen.has(t)) continue;
      seen.add(t);
      if (outputs.has(t)) {
        heads.add(c);
        break;
      }
      for (const r of readers.get(t) ?? []) if (!isConv.has(r)) stack.push(...r.output);
    }
  }
  return heads;
}

/** Round half to even, as numpy's round (what ONNX Runtime's quantization tool uses). */
function roundEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function floatData(t: TensorProto): Float32Array {
  const raw = t.rawData!;
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
}

function tensor(name: string, dataType: number, dims: number[], data: Float32Array | Int8Array | Uint8Array | Int32Array): TensorProto {
  return { name, dataType, dims, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

function axis(value: number) {
  return { name: 'axis', type: 2, i: value };
}

/** uint8 scale and zero point for a tensor whose values lie in [min, max] (ONNX Runtime's compute_scale_zp). */
export function activationQuantParams(min: number, max: number): { scale: number; zeroPoint: number } {
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  const scale = hi === lo ? 1 : (hi - lo) / 255;
  const zeroPoint = Math.max(0, Math.min(255, roundEven(-lo / scale)));
  return { scale: Math.fround(scale), zeroPoint };
}

/** int8 weights per output channel (axis 0), symmetric in [−127, 127]; a zero channel gets scale 1. */
export function quantizeWeights(w: Float32Array, channels: number): { q: Int8Array; scales: Float32Array } {
  const per = w.length / channels;
  const q = new Int8Array(w.length);
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let m = 0;
    for (let i = c * per; i < (c + 1) * per; i++) m = Math.max(m, Math.abs(w[i]!));
    const s = Math.fround(m === 0 ? 1 : m / 127);
    scales[c] = s;
    for (let i = c * per; i < (c + 1) * per; i++) q[i] = Math.max(-127, Math.min(127, roundEven(w[i]! / s)));
  }
  return { q, scales };
}

/**
 * Writes an 8-bit version of an exported scorer (the bytes `exportOnnx` wrote). `calibration`
 * should be normal images like the training images, never the test set: their value ranges fix
 * the activations' scales (a few hundred images suffice). The result loads with OnnxScorer as any
 * export does, carries the same metadata plus `quantization`, and runs faster on ONNX Runtime's
 * CPU provider (1.5-1.7x here, docs/benchmarks.md); its scores differ slightly from the float
 * model's, so re-check the detection quality (and re-calibrate the threshold with its own scores
 * when the flags matter). Only Conv nodes are quantized: the stride-1 phase convolutions of the
 * default sub-pixel export and every encoder convolution, i.e. nearly all of the arithmetic.
 */
export async function quantizeOnnx(model: Uint8Array, calibration: OnnxImageInput, options: QuantizeOnnxOptions = {}): Promise<Uint8Array> {
  const fn = 'quantizeOnnx';
  if (!(model instanceof Uint8Array)) fail('model', fn, 'the bytes of an exported .onnx file (Uint8Array)', model);
  const info = readOnnxModelInfo(model);
  if (info.quantization) throw new ValueError(`${fn}: this model is already quantized (${info.quantization.type}); quantize the float export instead.`);
  const batchSize = options.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1) fail('options.batchSize', fn, 'a positive integer', batchSize);
  const proto = decodeModel(model);
  const g = proto.graph;
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  const candidates = g.node.filter((n) => n.opType === 'Conv' && (n.domain ?? '') === '' && inits.get(n.input[1]!)?.dataType === DataType.FLOAT);
  // Two kinds of convolution stay float, as they cost a few percent of the arithmetic and carry
  // most of the error 8 bits would add (measured in docs/onnx.md): those whose outputs reach the
  // score with no other convolution in between (the encoders' last layers, which write z and ẑ;
  // the decoder's last for the reconstruction score: the score is a small difference of their
  // outputs), and those that read images (at most 4 input channels: the image x and the
  // reconstruction x̂, whose small differences are what the score measures).
  const graphOutputs = new Set(g.output.map((o) => o.name));
  const heads = scoreHeads(g.node, candidates, graphOutputs);
  const convs = candidates.filter((n) => !heads.has(n) && Number(inits.get(n.input[1]!)!.dims[1]) > IMAGE_CHANNELS);
  if (convs.length === 0) throw new ValueError(`${fn}: the model has no Conv node with constant float weights to quantize.`);

  // Calibration: the float graph with every Conv's input and output as extra outputs; min/max over all images.
  const tensors = [...new Set(convs.flatMap((n) => [n.input[0]!, n.output[0]!]))];
  const calib = {
    ...proto,
    graph: { ...g, output: [...g.output, ...tensors.filter((t) => !graphOutputs.has(t)).map((name) => ({ name, type: { tensorType: { elemType: DataType.FLOAT } } }) as unknown as ValueInfoProto)] },
  };
  const scorer = await OnnxScorer.load(encodeModel(calib), { ...(options.runtime ? { runtime: options.runtime } : {}), ...(options.threads !== undefined ? { threads: options.threads } : {}) });
  const ranges = new Map(tensors.map((t) => [t, { min: Infinity, max: -Infinity }]));
  let images = 0;
  try {
    images = await scorer.forEachBatch(calibration, fn, batchSize, tensors, (out) => {
      for (const t of tensors) {
        const r = ranges.get(t)!;
        const d = out[t]!.data;
        for (let i = 0; i < d.length; i++) {
          const v = d[i]!;
          if (v < r.min) r.min = v;
          if (v > r.max) r.max = v;
        }
      }
    });
  } finally {
    await scorer.dispose();
  }
  for (const [t, r] of ranges) {
    if (!Number.isFinite(r.min) || !Number.isFinite(r.max)) failWith('calibration', fn, 'images whose activations are finite', `non-finite values in '${t}'`);
  }

  // QuantizeLinear -> DequantizeLinear after each calibrated tensor; every reader takes the dequantized copy.
  const added: TensorProto[] = [];
  const qdq = new Map<string, { dq: string; scale: number; nodes: NodeProto[] }>();
  for (const t of tensors) {
    const { min, max } = ranges.get(t)!;
    const { scale, zeroPoint } = activationQuantParams(min, max);
    const s = `${t}/q/scale`;
    const z = `${t}/q/zero_point`;
    added.push(tensor(s, DataType.FLOAT, [], Float32Array.of(scale)), tensor(z, DataType.UINT8, [], Uint8Array.of(zeroPoint)));
    qdq.set(t, {
      dq: `${t}/dq`,
      scale,
      nodes: [
        { name: `${t}/QuantizeLinear`, opType: 'QuantizeLinear', input: [t, s, z], output: [`${t}/q`] },
        { name: `${t}/DequantizeLinear`, opType: 'DequantizeLinear', input: [`${t}/q`, s, z], output: [`${t}/dq`] },
      ],
    });
  }
  // Weights int8 per output channel, biases int32 at input scale x weight scale, each through a DequantizeLinear.
  const weightNodes = new Map<NodeProto, NodeProto[]>();
  const replaced = new Set<string>();
  for (const n of convs) {
    const w = inits.get(n.input[1]!)!;
    const cout = Number(w.dims[0]);
    const { q, scales } = quantizeWeights(floatData(w), cout);
    const base = n.name || n.output[0]!;
    const pre: NodeProto[] = [];
    added.push(tensor(`${base}/w_q`, DataType.INT8, w.dims.map(Number), q), tensor(`${base}/w_scale`, DataType.FLOAT, [cout], scales), tensor(`${base}/w_zero_point`, DataType.INT8, [cout], new Int8Array(cout)));
    pre.push({ name: `${base}/w/DequantizeLinear`, opType: 'DequantizeLinear', input: [`${base}/w_q`, `${base}/w_scale`, `${base}/w_zero_point`], output: [`${base}/w_dq`], attribute: [axis(0)] });
    replaced.add(n.input[1]!);
    n.input[1] = `${base}/w_dq`;
    const b = n.input[2] ? inits.get(n.input[2]) : undefined;
    if (b && b.dataType === DataType.FLOAT) {
      const xs = qdq.get(n.input[0]!)!.scale;
      const bias = floatData(b);
      const bScale = Float32Array.from(scales, (s) => Math.fround(xs * s));
      const bq = Int32Array.from(bias, (v, c) => roundEven(v / bScale[c]!));
      added.push(tensor(`${base}/b_q`, DataType.INT32, [cout], bq), tensor(`${base}/b_scale`, DataType.FLOAT, [cout], bScale), tensor(`${base}/b_zero_point`, DataType.INT32, [cout], new Int32Array(cout)));
      pre.push({ name: `${base}/b/DequantizeLinear`, opType: 'DequantizeLinear', input: [`${base}/b_q`, `${base}/b_scale`, `${base}/b_zero_point`], output: [`${base}/b_dq`], attribute: [axis(0)] });
      replaced.add(n.input[2]!);
      n.input[2] = `${base}/b_dq`;
    }
    weightNodes.set(n, pre);
  }
  // Readers of a calibrated tensor read its dequantized copy (graph outputs keep the float tensor).
  for (const n of g.node) n.input = n.input.map((i) => qdq.get(i)?.dq ?? i);
  const nodes: NodeProto[] = [];
  const inputs = new Set(g.input.map((i) => i.name));
  for (const t of tensors) if (inputs.has(t)) nodes.push(...qdq.get(t)!.nodes);
  for (const n of g.node) {
    nodes.push(...(weightNodes.get(n) ?? []), n);
    for (const o of n.output) if (qdq.has(o)) nodes.push(...qdq.get(o)!.nodes);
  }
  const stillUsed = new Set(nodes.flatMap((n) => n.input));
  const quantization: OnnxQuantizationInfo = {
    type: 'int8-qdq',
    activations: 'uint8, per tensor, asymmetric (min/max over the calibration images)',
    weights: 'int8, per output channel, symmetric',
    convolutions: convs.length,
    calibrationImages: images,
  };
  const out = {
    ...proto,
    graph: { ...g, node: nodes, initializer: [...g.initializer.filter((t) => !replaced.has(t.name) || stillUsed.has(t.name)), ...added] },
    metadataProps: proto.metadataProps.map((p) => (p.key === METADATA_KEY ? { key: p.key, value: JSON.stringify({ ...info, quantization }) } : p)),
  };
  const bytes = encodeModel(out);
  try {
    readOnnxModelInfo(bytes);
  } catch (e) {
    throw new ModelFormatError(`Internal error: the quantized model does not read back: ${(e as Error).message}`);
  }
  return bytes;
}
