import { stat } from 'node:fs/promises';
import path from 'node:path';
import { CALIBRATION_METHODS, Ganomaly, ImageError, MODEL_FILES, VERSION, data, readModelMetadata } from '@ganomaly/core';
import { createReport, csvField, reportMetrics, writeReport, type ClassMetrics } from '@ganomaly/report';
import { CliError, EXIT, dataError, modelError, usage, writeLine, type CliIO, type Output } from './io.js';
import { COMMON_OPTIONS, IMAGE_OPTIONS, choice, int, num, parse, type CommandSpec } from './options.js';
import { countProgress } from './progress.js';
import { imageFiles, imageLoadOptions, loadSource } from './sources.js';
import { isModelFolder, loadModel, printSkipped } from './shared.js';
import { atomicFile, checkOutputFile, checkReportDir, isSystemError, systemMessage } from './safety.js';
import { loadOnnxModel, type ScoringModel } from './onnx.js';

const DATA_NOTE =
  'DATA: the layout root (its test/ folder is used), a folder with normal/ and anomaly subfolders (abnormal/, or one per anomaly class),\n' +
  'or MNIST / CIFAR-10 with --anomaly-class N and --seed S (the split of `ganomaly train` with the same values).';

// ---------------------------------------------------------------- score

export const SCORE: CommandSpec = {
  name: 'score',
  brief: 'Score images: CSV or JSON lines with raw score, normalised score and anomaly flag',
  summary: 'Scores images with a trained model: one row per image with its raw score, the score normalised with the calibration range, and the anomaly flag (score >= the calibrated threshold).',
  usage: 'ganomaly score MODEL IMAGES... [--format csv|jsonl] [--output FILE] [--engine tfjs|onnx]',
  positionals: { min: 2 },
  options: {
    format: { type: 'string', value: 'csv|jsonl|json', help: 'Output format: csv, JSON lines, or one JSON array (default: from the --output extension, .jsonl or .json; else csv)' },
    output: { type: 'string', short: 'o', value: 'FILE', help: 'Write rows to FILE instead of stdout' },
    'batch-size': { type: 'string', value: 'N', help: 'Images per forward pass (does not change the scores)', default: '256' },
    engine: { type: 'string', value: 'tfjs|onnx', help: 'tfjs (this library, on --backend), or onnx: ONNX Runtime (onnxruntime-node) on MODEL.onnx from `ganomaly export`, or on a model folder exported in memory', default: 'tfjs' },
    ...IMAGE_OPTIONS,
    ...COMMON_OPTIONS,
  },
  notes:
    'IMAGES: image files and folders (PNG, JPEG). Columns: file, score, normalized, anomaly (1/0; empty when the model is not\n' +
    'calibrated), error (why an image was skipped). Exit code 3 when no image could be scored, or on a bad image with --strict.',
};

