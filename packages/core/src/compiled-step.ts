// GANomaly's training iteration (G's Adam step, then D's) as one TensorFlow graph, for the `node`
// backend: the eager step (training.ts's trainStep) dispatches about 2,100 ops a step from
// JavaScript, each a separate TensorFlow eager call with its own allocation; the same step run
// as one session call lets TensorFlow schedule, fuse (Grappler, oneDNN) and reuse buffers. It
// computes what the eager step computes, operation for operation: the same forward passes in
// training mode, the gradients of the same losses (written out below for each layer kind), tfjs's
// Adam formula, and the same BatchNorm running-average updates in the same order. The weights,
// the optimisers' moments and the running averages stay in the library's tf.Variables: each call
// feeds them in and assigns the new values back, so checkpoints, resets, selection and the other
// backends see no difference. Networks with a layer kind not translated here (custom encoders)
// keep the eager step. Not part of the public API.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { DEFAULT_LOSS_WEIGHTS, type LossWeights } from '@ganomaly/math';
import type { GanomalyNetworks } from '@ganomaly/models';
import { DT_FLOAT, DT_INT32, GraphBuilder, type Attr } from './tf-graph.js';
import { discriminatorVariables, generatorVariables } from './train-step.js';

const F = { type: DT_FLOAT };

/** A symbolic tensor of tfjs-layers (only its id is used). */
type Sym = { id: number; shape: (number | null)[] };
type AnyLayer = tfl.layers.Layer & Record<string, any>;

/** What the backward pass of one layer needs from its forward pass. */
interface Rec {
  layer: AnyLayer;
  kind: 'conv' | 'convt' | 'bn' | 'lrelu' | 'relu' | 'tanh' | 'sigmoid' | 'flatten';
  input: number;
  output: number;
  x: string;
  y: string;
  w?: string;
  wVar?: tf.Variable;
  /** A convolution's strides and padding, the same for its gradients. */
  conv?: Record<string, Attr>;
  gammaVar?: tf.Variable;
  betaVar?: tf.Variable;
  inShape: number[];
  bn?: { reserve: [string, string, string]; gamma: string };
}

/** Why a network cannot be compiled (null: it can). */
export function unsupportedLayer(nets: GanomalyNetworks): string | null {
  for (const model of Object.values(nets) as tfl.LayersModel[]) {
    for (const l of model.layers as AnyLayer[]) {
      const c = l.getClassName();
      const cfg = l.getConfig() as Record<string, any>;
      // A layer applied more than once inside a model (shared weights) is not translated.
      if (c !== 'InputLayer' && l.inboundNodes.length !== 1) return `${model.name}/${l.name} (${c}, applied ${l.inboundNodes.length} times)`;
      if (c === 'InputLayer' || c === 'LeakyReLU' || c === 'Flatten') continue;
      if (c === 'ReLU' && cfg['maxValue'] == null) continue;
      if (c === 'Activation' && (cfg['activation'] === 'tanh' || cfg['activation'] === 'sigmoid')) continue;
      if ((c === 'Conv2D' || c === 'Conv2DTranspose') && !cfg['useBias'] && (cfg['activation'] ?? 'linear') === 'linear' && cfg['dataFormat'] === 'channelsLast') {
        const d = cfg['dilationRate'] ?? 1;
        if ((Array.isArray(d) ? d : [d]).every((v: number) => v === 1)) continue;
      }
      if (c === 'BatchNormalization' && (cfg['axis'] === -1 || cfg['axis'] === 3) && cfg['center'] && cfg['scale']) continue;
      return `${model.name}/${l.name} (${c})`;
    }
    if (model.inputs.length !== 1) return `${model.name} (${model.inputs.length} inputs)`;
  }
  return null;
}

const pair = (v: number | number[]) => (Array.isArray(v) ? v : [v, v]);

/**
 * The forward pass of one tfjs-layers model in training mode as graph nodes. `vars` maps a weight
 * (its tf.Variable) to the graph tensor fed for it. Returns the graph tensors of the model's
 * outputs, the tape for the backward pass, and each BatchNorm call's batch statistics.
 */
