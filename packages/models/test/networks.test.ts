import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { UnknownNameError, ValueError } from '@ganomaly/common';
import {
  buildDiscriminator,
  buildEncoder,
  buildGanomalyNetworks,
  dcganDecoder,
  dcganEncoder,
  disposeNetworks,
  getEncoder,
  listEncoders,
  registerEncoder,
  reinitializeWeights,
  type Encoder,
} from '@ganomaly/models';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('network shapes', () => {
  for (const size of [16, 32, 64]) {
    it(`size ${size}: encoder, decoder and discriminator map the spec's shapes`, () => {
      const nets = buildGanomalyNetworks({ imageSize: size, channels: 3, latentDim: 10, baseWidth: 8 });
      tf.tidy(() => {
        const x = tf.randomUniform([2, size, size, 3], -1, 1);
        const z = nets.encoder.predict(x) as tf.Tensor;
        expect(z.shape).toEqual([2, 1, 1, 10]);
        const xHat = nets.decoder.predict(z) as tf.Tensor;
        expect(xHat.shape).toEqual([2, size, size, 3]);
        const vals = xHat.dataSync();
        expect(Math.max(...vals.map(Math.abs))).toBeLessThanOrEqual(1); // tanh
        expect((nets.reencoder.predict(xHat) as tf.Tensor).shape).toEqual([2, 1, 1, 10]);
        const [p, f] = nets.discriminator.predict(x) as tf.Tensor[];
        expect(p.shape).toEqual([2, 1]);
        // Features: the last LeakyReLU, always 4x4, width doubling per pyramid step.
        expect(f.shape).toEqual([2, 4, 4, 8 * 2 ** (Math.log2(size) - 3)]);
        const pv = p.dataSync();
        for (const v of pv) expect(v > 0 && v < 1).toBe(true);
      });
      disposeNetworks(nets);
    });
  }

  it('size 32 with widths 64 has the layer widths and parameter count of the DCGAN encoder', () => {
    const e = dcganEncoder({ imageSize: 32, channels: 1, latentDim: 100 });
    // conv 1->64 (4x4), conv 64->128 + BN, conv 128->256 + BN, conv 256->100 (4x4)
    const convParams = 16 * 1 * 64 + 16 * 64 * 128 + 16 * 128 * 256 + 16 * 256 * 100;
    const bnParams = 4 * 128 + 4 * 256; // gamma, beta, moving mean, moving variance
    expect(e.countParams()).toBe(convParams + bnParams);
    const kinds = e.layers.map((l) => l.getClassName());
    expect(kinds).toEqual([
      'InputLayer', 'Conv2D', 'LeakyReLU',
      'Conv2D', 'BatchNormalization', 'LeakyReLU',
      'Conv2D', 'BatchNormalization', 'LeakyReLU',
      'Conv2D',
    ]);
    e.dispose();
  });

  it('extra layers add stride-1 3x3 blocks at the first width', () => {
    const e = dcganEncoder({ imageSize: 16, channels: 1, latentDim: 4, baseWidth: 4, extraLayers: 2 });
    const extra = e.layers.filter((l) => l.name.includes('extra') && l.getClassName() === 'Conv2D');
    expect(extra).toHaveLength(2);
    expect(extra[0].outputShape).toEqual([null, 8, 8, 4]);
    const d = dcganDecoder({ imageSize: 16, channels: 1, latentDim: 4, baseWidth: 4, extraLayers: 1 });
    expect(d.layers.filter((l) => l.name.includes('extra')).length).toBe(3);
    e.dispose();
    d.dispose();
  });
});