export async function score(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parse(SCORE, argv);
  const [modelDir, ...inputs] = positionals.map((p) => path.resolve(io.cwd, p));
  const ext = typeof v.output === 'string' ? /\.(jsonl|json)$/i.exec(v.output)?.[1]?.toLowerCase() : undefined;
  const format = choice(v, 'format', (ext ?? 'csv') as 'csv' | 'jsonl' | 'json', ['csv', 'jsonl', 'json'] as const);
  const batchSize = int(v, 'batch-size', 256, 1)!;
  const maxPixels = int(v, 'max-pixels', data.DEFAULT_MAX_PIXELS, 1)!;
  const warn = (m: string) => writeLine(io.stderr, `warning: ${m}`);
  const files = await imageFiles(inputs, io.cwd, !!v.recursive, warn);
  const engine = choice(v, 'engine', 'tfjs', ['tfjs', 'onnx'] as const);
  // Checked before anything is written: -o onto an image being scored or into the model folder would destroy it.
  if (v.output) await checkOutputFile(path.resolve(io.cwd, v.output as string), files.map(data.showPath), modelDir!);
  const model: ScoringModel = engine === 'onnx' ? await loadOnnxModel(modelDir!, v.backend as string | undefined) : await loadModel(modelDir!, v.backend as string | undefined);
  let sink: Output = io.stdout;
  let file: Awaited<ReturnType<typeof atomicFile>> | null = null;
  if (v.output) {
    try {
      sink = file = await atomicFile(path.resolve(io.cwd, v.output as string));
    } catch (e) {
      // The ONNX scorer's dispose returns a promise; its failure must not hide why the file could not be opened.
      await Promise.resolve()
        .then(() => model.dispose())
        .catch(() => undefined);
      throw e;
    }
  }
  try {
    const cal = model.calibration;
    if (!cal) warn(`${modelDir} is not calibrated: the normalized and anomaly columns stay empty (run 'ganomaly calibrate' first).`);
    if (format === 'csv') sink.write('file,score,normalized,anomaly,error\n');
    // 'json': one array, written as the rows come (so a folder of any size still streams).
    let rows = 0;
    if (format === 'json') sink.write('[');
    /** One output row; `r` is the image's result (normalized score and flag only with a calibration), null when it was skipped. */
    const row = (file: string, r: { score: number; normalized: number | null; flag: number | null } | null, err?: string) => {
      const shown = path.relative(io.cwd, file) || file;
      const s = r?.score ?? null;
      const normalized = r?.normalized ?? null;
      const flag = r?.flag ?? null;
      if (format === 'csv') sink.write(`${csvField(shown)},${s ?? ''},${normalized ?? ''},${flag ?? ''},${err ? csvField(err) : ''}\n`);
      else {
        const json = JSON.stringify({ file: shown, score: s, normalized, anomaly: flag, ...(err ? { error: err } : {}) });
        sink.write(format === 'jsonl' ? `${json}\n` : `${rows ? ',' : ''}\n  ${json}`);
      }
      rows++;
      return flag;
    };
    // Rows and a progress line on the same terminal would garble each other.
    const progress = countProgress(io.stderr, 'scoring', !v.quiet && !(sink === io.stdout && io.stdout.isTTY));
    const opts = { imageSize: model.config.imageSize, channels: model.config.channels as 1 | 3, strict: !!v.strict, maxPixels };
    let scored = 0;
    let flagged = 0;
    let skipped = 0;
    const chunk = 512;
    for (let i = 0; i < files.length; i += chunk) {
      const part = files.slice(i, i + chunk);
      let loaded: { set: data.ImageSet; files: string[]; skipped: { file: string; reason: string }[] };
      try {
        loaded = await data.loadImageFiles(part, { ...opts, onWarning: warn });
      } catch (e) {
        if (!(e instanceof ImageError) || v.strict) throw e instanceof ImageError ? dataError(e.message) : e;
        // Every file of this chunk failed (each was reported already): find each one's own reason.
        const skipped: { file: string; reason: string }[] = [];
        for (const f of part) {
          const r = await data.loadImageFiles([f], { ...opts, onWarning: () => undefined }).catch((err: Error) => err);
          skipped.push({ file: data.showPath(f), reason: r instanceof Error ? r.message.replace(/^None of the 1 image files could be loaded \((.*)\)\.$/s, '$1') : 'not loaded' });
        }
        loaded = { set: data.imageSet(new Uint8Array(0), { count: 0, height: 1, width: 1, channels: 1 }), files: [], skipped };
      }
      // With a calibration, the model's own predict gives the normalised scores and flags.
      const p = !loaded.set.count ? null : cal ? await model.predict(loaded.set, { batchSize }) : { scores: await model.score(loaded.set, { batchSize }), normalizedScores: null, isAnomaly: null };
      const scores = p?.scores ?? new Float32Array(0);
      if (scores.some((x) => !Number.isFinite(x))) {
        throw modelError(`${modelDir} gives non-finite scores: its weights are damaged (NaN or infinite). Retrain it or restore a good copy.`);
      }
      const byFile = new Map(loaded.files.map((f, k) => [f, { score: scores[k]!, normalized: p?.normalizedScores?.[k] ?? null, flag: p?.isAnomaly?.[k] ?? null }]));
      const reasons = new Map(loaded.skipped.map((s) => [s.file, s.reason]));
      for (const raw of part) {
        const f = data.showPath(raw);
        if (byFile.has(f)) {
          scored++;
          if (row(f, byFile.get(f)!) === 1) flagged++;
        } else {
          skipped++;
          row(f, null, reasons.get(f) ?? 'not loaded');
        }
      }
      progress(Math.min(i + chunk, files.length), files.length);
    }
    if (format === 'json') sink.write(rows ? '\n]\n' : ']\n');
    if (!v.quiet) {
      writeLine(io.stderr, `scored ${scored} image(s)${cal ? `, ${flagged} flagged as anomalies (threshold ${cal.threshold.toPrecision(5)})` : ''}${skipped ? `, ${skipped} skipped` : ''}`);
    }
    await file?.commit();
    file = null;
    return scored === 0 ? EXIT.data : EXIT.ok;
  } finally {
    // The temporary output file goes even when dispose rejects.
    try {
      await model.dispose();
    } finally {
      await file?.abort();
    }
  }
}