function forwardModel(g: GraphBuilder, model: tfl.LayersModel, input: string, n: number, vars: Map<tf.Variable, string>) {
  const value = new Map<number, string>();
  value.set((model.inputs[0] as unknown as Sym).id, input);
  const tape: Rec[] = [];
  const stats: { layer: AnyLayer; mean: string; variance: string }[] = [];
  const feed = (v: tf.Variable) => {
    const t = vars.get(v);
    if (!t) throw new Error(`compiled step: no graph input for ${v.name}`);
    return t;
  };
  for (const l of model.layers as AnyLayer[]) {
    const c = l.getClassName();
    if (c === 'InputLayer') continue;
    const inSym = l.inboundNodes[0]!.inputTensors[0] as unknown as Sym;
    const outSym = l.inboundNodes[0]!.outputTensors[0] as unknown as Sym;
    const x = value.get(inSym.id);
    if (x === undefined) throw new Error(`compiled step: ${l.name}'s input is not computed`);
    const inShape = [n, ...(inSym.shape.slice(1) as number[])];
    const outShape = [n, ...(outSym.shape.slice(1) as number[])];
    const rec: Rec = { layer: l, kind: 'relu', input: inSym.id, output: outSym.id, x, y: '', inShape };
    if (c === 'Conv2D' || c === 'Conv2DTranspose') {
      const wVar = l.kernel.read() as tf.Variable;
      const w = feed(wVar);
      const [sh, sw] = pair(l.strides);
      const conv = { T: F, strides: { ints: [1, sh!, sw!, 1] }, padding: { s: l.padding === 'same' ? 'SAME' : 'VALID' } };
      rec.kind = c === 'Conv2D' ? 'conv' : 'convt';
      rec.w = w;
      rec.wVar = wVar;
      rec.conv = conv;
      rec.y = c === 'Conv2D' ? g.op('Conv2D', [x, w], conv) : g.op('Conv2DBackpropInput', [g.ints(outShape), w, x], conv);
    } else if (c === 'BatchNormalization') {
      const gammaVar = l.gamma.read() as tf.Variable;
      const betaVar = l.beta.read() as tf.Variable;
      const gamma = feed(gammaVar);
      const bn = g.op('FusedBatchNormV3', [x, gamma, feed(betaVar), g.empty(), g.empty()], { T: F, U: F, epsilon: { f: l.epsilon }, is_training: { b: true }, data_format: { s: 'NHWC' } });
      const count = inShape[0]! * inShape[1]! * inShape[2]!;
      rec.kind = 'bn';
      rec.gammaVar = gammaVar;
      rec.betaVar = betaVar;
      rec.y = bn;
      rec.bn = { reserve: [`${bn}:3`, `${bn}:4`, `${bn}:5`], gamma };
      // batch_variance is Bessel-corrected; tfjs's moments (and so its running average) is not.
      stats.push({ layer: l, mean: `${bn}:1`, variance: g.op('Mul', [`${bn}:2`, g.scalar((count - 1) / count)], { T: F }) });
    } else if (c === 'LeakyReLU') {
      rec.kind = 'lrelu';
      rec.y = g.op('LeakyRelu', [x], { T: F, alpha: { f: l.alpha } });
    } else if (c === 'ReLU') {
      rec.y = g.op('Relu', [x], { T: F });
    } else if (c === 'Activation') {
      rec.kind = (l.getConfig() as any).activation;
      rec.y = g.op(rec.kind === 'tanh' ? 'Tanh' : 'Sigmoid', [x], { T: F });
    } else if (c === 'Flatten') {
      rec.kind = 'flatten';
      rec.y = g.op('Reshape', [x, g.ints(outShape)], { T: F, Tshape: { type: DT_INT32 } });
    } else {
      throw new Error(`compiled step: layer ${l.name} (${c}) has no translation`);
    }
    value.set(outSym.id, rec.y);
    tape.push(rec);
  }
  const outputs = model.outputs.map((o) => value.get((o as unknown as Sym).id)!);
  return { outputs, tape, stats, inputId: (model.inputs[0] as unknown as Sym).id, outIds: model.outputs.map((o) => (o as unknown as Sym).id) };
}

type Tape = ReturnType<typeof forwardModel>;

/**
 * The backward pass over a tape: `seeds` gives the gradients of the model's outputs (by output
 * index). Returns the gradient of the model's input (when `inputGrad`) and, when `weightGrads`,
 * the gradient of each trainable weight.
 */
