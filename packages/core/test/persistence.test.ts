import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir, truncate, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORMAT_VERSION, Ganomaly, ModelFormatError, ValueError, registerEncoder, type Encoder } from '@ganomaly/core';
import { images, tinyModel } from './helpers.js';

let dir: string;
let model: Ganomaly;
let test: tf.Tensor4D;
let scores: Float32Array;
let saved: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ganomaly-persist-'));
  model = await tinyModel('cpu');
  const train = images(32, 16, 1, 1);
  await model.fit(train, { epochs: 2, batchSize: 16 });
  await model.calibrate(images(16, 16, 1, 2), { quantile: 0.9 });
  train.dispose();
  test = images(12, 16, 1, 3);
  scores = await model.score(test);
  saved = path.join(dir, 'good');
  await model.save(`file://${saved}`);
});

afterAll(async () => {
  model.dispose();
  test.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** A copy of the good model folder to damage. */
async function copyModel(name: string): Promise<string> {
  const target = path.join(dir, name);
  await mkdir(target);
  for (const f of await readdir(saved)) await writeFile(path.join(target, f), await readFile(path.join(saved, f)));
  return target;
}

describe('save and load (file://, no tfjs-node)', () => {
  it('writes model.json, weights.bin and metadata.json, and nothing else is left behind', async () => {
    expect((await readdir(saved)).sort()).toEqual(['metadata.json', 'model.json', 'weights.bin']);
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-') || f.includes('.old-'))).toEqual([]);
    const meta = JSON.parse(await readFile(path.join(saved, 'metadata.json'), 'utf8'));
    expect(meta.format).toBe('ganomaly');
    expect(meta.formatVersion).toBe(FORMAT_VERSION);
    expect(meta.libraryVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(meta.config.imageSize).toBe(16);
    expect(meta.calibration.method).toBe('quantile');
    expect(meta.statistics).toBe('population');
    const modelJson = JSON.parse(await readFile(path.join(saved, 'model.json'), 'utf8'));
    expect(Object.keys(modelJson.modelTopology.networks).sort()).toEqual(['decoder', 'discriminator', 'encoder', 'reencoder']);
    expect(modelJson.weightsManifest[0].paths).toEqual(['weights.bin']);
  });

  it('a loaded model scores exactly as the saved one, keeps its calibration, and predicts the same', async () => {
    const again = await Ganomaly.load(`file://${saved}`, { backend: 'cpu' });
    expect(await again.score(test)).toEqual(scores);
    expect(again.calibration).toEqual(model.calibration);
    expect(again.config).toEqual(model.config);
    expect((await again.predict(test)).isAnomaly).toEqual((await model.predict(test)).isAnomaly);
    // It can train on.
    await again.fit(images(16, 16, 1, 9), { epochs: 1, batchSize: 8 });
    again.dispose();
  });

  it('saving over an existing model replaces it atomically; a folder that is not a model is refused', async () => {
    const target = await copyModel('replace');
    const m = await tinyModel('cpu', { seed: 99, scoreVariant: 'mse' }); // untrained: the latent score
    await m.save(`file://${target}`);
    const back = await Ganomaly.load(`file://${target}`, { backend: 'cpu' });
    expect(await back.score(test)).toEqual(await m.score(test));
    back.dispose();
    m.dispose();
    expect((await readdir(dir)).filter((f) => f.startsWith('replace.'))).toEqual([]);
    const precious = path.join(dir, 'precious');
    await mkdir(precious);
    await writeFile(path.join(precious, 'thesis.tex'), 'do not delete');
    await expect(model.save(`file://${precious}`)).rejects.toThrow(/neither empty nor a saved model; refusing to replace it/);
    expect(await readFile(path.join(precious, 'thesis.tex'), 'utf8')).toBe('do not delete');
    // A folder that only has a file called metadata.json is not a model either.
    const project = path.join(dir, 'project');
    await mkdir(project);
    await writeFile(path.join(project, 'metadata.json'), '{"name": "my project"}');
    await writeFile(path.join(project, 'README'), 'mine');
    await expect(model.save(`file://${project}`)).rejects.toThrow(/refusing to replace it/);
    expect((await readdir(project)).sort()).toEqual(['README', 'metadata.json']);
  });

  it('a failed save leaves no temporary folder and keeps the old model', async () => {
    const target = await copyModel('failing');
    const before = await readFile(path.join(target, 'weights.bin'));
    const m = await tinyModel('cpu', { seed: 7 });
    // A value JSON cannot write (a BigInt) fails the save after the temporary folder and
    // weights.bin were written: the failure happens mid-save, as a full disk would.
    m.calibration = { method: 'fixed', threshold: 1, normalization: { min: 0, max: 1 }, count: 1n as unknown as number };
    await expect(m.save(`file://${target}`)).rejects.toThrow(/BigInt/);
    expect(await readFile(path.join(target, 'weights.bin'))).toEqual(before);
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
    m.dispose();
  });
});

describe('corrupt or foreign models fail with ModelFormatError', () => {
  it('missing folder', async () => {
    await expect(Ganomaly.load(`file://${path.join(dir, 'nope')}`, { backend: 'cpu' })).rejects.toThrow(/does not exist/);
  });

  it('missing files', async () => {
    for (const f of ['metadata.json', 'model.json', 'weights.bin']) {
      const d = await copyModel(`missing-${f}`);
      await rm(path.join(d, f));
      const err = await Ganomaly.load(`file://${d}`, { backend: 'cpu' }).catch((e) => e);
      expect(err).toBeInstanceOf(ModelFormatError);
      expect(err.message).toContain(`has no ${f}`);
    }
  });

  it('truncated weights', async () => {
    const d = await copyModel('truncated');
    const size = (await stat(path.join(d, 'weights.bin'))).size;
    await truncate(path.join(d, 'weights.bin'), size - 100);
    await expect(Ganomaly.load(`file://${d}`, { backend: 'cpu' })).rejects.toThrow(
      new RegExp(`weights .* are ${size - 100} bytes, but its manifest lists ${size}: the weights file is truncated`),
    );
  });

  it('damaged weights (NaN bytes) fail at load, naming the weight', async () => {
    const target = await copyModel('nan-weights');
    const file = path.join(target, 'weights.bin');
    const bytes = await readFile(file);
    bytes.fill(0xff, 400, 500); // 0xffffffff is a NaN in float32
    await writeFile(file, bytes);
    await expect(Ganomaly.load(`file://${target}`)).rejects.toThrow(ModelFormatError);
    await expect(Ganomaly.load(`file://${target}`)).rejects.toThrow(/Weight 'encoder\/.*' .* holds NaN at index \d+: the weights are damaged/);
  });

  it('truncated JSON', async () => {
    const d = await copyModel('truncated-json');
    const text = await readFile(path.join(d, 'model.json'), 'utf8');
    await writeFile(path.join(d, 'model.json'), text.slice(0, text.length / 2));
    await expect(Ganomaly.load(`file://${d}`, { backend: 'cpu' })).rejects.toThrow(/model.json .* is not valid JSON/);
  });

  it('another format version', async () => {
    const d = await copyModel('version');
    const meta = JSON.parse(await readFile(path.join(d, 'metadata.json'), 'utf8'));
    await writeFile(path.join(d, 'metadata.json'), JSON.stringify({ ...meta, formatVersion: 99, libraryVersion: '9.0.0' }));
    await expect(Ganomaly.load(`file://${d}`, { backend: 'cpu' })).rejects.toThrow(
      /format version 99 \(written by @ganomaly 9.0.0\); this library .* reads format version 1/,
    );
  });

  it('invalid metadata values and handlers that return nothing', async () => {
    for (const [key, value, message] of [
      ['statistics', 'bogus', /unknown 'statistics' "bogus"/],
      ['epochsTrained', -3, /invalid 'epochsTrained' -3/],
      ['calibration', { threshold: '0.5' }, /invalid 'calibration'/],
    ] as const) {
      const d = await copyModel(`meta-${key}`);
      for (const f of ['metadata.json', 'model.json']) {
        const j = JSON.parse(await readFile(path.join(d, f), 'utf8'));
        (f === 'model.json' ? j.modelTopology.ganomaly : j)[key] = value;
        await writeFile(path.join(d, f), JSON.stringify(j));
      }
      await expect(Ganomaly.load(`file://${d}`, { backend: 'cpu' })).rejects.toThrow(message);
    }
    await expect(Ganomaly.load({ load: async () => null as never }, { backend: 'cpu' })).rejects.toThrow(/returned no model artifacts/);
  });

  it('a config that does not match the weights', async () => {
    const d = await copyModel('mismatch');
    const modelJson = JSON.parse(await readFile(path.join(d, 'model.json'), 'utf8'));
    modelJson.modelTopology.ganomaly.config.imageSize = 64;
    modelJson.modelTopology.ganomaly.config.latentDim = 100;
    await writeFile(path.join(d, 'model.json'), JSON.stringify(modelJson));
    await expect(Ganomaly.load(`file://${d}`, { backend: 'cpu' })).rejects.toThrow(
      /does not match its config: the config says 64x64x1 images, but the encoder takes 16x16x1; the config says latentDim 100, but the encoder outputs 8/,
    );
  });

  it('a failed load leaks no tensors', async () => {
    const d = await copyModel('leak');
    const modelJson = JSON.parse(await readFile(path.join(d, 'model.json'), 'utf8'));
    modelJson.weightsManifest[0].weights = modelJson.weightsManifest[0].weights.filter((w: { name: string }) => !w.name.startsWith('reencoder/'));
    await writeFile(path.join(d, 'model.json'), JSON.stringify(modelJson));
    const before = tf.memory().numTensors;
    await expect(Ganomaly.load(`file://${d}`, { backend: 'cpu' })).rejects.toThrow(ModelFormatError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a checkpoint whose saved config is not valid fails with ModelFormatError and leaks none of its tensors', async () => {
    const d = path.join(dir, 'bad-config-checkpoint');
    await model.save(`file://${d}`, { trainingState: true });
    const modelJson = JSON.parse(await readFile(path.join(d, 'model.json'), 'utf8'));
    expect(modelJson.weightsManifest[0].weights.some((w: { name: string }) => w.name.startsWith('training/'))).toBe(true);
    modelJson.modelTopology.ganomaly.config.learningRate = -1;
    await writeFile(path.join(d, 'model.json'), JSON.stringify(modelJson));
    const before = tf.memory().numTensors;
    await expect(Ganomaly.load(`file://${d}`, { backend: 'cpu' })).rejects.toThrow(/The saved config is not valid/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('weights that do not fit the topology', async () => {
    const d = await copyModel('shapes');
    const modelJson = JSON.parse(await readFile(path.join(d, 'model.json'), 'utf8'));
    const specs = modelJson.weightsManifest[0].weights;
    // Swap two weights' shapes of equal size but different layout.
    const k = specs.findIndex((s: { name: string; shape: number[] }) => s.name.startsWith('encoder/') && s.shape.length === 4);
    specs[k].shape = [...specs[k].shape].reverse();
    await writeFile(path.join(d, 'model.json'), JSON.stringify(modelJson));
    await expect(Ganomaly.load(`file://${d}`, { backend: 'cpu' })).rejects.toThrow(/Network 'encoder' .* could not be rebuilt/);
  });

  it('a folder or handler without a GANomaly model', async () => {
    const plain = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [2] })] });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await plain.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    await expect(Ganomaly.load(tf.io.fromMemory(artifacts!), { backend: 'cpu' })).rejects.toThrow(/does not hold a GANomaly model/);
    plain.dispose();
  });

  it('unknown URL schemes name the supported ones', async () => {
    await expect(model.save('ftp://example/model')).rejects.toThrow(ValueError);
    await expect(model.save('ftp://example/model')).rejects.toThrow(/no IO handler for 'ftp:\/\/example\/model'.*'file:\/\/'.*'indexeddb:\/\/'/);
  });
});

describe('other IO handlers', () => {
  it('round-trips through a custom IOHandler (as IndexedDB or HTTP would store it)', async () => {
    let stored: tf.io.ModelArtifacts | undefined;
    const handler: tf.io.IOHandler = {
      save: async (a) => {
        stored = JSON.parse(JSON.stringify({ ...a, weightData: undefined }));
        stored!.weightData = tf.io.CompositeArrayBuffer.join(a.weightData!).slice(0);
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      },
      load: async () => stored!,
    };
    await model.save(handler);
    const again = await Ganomaly.load(handler, { backend: 'cpu' });
    expect(await again.score(test)).toEqual(scores);
    again.dispose();
  });

  it('a custom encoder survives save and load', async () => {
    const small: Encoder = {
      name: 'persist-test-encoder',
      build: (o) => {
        const input = tfl.input({ shape: [o.imageSize, o.imageSize, o.channels] });
        let x = tfl.layers.conv2d({ filters: 4, kernelSize: 4, strides: 4, useBias: false, name: `${o.name}_c` }).apply(input) as tfl.SymbolicTensor;
        x = tfl.layers.batchNormalization({ name: `${o.name}_bn` }).apply(x) as tfl.SymbolicTensor;
        x = tfl.layers.leakyReLU({ alpha: 0.2, name: `${o.name}_r` }).apply(x) as tfl.SymbolicTensor;
        const z = tfl.layers.conv2d({ filters: o.latentDim, kernelSize: o.imageSize / 4, name: `${o.name}_z` }).apply(x) as tfl.SymbolicTensor;
        return tfl.model({ inputs: input, outputs: z, name: o.name });
      },
    };
    registerEncoder(small);
    const m = await Ganomaly.create({ imageSize: 16, channels: 1, latentDim: 4, baseWidth: 4, encoder: 'persist-test-encoder', backend: 'cpu' });
    await m.fit(images(16, 16, 1, 5), { epochs: 1, batchSize: 8 });
    const d = path.join(dir, 'custom');
    await m.save(`file://${d}`);
    const back = await Ganomaly.load(`file://${d}`, { backend: 'cpu' });
    expect(back.config.encoder).toBe('persist-test-encoder');
    expect(await back.score(test)).toEqual(await m.score(test));
    m.dispose();
    back.dispose();
  });
});