// ---------------------------------------------------------------- evaluate

export const EVALUATE: CommandSpec = {
  name: 'evaluate',
  brief: 'Metrics on labelled images (AUROC, AP, F1, EER, per class); --report writes PNG charts and index.html',
  summary: 'Evaluates a model on labelled images: AUROC, average precision, F1 (with precision and recall) at the model\'s threshold, equal error rate, AUROC per anomaly class; --report writes the visual report.',
  usage: 'ganomaly evaluate MODEL DATA [--report DIR] [--json]',
  positionals: { min: 2, max: 2 },
  options: {
    report: { type: 'string', value: 'DIR', help: 'Write the report: ROC and PR curves, score histogram, reconstruction grids, scores.csv, index.html' },
    threshold: { type: 'string', value: 'X', help: 'Raw-score threshold for F1 (default: the calibrated one, else the paper\'s phi 0.2 on these scores\' range)' },
    'top-k': { type: 'string', value: 'N', help: 'Images per reconstruction grid', default: '8' },
    json: { type: 'boolean', help: 'Print the metrics as JSON' },
    force: { type: 'boolean', short: 'f', help: 'Let --report write into a folder that holds other files (never into a data or model folder)' },
    'anomaly-class': { type: 'string', value: 'N', help: 'MNIST/CIFAR-10: the class held out as the anomaly' },
    seed: { type: 'string', value: 'N', help: 'MNIST/CIFAR-10: seed of the split', default: '0' },
    ...IMAGE_OPTIONS,
    ...COMMON_OPTIONS,
  },
  notes: DATA_NOTE,
};