function backward(g: GraphBuilder, t: Tape, seeds: Map<number, string>, inputGrad: boolean, weightGrads: boolean) {
  const grad = new Map<number, string[]>();
  for (const [i, s] of seeds) grad.set(t.outIds[i]!, [s]);
  const wg = new Map<tf.Variable, string>();
  const sum = (gs: string[]) => (gs.length === 1 ? gs[0]! : g.op('AddN', gs, { N: { i: gs.length }, T: F }));
  for (let k = t.tape.length - 1; k >= 0; k--) {
    const r = t.tape[k]!;
    const gs = grad.get(r.output);
    if (!gs) continue;
    const dy = sum(gs);
    const needDx = inputGrad || r.input !== t.inputId;
    let dx: string | null = null;
    switch (r.kind) {
      case 'conv':
        if (needDx) dx = g.op('Conv2DBackpropInput', [g.ints(r.inShape), r.w!, dy], r.conv);
        if (weightGrads) wg.set(r.wVar!, g.op('Conv2DBackpropFilter', [r.x, g.ints(r.wVar!.shape), dy], r.conv));
        break;
      case 'convt':
        if (needDx) dx = g.op('Conv2D', [dy, r.w!], r.conv);
        if (weightGrads) wg.set(r.wVar!, g.op('Conv2DBackpropFilter', [dy, g.ints(r.wVar!.shape), r.x], r.conv));
        break;
      case 'bn': {
        const b = r.bn!;
        const gr = g.op('FusedBatchNormGradV3', [dy, r.x, b.gamma, ...b.reserve], { T: F, U: F, epsilon: { f: r.layer.epsilon }, is_training: { b: true }, data_format: { s: 'NHWC' } });
        dx = gr;
        if (weightGrads) {
          wg.set(r.gammaVar!, `${gr}:1`);
          wg.set(r.betaVar!, `${gr}:2`);
        }
        break;
      }
      case 'lrelu':
        dx = g.op('LeakyReluGrad', [dy, r.x], { T: F, alpha: { f: r.layer.alpha } });
        break;
      case 'relu':
        dx = g.op('ReluGrad', [dy, r.y], { T: F });
        break;
      case 'tanh':
        dx = g.op('TanhGrad', [r.y, dy], { T: F });
        break;
      case 'sigmoid':
        dx = g.op('SigmoidGrad', [r.y, dy], { T: F });
        break;
      case 'flatten':
        dx = g.op('Reshape', [dy, g.ints(r.inShape)], { T: F, Tshape: { type: DT_INT32 } });
        break;
    }
    if (dx && needDx) grad.set(r.input, [...(grad.get(r.input) ?? []), dx]);
  }
  const ig = grad.get(t.inputId);
  return { input: inputGrad && ig ? sum(ig) : null, weights: wg };
}

/** The graph tensors an Adam update of `vars` reads and writes. */
interface AdamIO {
  inputs: { name: string; tensor: () => tf.Tensor }[];
  outputs: { name: string; write: (t: tf.Tensor) => void }[];
}

/** What tfjs's AdamOptimizer holds (private there): its state is read and written here. */
interface AdamInternals {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
  incrementIterations(): void;
}

/** Creates Adam's moments the way tfjs's first applyGradients does (so that its state has them). */
function ensureMoments(opt: AdamInternals, vars: tf.Variable[]): void {
  vars.forEach((v, i) => {
    opt.accumulatedFirstMoment[i] ??= { originalName: `${v.name}/m`, variable: tf.tidy(() => tf.zerosLike(v).variable(false)) };
    opt.accumulatedSecondMoment[i] ??= { originalName: `${v.name}/v`, variable: tf.tidy(() => tf.zerosLike(v).variable(false)) };
  });
}

