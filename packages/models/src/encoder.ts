import * as tfl from '@tensorflow/tfjs-layers';
import { fail, UnknownNameError, ValueError } from '@ganomaly/common';
import { SeededInit } from './init.js';
import { type NetworkOptions, type ResolvedNetworkOptions, pyramidSteps, resolveNetworkOptions } from './options.js';

/**
 * An encoder maps images [n, s, s, c] (scaled to [-1, 1]) to latent codes [n, 1, 1, latentDim].
 * GANomaly uses one architecture three times: the generator's encoder G_E, the second encoder E,
 * and (with latentDim 1) the discriminator's body. Its last layer must be the projection to the
 * latent code: the discriminator takes its input as the feature map f(x).
 */
export interface Encoder {
  /** Registry name; saved with the model so that a loaded model says what it was built from. */
  readonly name: string;
  build(options: ResolvedNetworkOptions): tfl.LayersModel;
}

/** The DCGAN encoder of the spec (and of the authors' code). */
export function dcganEncoder(options: NetworkOptions): tfl.LayersModel {
  const o = resolveNetworkOptions(options, 'dcganEncoder', 'encoder');
  const init = new SeededInit(o.seed);
  const p = o.name;
  const conv = (filters: number, kernelSize: number, strides: number, padding: 'same' | 'valid', name: string) =>
    tfl.layers.conv2d({ filters, kernelSize, strides, padding, useBias: false, kernelInitializer: init.conv(), name: `${p}_${name}` });
  const bn = (name: string) => init.batchNorm(o, `${p}_${name}`);
  const lrelu = (name: string) => tfl.layers.leakyReLU({ alpha: 0.2, name: `${p}_${name}` });

  const input = tfl.input({ shape: [o.imageSize, o.imageSize, o.channels], name: `${p}_input` });
  // k4 s2 'same' on an even size pads one pixel on each side: PyTorch's padding=1.
  let x = conv(o.baseWidth, 4, 2, 'same', 'initial_conv').apply(input) as tfl.SymbolicTensor;
  x = lrelu('initial_relu').apply(x) as tfl.SymbolicTensor;
  for (let i = 0; i < o.extraLayers; i++) {
    x = conv(o.baseWidth, 3, 1, 'same', `extra${i}_conv`).apply(x) as tfl.SymbolicTensor;
    x = bn(`extra${i}_bn`).apply(x) as tfl.SymbolicTensor;
    x = lrelu(`extra${i}_relu`).apply(x) as tfl.SymbolicTensor;
  }
  let width = o.baseWidth;
  for (let i = 1; i < pyramidSteps(o.imageSize); i++) {
    width *= 2;
    x = conv(width, 4, 2, 'same', `pyramid${i}_conv`).apply(x) as tfl.SymbolicTensor;
    x = bn(`pyramid${i}_bn`).apply(x) as tfl.SymbolicTensor;
    x = lrelu(`pyramid${i}_relu`).apply(x) as tfl.SymbolicTensor;
  }
  // 4x4 -> 1x1 without padding.
  const z = conv(o.latentDim, 4, 1, 'valid', 'final_conv').apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: z, name: p });
}

const registry = new Map<string, Encoder>();

/** Registers an encoder under its name, so that configs (and saved models) can refer to it by name. */
export function registerEncoder(encoder: Encoder): void {
  if (encoder == null || typeof encoder.name !== 'string' || !encoder.name || typeof encoder.build !== 'function') {
    fail('encoder', 'registerEncoder', "an object { name: string, build(options): LayersModel }", encoder);
  }
  const existing = registry.get(encoder.name);
  if (existing && existing !== encoder) {
    throw new ValueError(`An encoder named '${encoder.name}' is already registered; registerEncoder refuses to replace it. Pick another name.`);
  }
  registry.set(encoder.name, encoder);
}

export function listEncoders(): string[] {
  return [...registry.keys()];
}

/** Resolves "a name or an instance" to an Encoder; unknown names fail with the list of known ones. */
export function getEncoder(nameOrEncoder: string | Encoder, fn = 'getEncoder'): Encoder {
  if (typeof nameOrEncoder === 'string') {
    const e = registry.get(nameOrEncoder);
    if (!e) throw new UnknownNameError('encoder', nameOrEncoder, listEncoders(), `'${fn}'`);
    return e;
  }
  if (nameOrEncoder && typeof nameOrEncoder === 'object' && typeof nameOrEncoder.build === 'function' && typeof nameOrEncoder.name === 'string') {
    return nameOrEncoder;
  }
  return fail('encoder', fn, 'a registered encoder name or an object { name, build(options) }', nameOrEncoder);
}

/**
 * Builds an encoder and checks what it returns, so that a faulty custom encoder fails here with a
 * clear message rather than deep inside training.
 */
export function buildEncoder(encoder: string | Encoder, options: NetworkOptions, fn = 'buildEncoder'): tfl.LayersModel {
  const e = getEncoder(encoder, fn);
  const o = resolveNetworkOptions(options, fn, 'encoder');
  const model = e.build(o);
  const inShape = model?.inputs?.[0]?.shape;
  const outShape = model?.outputs?.[0]?.shape;
  if (!inShape || !outShape || model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new ValueError(`Encoder '${e.name}' must build a tf.LayersModel with one input and one output.`);
  }
  const wantIn = [o.imageSize, o.imageSize, o.channels];
  const wantOut = [1, 1, o.latentDim];
  if (inShape.slice(1).join() !== wantIn.join() || outShape.slice(1).join() !== wantOut.join()) {
    model.dispose();
    throw new ValueError(
      `Encoder '${e.name}' must map [n,${wantIn}] to [n,${wantOut}], but its model maps [${inShape}] to [${outShape}].`,
    );
  }
  return model;
}

export const DCGAN_ENCODER: Encoder = { name: 'dcgan', build: (o) => dcganEncoder(o) };
registerEncoder(DCGAN_ENCODER);