export async function evaluate(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parse(EVALUATE, argv);
  const modelDir = path.resolve(io.cwd, positionals[0]!);
  const threshold = v.threshold === undefined ? undefined : Number(v.threshold);
  if (threshold !== undefined && (!Number.isFinite(threshold) || String(v.threshold).trim() === '')) throw usage(`--threshold must be a number (a raw score), got '${String(v.threshold)}'.`);
  const topK = int(v, 'top-k', 8, 1, 64)!;
  const warn = (m: string) => writeLine(io.stderr, `warning: ${m}`);
  if (v.report) {
    const data = positionals[1] === 'mnist' ? [] : [path.resolve(io.cwd, positionals[1]!)];
    await checkReportDir(path.resolve(io.cwd, v.report as string), data, modelDir, !!v.force);
  }
  const model = await loadModel(modelDir, v.backend as string | undefined);
  try {
    const src = await loadSource([positionals[1]!], io.cwd, io.env, 'labelled', imageLoadOptions(v, model, io, warn));
    printSkipped(src.skipped, warn);
    const t = src.test!;
    if (!t.labels.includes(0) || !t.labels.includes(1)) throw dataError(`${positionals[1]} needs both normal and anomalous images to evaluate on.`);
    const reportDir = v.report ? path.resolve(io.cwd, v.report as string) : null;
    let summary: Record<string, unknown>;
    let perClass: ClassMetrics[];
    if (v.report) {
      const report = await createReport(model, { images: t.set, labels: t.labels, names: t.names.map((n) => path.relative(io.cwd, n) || n), classes: t.classes, threshold, topK });
      const dir = reportDir!;
      let files: string[];
      try {
        ({ files } = await writeReport(report, dir, { title: `GANomaly report: ${path.basename(modelDir)} on ${src.description}` }));
      } catch (e) {
        if (isSystemError(e)) throw new CliError(`Cannot write the report to ${dir}: ${systemMessage(e)}.`, EXIT.error);
        throw e;
      }
      summary = { ...report.metrics };
      // The report also ranks the normal class against all anomalies; the command lists anomaly classes.
      perClass = anomalyClassAuroc(report.metrics.perClass ?? [], t.labels, t.classes);
      if (!v.quiet) writeLine(io.stderr, `report written to ${path.join(dir, 'index.html')} (${files.length} files)`);
    } else {
      const r = await model.evaluate(t.set, t.labels, threshold === undefined ? {} : { threshold });
      const m = reportMetrics(r, t.labels, t.classes);
      perClass = anomalyClassAuroc(m.perClass ?? [], t.labels, t.classes);
      summary = { ...m };
    }
    if (v.json) writeLine(io.stdout, JSON.stringify({ ...summary, perClass, data: src.description, model: modelDir }, null, 2));
    else {
      const f = (x: unknown) => (typeof x === 'number' ? x.toFixed(4) : String(x));
      writeLine(io.stdout, `data: ${src.description}: ${summary.count} images (${summary.normal} normal, ${summary.anomalous} anomalous)`);
      writeLine(io.stdout, `AUROC ${f(summary.auroc)}  AP ${f(summary.averagePrecision)}  EER ${f(summary.eer)}`);
      writeLine(io.stdout, `F1 ${f(summary.f1)}  precision ${f(summary.precision)}  recall ${f(summary.recall)}  at threshold ${Number(summary.threshold).toPrecision(5)} (${summary.thresholdSource})`);
      if (perClass.length > 1) for (const c of perClass) writeLine(io.stdout, `  ${c.class}: AUROC ${f(c.auroc)} (${c.count} images vs all normal)`);
    }
    return EXIT.ok;
  } finally {
    model.dispose();
  }
}

/** AUROC of each anomaly class against all normal images (the report's per-class figures, anomaly classes only). */
function anomalyClassAuroc(perClass: ClassMetrics[], labels: ArrayLike<number>, classes: string[]): ClassMetrics[] {
  const anomalyClasses = new Set(classes.filter((_, i) => labels[i] === 1));
  return perClass.filter((c) => anomalyClasses.has(c.class));
}

// ---------------------------------------------------------------- calibrate

export const CALIBRATE: CommandSpec = {
  name: 'calibrate',
  brief: 'Fit the anomaly threshold on held-out images and save it with the model',
  summary:
    'Fits the score normalisation and the anomaly threshold on held-out images and saves them with the model. A plain folder of normal images: the threshold is a quantile of their scores. Labelled DATA: the threshold with the best F1 (or --method quantile on its normal images).',
  usage: 'ganomaly calibrate MODEL DATA... [--method quantile|f1|fixed] [--output DIR]',
  positionals: { min: 2 },
  options: {
    method: { type: 'string', value: 'quantile|f1|fixed', help: 'quantile of normal scores; best F1 (labelled data); fixed: the paper\'s phi on the min-max scale', default: 'quantile, or f1 with labels' },
    quantile: { type: 'string', value: 'Q', help: 'For quantile', default: '0.99' },
    phi: { type: 'string', value: 'P', help: 'For fixed', default: '0.2' },
    output: { type: 'string', short: 'o', value: 'DIR', help: 'Save the calibrated model here instead of replacing MODEL' },
    force: { type: 'boolean', short: 'f', help: 'Let --output replace another saved model' },
    'anomaly-class': { type: 'string', value: 'N', help: 'MNIST/CIFAR-10: the class held out as the anomaly' },
    seed: { type: 'string', value: 'N', help: 'MNIST/CIFAR-10: seed of the split', default: '0' },
    ...IMAGE_OPTIONS,
    ...COMMON_OPTIONS,
  },
  notes: 'Calibrate on images the model was not trained on and that you will not report results on.',
};