/** tfjs's Adam update (adam_optimizer.ts) for each variable, as graph nodes. */
function adamNodes(g: GraphBuilder, opt: AdamInternals, vars: tf.Variable[], fed: Map<tf.Variable, string>, grads: Map<tf.Variable, string>, who: string): AdamIO {
  const io: AdamIO = { inputs: [], outputs: [] };
  const b1 = g.placeholder(`${who}_accbeta1`, []);
  const b2 = g.placeholder(`${who}_accbeta2`, []);
  io.inputs.push({ name: b1, tensor: () => opt.accBeta1 }, { name: b2, tensor: () => opt.accBeta2 });
  const omb1 = g.op('Sub', [g.scalar(1), b1], { T: F });
  const omb2 = g.op('Sub', [g.scalar(1), b2], { T: F });
  vars.forEach((v, i) => {
    const grad = grads.get(v);
    if (!grad) throw new Error(`compiled step: no gradient for ${v.name}`);
    const m = g.placeholder(`${who}_m${i}`, v.shape);
    const s = g.placeholder(`${who}_v${i}`, v.shape);
    io.inputs.push({ name: m, tensor: () => opt.accumulatedFirstMoment[i]!.variable }, { name: s, tensor: () => opt.accumulatedSecondMoment[i]!.variable });
    const m1 = g.op('AddV2', [g.op('Mul', [m, g.scalar(opt.beta1)], { T: F }), g.op('Mul', [grad, g.scalar(1 - opt.beta1)], { T: F })], { T: F });
    const v1 = g.op('AddV2', [g.op('Mul', [s, g.scalar(opt.beta2)], { T: F }), g.op('Mul', [g.op('Square', [grad], { T: F }), g.scalar(1 - opt.beta2)], { T: F })], { T: F });
    const c1 = g.op('RealDiv', [m1, omb1], { T: F });
    const c2 = g.op('RealDiv', [v1, omb2], { T: F });
    const step = g.op('Mul', [g.op('RealDiv', [c1, g.op('AddV2', [g.op('Sqrt', [c2], { T: F }), g.scalar(opt.epsilon)], { T: F })], { T: F }), g.scalar(-opt.learningRate)], { T: F });
    const w1 = g.op('AddV2', [step, fed.get(v)!], { T: F });
    io.outputs.push(
      { name: w1, write: (t) => v.assign(t) },
      { name: m1, write: (t) => opt.accumulatedFirstMoment[i]!.variable.assign(t) },
      { name: v1, write: (t) => opt.accumulatedSecondMoment[i]!.variable.assign(t) },
    );
  });
  io.outputs.push(
    { name: g.op('Mul', [b1, g.scalar(opt.beta1)], { T: F }), write: (t) => opt.accBeta1.assign(t) },
    { name: g.op('Mul', [b2, g.scalar(opt.beta2)], { T: F }), write: (t) => opt.accBeta2.assign(t) },
  );
  return io;
}

/** The part of tfjs-node's backend this uses (nodejs_kernel_backend.ts). */
export interface SessionBackend {
  loadSavedModelMetaGraph(path: string, tags: string): number;
  runSavedModel(id: number, inputs: tf.Tensor[], infos: { name: string; dtype: string; tfDtype: string }[], outputs: string[]): tf.Tensor[];
  deleteSavedModel(id: number): void;
}

/** The compiled step's graph for one batch size, and how to feed and read it. */
export interface StepGraph {
  savedModel: Uint8Array;
  inputs: { name: string; tensor: (x: tf.Tensor4D) => tf.Tensor }[];
  outputs: { name: string; write: (t: tf.Tensor) => void }[];
  losses: string;
  optimizers: AdamInternals[];
}

