import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AbortError,
  ModelFormatError,
  checkModelSize,
  createDetector,
  data,
  detectorKinds,
  metrics,
  readModelMetadata,
  recoverInterruptedSave,
  resolveConfig,
  setWasmThreads,
  useBackend,
  wasmThreadsStatus,
  type DetectorEpochLogs,
  type DetectorFitOptions,
  type EpochLogs,
  type FitOptions,
  type FitResult,
  type FitSelection,
  type LossEpochLogs,
  VAE_SCORE_VARIANTS,
} from '@ganomaly/core';
import { CliError, EXIT, dataError, modelError, usage, writeLine, type CliIO } from './io.js';
import { COMMON_OPTIONS, IMAGE_OPTIONS, choice, int, num, parse, type CommandSpec } from './options.js';
import { ProgressBar, countProgress, formatDuration } from './progress.js';
import { loadSource, sourceChannels } from './sources.js';
import { isModelFolder, loadModel, printSkipped, type CliModel } from './shared.js';
import { FolderLock, checkCanWrite, isInside, isSystemError, systemMessage } from './safety.js';

export const TRAIN: CommandSpec = {
  name: 'train',
  brief: 'Train on normal images (image folders, MNIST, CIFAR-10); Ctrl-C saves a checkpoint, --resume continues',
  summary:
    'Trains a detector (GANomaly by default; --model picks another) on normal images and saves the model. DATA is the layout of the authors\' code (DATA/train/normal, optional DATA/test/normal and DATA/test/<anomaly class>), a plain folder of normal images, image files, MNIST IDX files or CIFAR-10 binaries (a folder holding them, or `mnist` to find MNIST) with --anomaly-class.',
  usage: 'ganomaly train DATA... --out DIR [options]',
  positionals: { min: 1 },
  options: {
    out: { type: 'string', short: 'o', value: 'DIR', help: 'Folder for the trained model', default: './ganomaly-model' },
    model: { type: 'string', value: 'KIND', help: `The detector: ${detectorKinds().join(', ')}`, default: 'ganomaly' },
    epochs: { type: 'string', short: 'e', value: 'N', help: 'Epochs', default: '15' },
    'batch-size': { type: 'string', short: 'b', value: 'N', help: 'Images per training step', default: '64' },
    'image-size': { type: 'string', value: 'N', help: 'Model input size (images are resized to N x N; a power of 2, >= 16)', default: '32' },
    channels: { type: 'string', value: 'auto|1|3', help: 'Grey or colour model; auto: 1 when every training image is grey', default: 'auto' },
    latent: { type: 'string', value: 'N', help: 'Latent size nz', default: '100' },
    width: { type: 'string', value: 'N', help: 'Base width of the networks (ngf = ndf)', default: '64' },
    lr: { type: 'string', value: 'X', help: 'Adam learning rate', default: '0.0002' },
    seed: { type: 'string', value: 'N', help: 'Seed of weights, shuffles and splits', default: '0' },
    holdout: { type: 'string', value: 'F', help: 'Share of the normal training images held out to calibrate the threshold, and with --select validation to select the epoch (0: none, no calibration)', default: '0.1' },
    select: { type: 'string', value: 'last|validation', help: "Weights kept: the last epoch's, or (validation) the epoch with the best AUROC on the held-out normal images against synthetic anomalies made from them (no test data; with the default knn score it tends to pick an early epoch, so keep last)", default: 'last' },
    'score-variant': { type: 'string', value: 'V', help: "Anomaly score: knn (the default: distance from z to the nearest training code), latent (= mse), l1, reconstruction, features, skip, combined (skip and combined are scaled on the held-out images); with --model vae: reconstruction (its default) or elbo", default: 'knn' },
    quantile: { type: 'string', value: 'Q', help: 'Threshold = this quantile of the held-out normal scores', default: '0.99' },
    'anomaly-class': { type: 'string', value: 'N', help: 'MNIST/CIFAR-10: the class held out as the anomaly' },
    limit: { type: 'string', value: 'N', help: 'MNIST/CIFAR-10: use only the first N training images of the seeded order' },
    'val-limit': { type: 'string', value: 'N', help: 'Labelled images scored after each epoch for the validation AUROC (0: none)', default: '2000' },
    workers: { type: 'string', short: 'w', value: 'N|auto', help: 'Threads training data-parallel (auto: one per core on wasm/cpu; faster than wasm\'s own threads on idle cores; results differ from 1 thread by per-shard BatchNorm)', default: '1' },
    tensorboard: { type: 'string', value: 'DIR', help: 'Write TensorBoard logs (losses per batch and epoch, validation AUROC, learning rate) to DIR; needs the node backend (tfjs-node)' },
    checkpoint: { type: 'string', value: 'DIR', help: 'Checkpoint folder, saved after every epoch and on Ctrl-C', default: '<out>.checkpoint' },
    resume: { type: 'boolean', help: 'Continue the interrupted run from its checkpoint (same data and options)' },
    force: { type: 'boolean', short: 'f', help: 'Replace an existing model in --out' },
    ...IMAGE_OPTIONS,
    ...COMMON_OPTIONS,
  },
  notes: [
    'Ctrl-C (or SIGTERM, SIGHUP) saves a checkpoint and exits with code 130 (143, 129); `ganomaly train ... --resume`',
    'continues it and ends with the same model as a run that was never stopped. A second signal exits at once.',
    '--out and --checkpoint are locked (<out>.lock, <checkpoint>.lock) while training and checked for writing before it.',
    '',
    'Examples:',
    '  ganomaly train ./bottles --out ./bottle-model --epochs 15',
    '  ganomaly train mnist --anomaly-class 2 --limit 3000 --width 32 --epochs 3 --out ./mnist-2',
    '  ganomaly train mnist --anomaly-class 2 --model skip-ganomaly --epochs 3 --out ./mnist-2-skip',
  ].join('\n'),
};