export async function calibrate(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parse(CALIBRATE, argv);
  const [modelArg, ...dataArgs] = positionals;
  const modelDir = path.resolve(io.cwd, modelArg!);
  const output = path.resolve(io.cwd, (v.output as string | undefined) ?? modelDir);
  if (v.output && output !== modelDir && (await stat(output).catch(() => null))) {
    if (!(await isModelFolder(output))) throw usage(`--output ${output} exists and is not a model folder; choose another.`);
    if (!v.force) throw usage(`--output ${output} already holds another model; pass --force to replace it.`);
  }
  const warn = (m: string) => writeLine(io.stderr, `warning: ${m}`);
  const model = await loadModel(modelDir, v.backend as string | undefined);
  try {
    const src = await loadSource(dataArgs, io.cwd, io.env, 'any', imageLoadOptions(v, model, io, warn));
    printSkipped(src.skipped, warn);
    const labelled = src.test && src.kind !== 'folder' && src.kind !== 'files';
    const method = choice(v, 'method', labelled ? 'f1' : 'quantile', CALIBRATION_METHODS);
    if (method === 'f1' && !labelled) throw usage(`--method f1 needs labelled data (normal/ and anomaly folders); ${dataArgs.join(' ')} has none.`);
    const images = labelled ? src.test!.set : src.train!.set;
    const labels = labelled ? src.test!.labels : undefined;
    if (src.kind === 'layout' || src.kind === 'mnist' || src.kind === 'cifar10') {
      warn(`calibrating on the test images of ${dataArgs[0]}: evaluate on other images, or the reported figures are optimistic.`);
    }
    if (method === 'quantile' && labels) warn(`--method quantile on labelled data: the threshold is the quantile of its ${labels.filter((l) => l === 0).length} normal images.`);
    const c = await model.calibrate(images, {
      method,
      labels,
      quantile: num(v, 'quantile', undefined, 0, 1),
      phi: num(v, 'phi', undefined, 0, 1),
    });
    try {
      await model.save(`file://${output}`);
    } catch (e) {
      // A file:// save swaps the new folder in only once it is complete: the model there is as it was.
      if (isSystemError(e)) throw new CliError(`Cannot save the calibrated model to ${output}: ${systemMessage(e)}. ${output === modelDir ? 'The model there is unchanged.' : 'Nothing was saved.'}`, EXIT.error);
      throw e;
    }
    writeLine(
      io.stdout,
      `calibrated (${c.method}${c.quantile !== undefined ? ` ${c.quantile}` : ''}${c.phi !== undefined ? ` phi ${c.phi}` : ''}) on ${c.count} images: threshold ${c.threshold.toPrecision(6)}, ` +
        `normalisation range [${c.normalization.min.toPrecision(5)}, ${c.normalization.max.toPrecision(5)}]; saved to ${output}`,
    );
    return EXIT.ok;
  } finally {
    model.dispose();
  }
}

// ---------------------------------------------------------------- info

export const INFO: CommandSpec = {
  name: 'info',
  brief: 'Describe a saved model or checkpoint',
  summary: 'Describes a saved model or training checkpoint: format and library version, configuration, training progress, calibration.',
  usage: 'ganomaly info MODEL [--json]',
  positionals: { min: 1, max: 1 },
  options: {
    json: { type: 'boolean', help: 'Print the metadata as JSON' },
    help: COMMON_OPTIONS.help!,
  },
};