/** Builds the step graph for batches of `n` images. */
export function buildStepGraph(nets: GanomalyNetworks, optG: tf.Optimizer, optD: tf.Optimizer, weights: Partial<LossWeights>, n: number): StepGraph {
  const oG = optG as unknown as AdamInternals;
  const oD = optD as unknown as AdamInternals;
  const w = { ...DEFAULT_LOSS_WEIGHTS, ...weights };
  const g = new GraphBuilder();
  const inputs: StepGraph['inputs'] = [];
  const outputs: StepGraph['outputs'] = [];
  const [, h, wd, c] = nets.encoder.inputs[0]!.shape as number[];
  const x = g.placeholder('x', [n, h!, wd!, c!]);
  inputs.push({ name: x, tensor: (t) => t });
  const gVars = generatorVariables(nets);
  const dVars = discriminatorVariables(nets);
  const fed = new Map<tf.Variable, string>();
  [...gVars, ...dVars].forEach((v, i) => {
    const p = g.placeholder(`w${i}`, v.shape);
    fed.set(v, p);
    inputs.push({ name: p, tensor: () => v });
  });
  const e1 = forwardModel(g, nets.encoder, x, n, fed);
  const z = e1.outputs[0]!;
  const dec = forwardModel(g, nets.decoder, z, n, fed);
  const xh = dec.outputs[0]!;
  const e2 = forwardModel(g, nets.reencoder, xh, n, fed);
  const zh = e2.outputs[0]!;
  // D in training mode on x and on x̂: the generator's step and the discriminator's step see the
  // same D (G's update does not change it) on the same inputs, so one forward pass serves both.
  const dReal = forwardModel(g, nets.discriminator, x, n, fed);
  const dFake = forwardModel(g, nets.discriminator, xh, n, fed);
  const [pReal, fReal] = dReal.outputs as [string, string];
  const [pFake, fFake] = dFake.outputs as [string, string];
  const size = (t: { shape: (number | null)[] }) => n * (t.shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
  const mean = (t: string, rank: number) => g.op('Mean', [t, g.ints([...Array(rank).keys()])], { T: F, Tidx: { type: DT_INT32 }, keep_dims: { b: false } });
  const mul = (a: string, k: number) => g.op('Mul', [a, g.scalar(k)], { T: F });
  // Losses (packages/math/src/losses.ts).
  const adv = mean(g.op('SquaredDifference', [fReal, fFake], { T: F }), 4);
  const diff = g.op('Sub', [x, xh], { T: F });
  const con = mean(g.op('Abs', [diff], { T: F }), 4);
  const enc = mean(g.op('SquaredDifference', [z, zh], { T: F }), 4);
  const gLoss = g.op('AddN', [mul(adv, w.adversarial), mul(con, w.contextual), mul(enc, w.encoder)], { N: { i: 3 }, T: F });
  const clampLog = (p: string) => g.op('Maximum', [g.op('Log', [p], { T: F }), g.scalar(-100)], { T: F });
  const clampLog1m = (p: string) => g.op('Maximum', [g.op('Log1p', [g.op('Neg', [p], { T: F })], { T: F }), g.scalar(-100)], { T: F });
  const dLoss = mul(g.op('AddV2', [g.op('Neg', [mean(clampLog(pReal), 2)], { T: F }), g.op('Neg', [mean(clampLog1m(pFake), 2)], { T: F })], { T: F }), 0.5);
  const losses = g.op('Pack', [gLoss, dLoss, adv, con, enc], { T: F, N: { i: 5 }, axis: { i: 0 } }, 'losses');

  // G's gradients: L_adv through D's features (input gradient only), L_enc through E and
  // directly into z, L_con directly into x̂; tfjs's abs gradient is step(u, -1), -1 at u = 0.
  const fShape = nets.discriminator.outputs[1]!;
  const dFf = mul(g.op('Sub', [fFake, fReal], { T: F }), (2 * w.adversarial) / size(fShape));
  const dxhAdv = backward(g, dFake, new Map([[1, dFf]]), true, false).input!;
  const zSize = size(nets.encoder.outputs[0]!);
  const dZh = mul(g.op('Sub', [zh, z], { T: F }), (2 * w.encoder) / zSize);
  const bE2 = backward(g, e2, new Map([[0, dZh]]), true, true);
  const xSize = n * h! * wd! * c!;
  const k = w.contextual / xSize;
  const positive = g.op('Greater', [diff, g.scalar(0)], { T: F });
  const dxhCon = g.op('SelectV2', [positive, g.scalar(-k), g.scalar(k)], { T: F });
  const dXh = g.op('AddN', [dxhAdv, bE2.input!, dxhCon], { N: { i: 3 }, T: F });
  const bDec = backward(g, dec, new Map([[0, dXh]]), true, true);
  const dZ = g.op('AddV2', [g.op('Neg', [dZh], { T: F }), bDec.input!], { T: F });
  const bE1 = backward(g, e1, new Map([[0, dZ]]), false, true);
  const gGrads = new Map([...bE1.weights, ...bDec.weights, ...bE2.weights]);

  // D's gradients of 0.5·(BCE(D(x), 1) + BCE(D(x̂), 0)) with the clamped log's gradient 1/max(p, 1e-12).
  const pSize = size(nets.discriminator.outputs[0]!);
  const dpReal = g.op('RealDiv', [g.scalar(-0.5 / pSize), g.op('Maximum', [pReal, g.scalar(1e-12)], { T: F })], { T: F });
  const dpFake = g.op('RealDiv', [g.scalar(0.5 / pSize), g.op('Maximum', [g.op('Sub', [g.scalar(1), pFake], { T: F }), g.scalar(1e-12)], { T: F })], { T: F });
  const bDr = backward(g, dReal, new Map([[0, dpReal]]), false, true);
  const bDf = backward(g, dFake, new Map([[0, dpFake]]), false, true);
  const dGrads = new Map<tf.Variable, string>();
  for (const v of dVars) {
    const a = bDr.weights.get(v);
    const b = bDf.weights.get(v);
    if (a && b) dGrads.set(v, g.op('AddV2', [a, b], { T: F }));
  }

  for (const io of [adamNodes(g, oG, gVars, fed, gGrads, 'g'), adamNodes(g, oD, dVars, fed, dGrads, 'd')]) {
    inputs.push(...io.inputs);
    outputs.push(...io.outputs);
  }

  // The running averages, updated as tfjs-layers does after each training-mode call, in the eager
  // step's order: G_E, G_D, E once each; D on x and on x̂ in G's step, then again in D's.
  const calls = [...e1.stats, ...dec.stats, ...e2.stats];
  for (let i = 0; i < dReal.stats.length; i++) calls.push(dReal.stats[i]!, dFake.stats[i]!, dReal.stats[i]!, dFake.stats[i]!);
  const current = new Map<AnyLayer, { mean: string; variance: string }>();
  for (const call of calls) {
    let cur = current.get(call.layer);
    if (!cur) {
      const id = current.size;
      cur = { mean: g.placeholder(`bn${id}_mean`, call.layer.movingMean.shape), variance: g.placeholder(`bn${id}_var`, call.layer.movingVariance.shape) };
      const layer = call.layer;
      inputs.push({ name: cur.mean, tensor: () => layer.movingMean.read() }, { name: cur.variance, tensor: () => layer.movingVariance.read() });
    }
    const decay = 1 - call.layer.momentum;
    const upd = (orig: string, v: string) => g.op('Sub', [orig, mul(g.op('Sub', [orig, v], { T: F }), decay)], { T: F });
    current.set(call.layer, { mean: upd(cur.mean, call.mean), variance: upd(cur.variance, call.variance) });
  }
  for (const [layer, cur] of current) {
    outputs.push({ name: cur.mean, write: (t) => layer.movingMean.write(t) }, { name: cur.variance, write: (t) => layer.movingVariance.write(t) });
  }
  ensureMoments(oG, gVars);
  ensureMoments(oD, dVars);
  return { savedModel: g.savedModel(), inputs, outputs, losses, optimizers: [oG, oD] };
}

const INFO = (name: string) => ({ name: `${name}:0`, dtype: 'float32', tfDtype: 'DT_FLOAT' });
const outName = (name: string) => (name.includes(':') ? name : `${name}:0`);

/**
 * Runs a step graph loaded into a TF session: feeds the current weights, moments and running
 * averages, assigns what comes back, and returns the losses [g, d, adv, con, enc].
 */
export function runStepGraph(backend: SessionBackend, session: number, graph: StepGraph, x: tf.Tensor4D): tf.Tensor1D {
  const ins = graph.inputs.map((i) => i.tensor(x));
  const names = [graph.losses, ...graph.outputs.map((o) => o.name)].map(outName);
  const outs = backend.runSavedModel(session, ins, graph.inputs.map((i) => INFO(i.name)), names);
  const [losses, ...rest] = outs;
  rest.forEach((t, i) => {
    graph.outputs[i]!.write(t);
    t.dispose();
  });
  for (const o of graph.optimizers) o.incrementIterations();
  return losses as tf.Tensor1D;
}

/** Whether Adam optimisers of tfjs, which the graph reproduces. */
export function isTfjsAdam(o: tf.Optimizer): boolean {
  return o.getClassName() === 'Adam' && 'accBeta1' in o && 'accumulatedFirstMoment' in o;
}