describe('initialisation', () => {
  it('conv weights ~ N(0, 0.02), BatchNorm gamma ~ N(1, 0.02), beta 0; a seed rebuilds the same weights', () => {
    const a = dcganEncoder({ imageSize: 32, channels: 1, latentDim: 100, seed: 7 });
    const b = dcganEncoder({ imageSize: 32, channels: 1, latentDim: 100, seed: 7 });
    const c = dcganEncoder({ imageSize: 32, channels: 1, latentDim: 100, seed: 8 });
    const kernel = a.getLayer('encoder_pyramid2_conv').getWeights()[0].dataSync();
    const mean = kernel.reduce((s, v) => s + v, 0) / kernel.length;
    const std = Math.sqrt(kernel.reduce((s, v) => s + (v - mean) ** 2, 0) / kernel.length);
    expect(Math.abs(mean)).toBeLessThan(0.001);
    expect(std).toBeGreaterThan(0.019);
    expect(std).toBeLessThan(0.021);
    const [gamma, beta] = a.getLayer('encoder_pyramid2_bn').getWeights().map((w) => w.dataSync());
    const gm = gamma.reduce((s, v) => s + v, 0) / gamma.length;
    expect(Math.abs(gm - 1)).toBeLessThan(0.01);
    expect([...beta].every((v) => v === 0)).toBe(true);
    const wa = a.getWeights().map((w) => [...w.dataSync()]);
    const wb = b.getWeights().map((w) => [...w.dataSync()]);
    expect(wa).toEqual(wb);
    expect(c.getWeights()[0].dataSync()[0]).not.toBe(a.getWeights()[0].dataSync()[0]);
    // Layers do not share a random stream.
    expect(a.getWeights()[0].dataSync()[0]).not.toBe(a.getWeights()[1].dataSync()[0]);
    [a, b, c].forEach((m) => m.dispose());
  });

  it('reinitializeWeights redraws the weights and resets BatchNorm statistics', () => {
    const d = buildDiscriminator('dcgan', { imageSize: 16, channels: 1, baseWidth: 4, seed: 1 });
    const before = d.getWeights().map((w) => [...w.dataSync()]);
    tf.tidy(() => d.getWeights().forEach((w, i) => (d.weights[i] as tfl.LayerVariable).write(tf.mul(w, 3))));
    reinitializeWeights(d, 99);
    const after = d.getWeights();
    expect([...after[0].dataSync()]).not.toEqual(before[0]);
    const kernel = after[0].dataSync();
    const std = Math.sqrt(kernel.reduce((s, v) => s + v * v, 0) / kernel.length);
    expect(std).toBeGreaterThan(0.015);
    expect(std).toBeLessThan(0.025);
    const mv = d.weights.find((w) => w.originalName.endsWith('moving_variance'))!;
    expect([...mv.read().dataSync()].every((v) => v === 1)).toBe(true);
    d.dispose();
  });
});

describe('encoder registry', () => {
  it('unknown names fail with the list of known ones', () => {
    expect(() => getEncoder('resnet')).toThrow(UnknownNameError);
    expect(() => getEncoder('resnet')).toThrow(/Known encoders: 'dcgan'/);
  });

  it('a custom encoder plugs in by instance or by name, and drives all three encoder roles', () => {
    const tiny: Encoder = {
      name: 'tiny-test',
      build: (o) => {
        const input = tfl.input({ shape: [o.imageSize, o.imageSize, o.channels] });
        let x = tfl.layers.conv2d({ filters: 4, kernelSize: 4, strides: 4, name: `${o.name}_c1` }).apply(input) as tfl.SymbolicTensor;
        x = tfl.layers.leakyReLU({ alpha: 0.2, name: `${o.name}_r1` }).apply(x) as tfl.SymbolicTensor;
        const z = tfl.layers.conv2d({ filters: o.latentDim, kernelSize: o.imageSize / 4, name: `${o.name}_z` }).apply(x) as tfl.SymbolicTensor;
        return tfl.model({ inputs: input, outputs: z });
      },
    };
    const byInstance = buildGanomalyNetworks({ imageSize: 16, channels: 1, latentDim: 3, encoder: tiny });
    expect(byInstance.encoder.outputs[0].shape).toEqual([null, 1, 1, 3]);
    expect(byInstance.discriminator.outputs[1].shape).toEqual([null, 4, 4, 4]);
    disposeNetworks(byInstance);
    registerEncoder(tiny);
    expect(listEncoders()).toContain('tiny-test');
    const byName = buildEncoder('tiny-test', { imageSize: 32, channels: 3, latentDim: 5 });
    expect(byName.outputs[0].shape).toEqual([null, 1, 1, 5]);
    byName.dispose();
    expect(() => registerEncoder({ ...tiny })).toThrow(/already registered/);
  });

  it('an encoder that builds the wrong output shape fails at build time with both shapes', () => {
    const bad: Encoder = {
      name: 'bad',
      build: (o) => {
        const input = tfl.input({ shape: [o.imageSize, o.imageSize, o.channels] });
        const z = tfl.layers.conv2d({ filters: 2, kernelSize: 1 }).apply(input) as tfl.SymbolicTensor;
        return tfl.model({ inputs: input, outputs: z });
      },
    };
    expect(() => buildEncoder(bad, { imageSize: 16, channels: 1, latentDim: 3 })).toThrow(/must map \[n,16,16,1\] to \[n,1,1,3\]/);
  });
});

describe('bad options', () => {
  it('names the argument, the call, what was expected and what came', () => {
    expect(() => dcganEncoder({ imageSize: 24, channels: 1 })).toThrow(ValueError);
    expect(() => dcganEncoder({ imageSize: 24, channels: 1 })).toThrow(
      "Argument 'imageSize' passed to 'dcganEncoder' must be a power of two >= 16 (16, 32, 64, ...), but got 24.",
    );
    expect(() => dcganEncoder({ imageSize: 8, channels: 1 })).toThrow(/power of two >= 16/);
    expect(() => dcganDecoder({ imageSize: 32, channels: 0 })).toThrow(/'channels' passed to 'dcganDecoder' must be a positive integer, but got 0/);
    expect(() => dcganEncoder({ imageSize: 32, channels: 1, latentDim: 2.5 })).toThrow(/latentDim/);
  });
});