export async function info(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parse(INFO, argv);
  const dir = path.resolve(io.cwd, positionals[0]!);
  // Reads the metadata and checks that the model loads, weights included (finite, matching the manifest).
  const model = await loadModel(dir, 'wasm');
  try {
    // One forward pass: weights that are finite but out of range give non-finite scores (exit 4).
    const n = model.config.imageSize;
    const probe = data.imageSet(new Uint8Array(n * n * model.config.channels).fill(128), { count: 1, height: n, width: n, channels: model.config.channels as 1 | 3 });
    // GANomaly's components need no calibration (its 'skip' and 'combined' scores do); the other kinds score.
    if (model instanceof Ganomaly) await model.scoreComponents(probe);
    else await model.score(probe);
    const meta = model.metadata();
    let bytes = 0;
    for (const f of Object.values(MODEL_FILES)) bytes += (await stat(path.join(dir, f)).catch(() => null))?.size ?? 0;
    // As saved (model.metadata() is what a save now would write: this library's version, now).
    const saved = await readModelMetadata(dir);
    if (v.json) {
      writeLine(io.stdout, JSON.stringify({ ...meta, savedAt: saved.savedAt, libraryVersion: saved.libraryVersion, checkpoint: !!saved.training, interruptedEpoch: model.interruptedEpoch, bytes }, null, 2));
      return EXIT.ok;
    }
    const c = meta.config as typeof model.config & { encoder?: string; scoreVariant?: string; lossWeights?: Record<string, number> };
    const kind = model.kind;
    const lines = [
      `${dir}: ${kind === 'ganomaly' ? 'GANomaly' : `'${kind}' detector`} ${saved.training ? 'training checkpoint' : 'model'}, format ${meta.formatVersion}, saved by @ganomaly ${saved.libraryVersion} at ${saved.savedAt} (this is ${VERSION})`,
      kind === 'ganomaly'
        ? `input ${c.imageSize}x${c.imageSize}x${c.channels}, latent ${c.latentDim}, width ${c.baseWidth}, encoder ${c.encoder}, score ${c.scoreVariant}, BatchNorm ${c.batchNormMode} (${meta.statistics} statistics)`
        : `input ${c.imageSize}x${c.imageSize}x${c.channels}${kind === 'skip-ganomaly' ? '' : `, latent ${c.latentDim}`}, width ${c.baseWidth}${c.scoreVariant ? `, score ${c.scoreVariant}` : ''}` +
          `${c.lossWeights && Object.keys(c.lossWeights).length ? `, loss weights ${Object.entries(c.lossWeights).map(([k, w]) => `${k} ${w}`).join(', ')}` : ''}, BatchNorm ${c.batchNormMode} (${meta.statistics} statistics)`,
      `trained ${meta.epochsTrained} epoch(s)${model.interruptedEpoch ? ` + ${model.interruptedEpoch.nextBatch}/${model.interruptedEpoch.batches} batches of epoch ${model.interruptedEpoch.epoch}` : ''}, lr ${c.learningRate}, seed ${c.seed}`,
      meta.calibration
        ? `calibrated (${meta.calibration.method}) on ${meta.calibration.count} images: threshold ${meta.calibration.threshold.toPrecision(6)}, range [${meta.calibration.normalization.min.toPrecision(5)}, ${meta.calibration.normalization.max.toPrecision(5)}]`
        : 'not calibrated',
      ...(meta.info?.run ? [`data: ${(meta.info.run as { source: string }).source}`] : []),
      ...selectionLine(meta.info, meta.selection),
      `${(bytes / 1e6).toFixed(1)} MB`,
    ];
    for (const l of lines) writeLine(io.stdout, l);
    return EXIT.ok;
  } finally {
    model.dispose();
  }
}

export { modelError };

/** Which epoch's weights a model holds, as `info` shows it: the library's metadata.selection, or what `ganomaly train --select` noted. */
function selectionLine(info: Record<string, unknown> | undefined, saved?: { epoch: number; auroc: number }): string[] {
  const run = info?.run as { select?: string } | undefined;
  const noted = info?.selection as { epoch?: number; auroc?: number; perEpoch?: number[] } | undefined;
  const sel: { epoch?: number; auroc?: number; perEpoch?: number[] } | undefined = noted && typeof noted.epoch === 'number' ? noted : saved;
  if (!run && !saved) return [];
  if (!run) return [`selection: validation, epoch ${saved!.epoch} kept, selection AUROC ${saved!.auroc.toFixed(4)}`];
  if (!sel || typeof sel.epoch !== 'number' || typeof sel.auroc !== 'number') return [`selection: ${run.select ?? 'last'} (the last epoch's weights)`];
  const per = Array.isArray(sel.perEpoch) ? ` (per epoch: ${sel.perEpoch.map((a) => a.toFixed(3)).join(' ')})` : '';
  return [`selection: validation, epoch ${sel.epoch} kept, selection AUROC ${sel.auroc.toFixed(4)}${per}`];
}
