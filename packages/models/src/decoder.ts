import * as tfl from '@tensorflow/tfjs-layers';
import { SeededInit } from './init.js';
import { type NetworkOptions, pyramidSteps, resolveNetworkOptions } from './options.js';

/**
 * The DCGAN decoder G_D, the encoder's mirror: z [n,1,1,latentDim] -> image [n,s,s,c] in [-1, 1].
 * ConvT(nz -> w, 4/1/0)+BN+ReLU, then stride-2 ConvT+BN+ReLU steps halving the width, optional
 * extra 3x3 layers, and ConvT(-> c, 4/2/1)+Tanh.
 */
export function dcganDecoder(options: NetworkOptions): tfl.LayersModel {
  const o = resolveNetworkOptions(options, 'dcganDecoder', 'decoder');
  const init = new SeededInit(o.seed);
  const p = o.name;
  const steps = pyramidSteps(o.imageSize);
  const convT = (filters: number, kernelSize: number, strides: number, padding: 'same' | 'valid', name: string) =>
    tfl.layers.conv2dTranspose({ filters, kernelSize, strides, padding, useBias: false, kernelInitializer: init.conv(), name: `${p}_${name}` });
  const bn = (name: string) => init.batchNorm(o, `${p}_${name}`);
  const relu = (name: string) => tfl.layers.reLU({ name: `${p}_${name}` });

  const input = tfl.input({ shape: [1, 1, o.latentDim], name: `${p}_input` });
  let width = o.baseWidth * 2 ** (steps - 1);
  let x = convT(width, 4, 1, 'valid', 'initial_convt').apply(input) as tfl.SymbolicTensor;
  x = bn('initial_bn').apply(x) as tfl.SymbolicTensor;
  x = relu('initial_relu').apply(x) as tfl.SymbolicTensor;
  for (let i = 1; i < steps; i++) {
    width /= 2;
    // k4 s2 'same' transposed doubles the size, cropping one pixel each side: PyTorch's padding=1.
    x = convT(width, 4, 2, 'same', `pyramid${i}_convt`).apply(x) as tfl.SymbolicTensor;
    x = bn(`pyramid${i}_bn`).apply(x) as tfl.SymbolicTensor;
    x = relu(`pyramid${i}_relu`).apply(x) as tfl.SymbolicTensor;
  }
  for (let i = 0; i < o.extraLayers; i++) {
    x = tfl.layers
      .conv2d({ filters: width, kernelSize: 3, strides: 1, padding: 'same', useBias: false, kernelInitializer: init.conv(), name: `${p}_extra${i}_conv` })
      .apply(x) as tfl.SymbolicTensor;
    x = bn(`extra${i}_bn`).apply(x) as tfl.SymbolicTensor;
    x = relu(`extra${i}_relu`).apply(x) as tfl.SymbolicTensor;
  }
  x = convT(o.channels, 4, 2, 'same', 'final_convt').apply(x) as tfl.SymbolicTensor;
  const out = tfl.layers.activation({ activation: 'tanh', name: `${p}_tanh` }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: p });
}