/** What a checkpoint must agree on to be resumed with the given data and options. */
interface RunInfo {
  source: string;
  trainImages: number;
  trainSha256: string;
  batchSize: number;
  epochs: number;
  holdout: number;
  quantile: number;
  seed: number;
  valLimit: number;
  /** Threads of data-parallel training (the result depends on it). */
  workers?: number | 'auto';
  /** The backend it trained on: resuming on another one is close, not bit-identical. */
  backend?: string;
  /** --select (absent: 'last'). */
  select?: 'last' | 'validation';
}

const MODEL_FLAGS = ['image-size', 'channels', 'latent', 'width', 'lr', 'seed', 'score-variant', 'model'];

export async function train(argv: string[], io: CliIO): Promise<number> {
  const held: { lock?: FolderLock; checkpointLock?: FolderLock } = {};
  try {
    return await trainLocked(argv, io, held);
  } finally {
    await held.checkpointLock?.release();
    await held.lock?.release();
  }
}

async function trainLocked(argv: string[], io: CliIO, held: { lock?: FolderLock; checkpointLock?: FolderLock }): Promise<number> {
  const { values: v, positionals } = parse(TRAIN, argv);
  const out = path.resolve(io.cwd, (v.out as string | undefined) ?? 'ganomaly-model');
  const checkpoint = path.resolve(io.cwd, (v.checkpoint as string | undefined) ?? `${out}.checkpoint`);
  const quiet = !!v.quiet;
  const progress = new ProgressBar(io.stderr, !quiet);
  const warn = (m: string) => progress.line(`warning: ${m}`);
  const say = (m: string) => (quiet ? undefined : progress.line(m));

  const resume = !!v.resume;
  if (isInside(path.resolve(checkpoint), path.resolve(out)) || isInside(path.resolve(out), path.resolve(checkpoint))) {
    throw usage(`--checkpoint ${checkpoint} must be a folder of its own, apart from --out ${out}.`);
  }
  // Writable, checked before training so that no training is thrown away at the end.
  const outSpace = await checkCanWrite(out, '--out');
  const ckptSpace = await checkCanWrite(checkpoint, '--checkpoint');
  // One run per --out at a time: a second one would silently replace the first one's model.
  held.lock = await FolderLock.take(out, '--out');
  // The same for --checkpoint: two runs with different --out sharing one would save over each other's checkpoints.
  held.checkpointLock = await FolderLock.take(checkpoint, '--checkpoint');
  // What a killed run left (a half-done save, stale temporary folders) is put right first.
  for (const dir of [out, checkpoint]) for (const note of await recoverInterruptedSave(dir)) warn(note);
  const ckptExists = await isModelFolder(checkpoint);
  if (resume) {
    if (!ckptExists) throw usage(`--resume: no checkpoint at ${checkpoint} (pass --checkpoint DIR if it is elsewhere).`);
    if (!(await isCheckpointFolder(checkpoint))) throw usage(`--resume: ${checkpoint} is a finished model, not a training checkpoint.`);
  } else {
    if (ckptExists) throw usage(`A checkpoint of an interrupted run is at ${checkpoint}: continue it with --resume, or delete that folder to start over.`);
    await checkWritableFolder(checkpoint, '--checkpoint');
  }
  if (!v.force && (await isModelFolder(out))) throw usage(`${out} already holds a model; pass --force to replace it, or choose another --out.`);
  await checkWritableFolder(out, '--out');

  // Everything that can be checked without the data is checked before loading it.
  const backendName = ((v.backend as string | undefined) ?? 'auto').toLowerCase();
  const workersOpt = parseWorkers(v.workers);
  const kindOpt = v.model === undefined ? undefined : choice(v, 'model', 'ganomaly', detectorKinds());
  // Data-parallel workers each take a core: wasm's XNNPACK threads on the main thread would only
  // contend with them (measured: 45.7 against 48.8 img/s on 2 cores), unless asked for.
  if (workersOpt !== 1 && !io.env.GANOMALY_WASM_THREADS && wasmThreadsStatus() === null) setWasmThreads(1);
  const activeBackend = await useBackend(backendName);
  const tensorBoard = v.tensorboard !== undefined ? path.resolve(io.cwd, v.tensorboard as string) : undefined;
  if (tensorBoard !== undefined && activeBackend !== 'node' && activeBackend !== 'node-gpu') {
    throw usage(
      `--tensorboard needs the node backend (TensorBoard's event files are written by tfjs-node), but training would run on ${activeBackend}. ` +
        'Install tfjs-node (`npm install @tensorflow/tfjs-node`; without internet access, in the @ganomaly repository: `npm run setup:tfjs-node`) and pass --backend node, or drop --tensorboard.',
    );
  }
  const modelOptions = resume
    ? null
    : {
        imageSize: int(v, 'image-size', 32, 16, 1024)!,
        latentDim: int(v, 'latent', 100, 1)!,
        baseWidth: int(v, 'width', 64, 1)!,
        learningRate: num(v, 'lr', 0.0002, 0, 1, true)!,
        seed: int(v, 'seed', 0, 0)!,
        // GANomaly's variants, or the VAE's own ('reconstruction' | 'elbo') with --model vae.
        scoreVariant: (kindOpt === 'vae' ? choice(v, 'score-variant', 'reconstruction', VAE_SCORE_VARIANTS) : choice(v, 'score-variant', 'knn', metrics.SCORE_VARIANTS)) as string,
      };
  // Skip-GANomaly's U-Net is sized by its own estimate when the model is made (the DCGAN networks' is not its size).
  if (modelOptions && kindOpt !== 'skip-ganomaly') {
    try {
      checkModelSize(resolveConfig({ ...modelOptions, scoreVariant: undefined, channels: 1 }, 'ganomaly train').config, 'ganomaly train');
    } catch (e) {
      const flags: Record<string, string> = { imageSize: '--image-size', latentDim: '--latent', baseWidth: '--width', learningRate: '--lr', seed: '--seed' };
      throw usage((e as Error).message.replace(/^Argument 'config\.(\w+)' passed to '[^']*'/, (_, k: string) => flags[k] ?? `--${k}`));
    }
  }
  const channelsOpt = choice(v, 'channels', 'auto', ['auto', '1', '3'] as const);
  int(v, 'epochs', 15, 1);
  int(v, 'batch-size', 64, 1);
  const holdoutOpt = num(v, 'holdout', 0.1, 0, 0.9)!;
  num(v, 'quantile', 0.99, 0, 1);
  const selectOpt = choice(v, 'select', 'last', ['last', 'validation'] as const);
  // Only GANomaly trains data-parallel, writes TensorBoard logs, has the score variants and selects
  // an epoch (the other kinds say so before any data is read).
  const kindOnly = (kind: string) => {
    if (kind === 'ganomaly') return;
    const only = (flag: string, what: string) => usage(`${flag}: ${what} GANomaly's only; --model ${kind} does not have it (drop ${flag.split(' ')[0]}).`);
    if (workersOpt !== 1) throw only(`--workers ${String(workersOpt)}`, 'data-parallel training is');
    if (tensorBoard !== undefined) throw only('--tensorboard', "TensorBoard logging of the losses is");
    // The VAE has score variants of its own (checked against its list where the options are read).
    if (kind === 'vae' && v['score-variant'] !== undefined) choice(v, 'score-variant', 'reconstruction', VAE_SCORE_VARIANTS);
    else if (v['score-variant'] !== undefined) throw only(`--score-variant ${String(v['score-variant'])}`, 'the score variants are');
    if (v.select !== undefined && v.select !== 'last') throw only(`--select ${String(v.select)}`, 'epoch selection is');
    if (kind === 'skip-ganomaly' && v.latent !== undefined && Number(v.latent) !== 100) {
      throw usage(`--latent ${String(v.latent)}: --model skip-ganomaly has no latent code (its U-Net maps images to images through skip connections); drop --latent.`);
    }
  };
  if (!resume) kindOnly(kindOpt ?? 'ganomaly');
  if (!resume && holdoutOpt === 0) {
    if (selectOpt === 'validation') throw usage('--select validation scores held-out normal images after every epoch: pass --holdout > 0 (e.g. 0.1).');
    if (modelOptions && (kindOpt ?? 'ganomaly') === 'ganomaly' && metrics.CALIBRATED_SCORE_VARIANTS.includes(modelOptions.scoreVariant as metrics.ScoreVariant)) {
      throw usage(`--score-variant ${modelOptions.scoreVariant} is scaled on held-out normal images at calibration: pass --holdout > 0 (e.g. 0.1).`);
    }
  }
  int(v, 'val-limit', 2000, 0);

  let model: CliModel | null = null;
  let saved: RunInfo | null = null;
  if (resume) {
    model = await loadModel(checkpoint, backendName);
    if (kindOpt !== undefined && kindOpt !== model.kind) {
      const was = model.kind;
      model.dispose();
      throw usage(`--resume continues the checkpoint's '${was}' model; drop --model ${kindOpt}.`);
    }
    try {
      kindOnly(model.kind);
    } catch (e) {
      model.dispose();
      throw e;
    }
    saved = (model.info?.run as RunInfo | undefined) ?? null;
    if (!saved) {
      model.dispose();
      throw usage(`${checkpoint} is a checkpoint, but not one of 'ganomaly train' (it has no record of the run).`);
    }
    // Only --epochs may change on resume (to train longer); the rest decides the result. Options
    // equal to the checkpoint's are fine.
    const c = model.config as typeof model.config & { scoreVariant?: string };
    const modelDiffers = (
      [
        ['image-size', c.imageSize],
        ['channels', c.channels],
        ['latent', c.latentDim],
        ['width', c.baseWidth],
        ['lr', c.learningRate],
        ['seed', saved.seed],
        ['score-variant', c.scoreVariant],
      ] as const
    ).filter(([k, was]) => v[k] !== undefined && !(k === 'channels' && v[k] === 'auto') && (k === 'score-variant' ? v[k] !== was : Number(v[k]) !== was));
    if (modelDiffers.length) {
      model.dispose();
      throw usage(`--resume continues with the checkpoint's model settings: ${modelDiffers.map(([k, was]) => `--${k} was ${was}`).join(', ')}; drop ${modelDiffers.map(([k]) => `--${k}`).join(', ')}.`);
    }
    const differs = (
      [
        ['batch-size', saved.batchSize],
        ['holdout', saved.holdout],
        ['quantile', saved.quantile],
        ['val-limit', saved.valLimit],
        ['workers', saved.workers ?? 1],
        ['select', saved.select ?? 'last'],
      ] as const
    ).filter(([k, was]) => v[k] !== undefined && String(k === 'workers' ? parseWorkers(v[k]) : k === 'select' ? v[k] : Number(v[k])) !== String(was));
    if (differs.length) {
      model.dispose();
      throw usage(`--resume continues the run with its own settings: ${differs.map(([k, was]) => `--${k} was ${was}`).join(', ')}; drop ${differs.map(([k]) => `--${k}`).join(', ')}.`);
    }
    if (saved.backend && saved.backend !== model.backend) {
      warn(`the run trained on ${saved.backend} and resumes on ${model.backend}: the result will be close to, not bit-identical with, an uninterrupted run (pass --backend ${saved.backend}).`);
    }
  }
  try {
    const seed = saved?.seed ?? modelOptions!.seed;
    const epochs = int(v, 'epochs', saved?.epochs ?? 15, 1)!;
    const batchSize = saved?.batchSize ?? int(v, 'batch-size', 64, 1)!;
    const holdout = saved?.holdout ?? num(v, 'holdout', 0.1, 0, 0.9)!;
    const quantile = saved?.quantile ?? num(v, 'quantile', 0.99, 0, 1)!;
    const valLimit = saved?.valLimit ?? int(v, 'val-limit', 2000, 0)!;
    const workers = saved?.workers ?? workersOpt;
    const select = saved ? (saved.select ?? 'last') : selectOpt;
    if (resume && select === 'validation') {
      warn('--select validation after --resume: the best epoch is chosen among the epochs trained from here on (the weights of earlier epochs were not kept).');
    }
    const imageSize = model ? model.config.imageSize : modelOptions!.imageSize;
    let channels: 1 | 3;
    if (model) channels = model.config.channels as 1 | 3;
    else channels = channelsOpt === 'auto' ? await sourceChannels(positionals, io.cwd, !!v.recursive) : (Number(channelsOpt) as 1 | 3);
    const maxPixels = int(v, 'max-pixels', data.DEFAULT_MAX_PIXELS, 1)!;

    const t0 = performance.now();
    const src = await loadSource(positionals, io.cwd, io.env, 'train', {
      imageSize,
      channels,
      strict: !!v.strict,
      maxPixels,
      recursive: !!v.recursive,
      anomalyClass: int(v, 'anomaly-class', undefined, 0, 255),
      limit: int(v, 'limit', undefined, 1),
      seed,
      warn,
      progress: countProgress(io.stderr, 'loading images', !quiet),
    });
    printSkipped(src.skipped, warn);
    if (!src.train || src.train.set.count < 2) throw dataError(`${positionals.join(' ')} holds ${src.train?.set.count ? 'only one training image; GANomaly needs at least 2' : 'no training images'}.`);
    if (io.signal?.aborted && !model) {
      writeLine(io.stderr, 'Interrupted before training started; nothing to save.');
      return EXIT.interrupted;
    }
    let trainSet = src.train.set;
    let calibSet: data.ImageSet | null = null;
    const nHold = holdout > 0 ? Math.floor(trainSet.count * holdout) : 0;
    if (holdout > 0 && (nHold < 5 || trainSet.count - nHold < 2)) {
      const variant = ((model?.config as { scoreVariant?: string } | undefined)?.scoreVariant ?? modelOptions!.scoreVariant) as (typeof metrics.SCORE_VARIANTS)[number];
      const needs = select === 'validation' ? '--select validation' : (model?.kind ?? kindOpt ?? 'ganomaly') === 'ganomaly' && metrics.CALIBRATED_SCORE_VARIANTS.includes(variant) ? `--score-variant ${variant}` : null;
      if (needs) throw dataError(`${needs} needs held-out normal images, but ${trainSet.count} training images at --holdout ${holdout} leave ${nHold} (at least 5 are needed): raise --holdout or add images.`);
      warn(`only ${trainSet.count} training images: none held out, so the model is not calibrated (run 'ganomaly calibrate' with other normal images).`);
    } else if (nHold > 0) {
      const order = data.shuffledIndices(trainSet.count, seed + 1);
      calibSet = data.subset(trainSet, order.slice(0, nHold));
      trainSet = data.subset(trainSet, Array.from(order.slice(nHold)).sort((a, b) => a - b));
    }
    const run: RunInfo = {
      source: src.description,
      trainImages: trainSet.count,
      trainSha256: createHash('sha256').update(trainSet.pixels).digest('hex'),
      batchSize,
      epochs,
      holdout,
      quantile,
      seed,
      valLimit,
      workers,
      backend: '',
      ...(select === 'validation' ? { select } : {}),
    };
    if (saved && (saved.trainSha256 !== run.trainSha256 || saved.trainImages !== run.trainImages)) {
      throw usage(
        `The checkpoint at ${checkpoint} was trained on other images (${saved.trainImages} from ${saved.source}; now ${run.trainImages} from ${run.source}). Resume with the same data and options, or delete the checkpoint to start over.`,
      );
    }
    let validation: { images: data.ImageSet; labels: Uint8Array } | undefined;
    if (src.test && valLimit > 0) {
      let t = src.test.set;
      if (t.count > valLimit) {
        // A seeded sample that keeps both classes.
        const idx = Array.from(data.shuffledIndices(t.count, seed + 2).slice(0, valLimit)).sort((a, b) => a - b);
        t = data.subset(t, idx);
      }
      const labels = t.labels!;
      if (labels.includes(0) && labels.includes(1)) validation = { images: t, labels };
      else warn(`the ${t.count} labelled image(s) sampled for validation are all of one class: no validation AUROC (raise --val-limit).`);
    }
    say(
      `data: ${src.description}: ${trainSet.count} training images${calibSet ? `, ${calibSet.count} held out for calibration` : ''}` +
        `${validation ? `, ${validation.images.count} labelled for validation` : ''} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );

    if (!model) {
      const kind = kindOpt ?? 'ganomaly';
      // --score-variant is GANomaly's and the VAE's (the other kinds refused it above).
      const { scoreVariant, ...shared } = modelOptions!;
      model = (await createDetector(kind, { backend: backendName, ...shared, ...(kind === 'ganomaly' || kind === 'vae' ? { scoreVariant } : {}), channels })) as CliModel;
    }
    const m = model;
    // Free space, now that the model's size is known: a save that cannot fit fails before training.
    const modelBytes = Object.values(m.networks as Record<string, { countParams(): number }>).reduce((sum, net) => sum + net.countParams() * 4, 0) + 64 * 1024;
    if (outSpace.free !== null && outSpace.free < modelBytes) {
      throw usage(`--out ${out}: only ${mb(outSpace.free)} free in ${outSpace.where}, the model needs about ${mb(modelBytes)}. Free some space or choose another --out (checked before training).`);
    }
    if (ckptSpace.free !== null && ckptSpace.free < 3 * modelBytes) {
      warn(`--checkpoint ${checkpoint}: only ${mb(ckptSpace.free)} free in ${ckptSpace.where}, a checkpoint needs about ${mb(3 * modelBytes)}; checkpoints may fail (training goes on).`);
    }
    run.backend = saved?.backend ?? m.backend;
    const remaining = epochs - m.epochs;
    say(
      `model: ${m.kind === 'ganomaly' ? '' : `${m.kind} `}${imageSize}x${imageSize}x${channels}${m.kind === 'skip-ganomaly' ? '' : `, nz ${m.config.latentDim}`}, width ${m.config.baseWidth}, backend ${m.backend}${threadsNote(m.backend)}${workers !== 1 ? `, workers ${workers}` : ''}; ` +
        (resume ? `resuming after epoch ${m.epochs}${m.interruptedEpoch ? ` + ${m.interruptedEpoch.nextBatch}/${m.interruptedEpoch.batches} batches` : ''}, ` : '') +
        `${remaining} epoch(s) to go`,
    );
    const saveCheckpoint = () => m.save(`file://${checkpoint}`, { trainingState: true, info: { run } });
    let selected: FitSelection | undefined;
    if (remaining > 0) {
      const history: DetectorEpochLogs[] = [];
      try {
        const fitOptions: FitOptions = {
          epochs: remaining,
          batchSize,
          signal: io.signal,
          validation,
          ...(m.kind === 'ganomaly' ? { workers, tensorBoard } : {}),
          // The held-out calibration images are the selection set's normal images (training-side data only).
          ...(select === 'validation' ? { select: 'validation' as const, selection: { images: calibSet! } } : {}),
          onBatchEnd: (b) => progress.update({ ...b, epochs }),
          onEpochEnd: async (logs) => {
            history.push(logs);
            say(
              `epoch ${logs.epoch}/${epochs}  ${epochLosses(logs)}  ` +
                `${logs.imagesPerSecond.toFixed(1)} img/s  ${formatDuration(logs.seconds)}` +
                (logs.auroc !== undefined ? `  val AUROC ${logs.auroc.toFixed(4)}` : '') +
                (logs.selectionAuroc !== undefined ? `  selection AUROC ${logs.selectionAuroc.toFixed(4)}` : '') +
                (logs.discriminatorResets ? `  (D re-initialised ${logs.discriminatorResets}x)` : ''),
            );
            if (logs.epoch < epochs) {
              try {
                await saveCheckpoint();
              } catch (e) {
                if (!isSystemError(e)) throw e;
                // A failed checkpoint costs only the protection against an interruption: training goes on.
                warn(`the checkpoint of epoch ${logs.epoch} could not be saved to ${checkpoint}: ${systemMessage(e)}; training goes on.`);
              }
            }
          },
        };
        const fitted = (await m.fit(trainSet, fitOptions as DetectorFitOptions)) as FitResult;
        selected = fitted.selection;
        if (fitted.trainingStep === 'compiled') say('training step: one compiled TensorFlow graph per batch (GANOMALY_COMPILED_STEP=0 runs the eager step)');
        if (selected) {
          say(`selected epoch ${selected.epoch} of ${m.epochs} (selection AUROC ${selected.auroc.toFixed(4)}; the last epoch's ${selected.perEpoch[selected.perEpoch.length - 1]!.toFixed(4)})`);
        }
      } catch (e) {
        if (e instanceof AbortError) {
          progress.clear();
          try {
            await saveCheckpoint();
          } catch (err) {
            if (!isSystemError(err)) throw err;
            const where = await rescue(m, run, checkpoint);
            throw new CliError(
              `Interrupted, but the checkpoint could not be saved to ${checkpoint} (${systemMessage(err)}); ${where ? `the training state is at ${where} instead: move it to ${checkpoint} and resume` : 'no copy could be saved anywhere'}.`,
              EXIT.error,
            );
          }
          const p = m.interruptedEpoch;
          const cont = ['ganomaly', 'train', ...resumeArgs(argv), '--backend', m.backend, '--resume'].map(shellQuote).join(' ');
          writeLine(
            io.stderr,
            `Interrupted ${m.epochs ? `after epoch ${m.epochs}${p ? ` and ${p.nextBatch}/${p.batches} batches of epoch ${p.epoch}` : ''}` : p ? `after ${p.nextBatch}/${p.batches} batches of epoch 1` : 'before the first batch'}; checkpoint saved to ${checkpoint}.\n` +
              `Continue with: ${cont}`,
          );
          return EXIT.interrupted;
        }
        // Nothing is lost: the checkpoint of the last complete epoch stays for --resume.
        if (e instanceof Error && (await isModelFolder(checkpoint))) e.message += ` (the checkpoint of epoch ${m.epochs} is at ${checkpoint}: continue with --resume)`;
        throw e;
      }
    }
    if (calibSet) {
      const c = await m.calibrate(calibSet, { quantile });
      say(`calibrated on ${c.count} held-out normal images: threshold ${c.threshold.toPrecision(5)} (quantile ${quantile})`);
    }
    // Checked again at the save: the lock is still this run's, and no model appeared in --out meanwhile.
    let problem: string | null = null;
    if (!(await held.lock!.held())) problem = `the lock ${held.lock!.file} was taken by another run`;
    else if (!v.force && (await isModelFolder(out))) problem = `${out} now holds a model saved by something else during training (pass --force to replace it)`;
    if (!problem) {
      try {
        await m.save(`file://${out}`, { info: { run, ...(selected ? { selection: selected } : {}) } });
      } catch (e) {
        if (!isSystemError(e)) throw e;
        problem = `it could not be written: ${systemMessage(e)}`;
      }
    }
    if (problem) {
      // The trained weights are kept: as a checkpoint, which --resume turns into the model without training again.
      const where = await rescue(m, run, checkpoint);
      const cont = ['ganomaly', 'train', ...resumeArgs(argv, !!where && where !== checkpoint), '--backend', m.backend, ...(where && where !== checkpoint ? ['--checkpoint', where] : []), '--resume'].map(shellQuote).join(' ');
      throw new CliError(
        `The trained model was not saved to ${out}: ${problem}. ` +
          (where ? `It is kept as a checkpoint at ${where}; once that is fixed, save it with: ${cont}` : 'No copy could be saved anywhere (the disk is full?).'),
        EXIT.error,
      );
    }
    await rm(checkpoint, { recursive: true, force: true });
    if (validation) {
      const r = await m.evaluate(validation.images, validation.labels);
      say(`validation: AUROC ${r.auroc.toFixed(4)}, AP ${r.averagePrecision.toFixed(4)}, F1 ${r.f1.toFixed(4)} at ${r.thresholdSource} threshold`);
    }
    writeLine(io.stdout, `Model saved to ${out}`);
    return EXIT.ok;
  } finally {
    model?.dispose();
  }
}

export { CliError };

/** An epoch's losses: GANomaly's five as before, another detector's by name. */
function epochLosses(logs: DetectorEpochLogs): string {
  const g = logs as Partial<EpochLogs>;
  if (g.generatorLoss !== undefined) {
    return `G ${g.generatorLoss.toFixed(4)}  D ${g.discriminatorLoss!.toFixed(4)}  adv ${g.adversarialLoss!.toFixed(4)} con ${g.contextualLoss!.toFixed(4)} enc ${g.encoderLoss!.toFixed(4)}`;
  }
  return Object.entries((logs as LossEpochLogs).losses ?? {}).map(([k, x]) => `${k} ${x.toFixed(4)}`).join('  ');
}

/** ' (2 threads)' for wasm with XNNPACK threads, else ''. */
function threadsNote(backend: string): string {
  const t = backend === 'wasm' ? wasmThreadsStatus()?.threads : null;
  return t && t > 1 ? ` (${t} threads)` : '';
}

function parseWorkers(raw: unknown): number | 'auto' {
  if (raw === undefined) return 1;
  if (raw === 'auto') return 'auto';
  const n = Number(raw);
  // Plain decimal digits only, as options.ts's int(): Number() would also take '0x2', '1e0' or ' 2'.
  if (typeof raw !== 'string' || !/^[-+]?\d+$/.test(raw) || !Number.isInteger(n) || n < 1 || n > 64) throw usage(`--workers must be an integer from 1 to 64 or 'auto', got '${String(raw)}'.`);
  return n;
}

/** A training checkpoint (saved with its training state), not a finished model. A model folder whose metadata is unusable is a model error. */
async function isCheckpointFolder(dir: string): Promise<boolean> {
  try {
    return !!(await readModelMetadata(dir)).training;
  } catch (e) {
    if (e instanceof ModelFormatError) throw modelError(`${dir} is not a usable GANomaly model: ${e.message}`);
    throw e;
  }
}

/** A folder the model or checkpoint can be saved to: absent, empty, or a saved model. Checked before training, not after. */
async function checkWritableFolder(dir: string, flag: string): Promise<void> {
  const st = await stat(dir).catch(() => null);
  if (!st) return;
  if (!st.isDirectory()) throw usage(`${flag} ${dir} is a file, not a folder.`);
  if ((await readdir(dir)).length > 0 && !(await isModelFolder(dir))) {
    throw usage(`${flag} ${dir} is a folder with other files in it; choose a new or empty folder (a saved model is replaced only with --force).`);
  }
}

/** The command line of this run without the options --resume must not repeat. */
function resumeArgs(argv: string[], dropCheckpoint = false): string[] {
  const drop = new Set([...MODEL_FLAGS, 'backend', 'resume', ...(dropCheckpoint ? ['checkpoint'] : []), 'epochs', 'batch-size', 'holdout', 'quantile', 'val-limit', 'workers'].map((k) => `--${k}`));
  const short = new Set(['-b', '-e', '-w']);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag] = a.split('=');
    if (drop.has(flag!) || short.has(a)) {
      const takesValue = !a.includes('=') && flag !== '--resume';
      if (takesValue) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toPrecision(2)} MB`;
}

/**
 * Saves the model's full training state where it is safe: the checkpoint folder, else a new folder
 * in the system's temporary folder. Returns where, or null when neither could be written.
 */
async function rescue(m: CliModel, run: RunInfo, checkpoint: string): Promise<string | null> {
  for (const dir of [checkpoint, null]) {
    const target = dir ?? (await mkdtemp(path.join(tmpdir(), 'ganomaly-rescue-')).catch(() => null));
    if (!target) continue;
    try {
      await m.save(`file://${target}`, { trainingState: true, info: { run } });
      return target;
    } catch {
      if (!dir) await rm(target, { recursive: true, force: true }).catch(() => undefined);
    }
  }
  return null;
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
