// The evaluation report: metrics, charts and reconstruction grids of a model on labelled images
// (createReport, as data), an offline HTML page for them (reportHtml), and the files on disk
// (writeReport, Node only).
import { ValueError, checkBinaryLabels } from '@ganomaly/common';
import type { Detector, EvaluationResult } from '@ganomaly/core';
import { isImageSet, preprocess, subset, type ImageSet } from '@ganomaly/data';
import { auroc as aurocOf } from '@ganomaly/math';
import type { RgbaImage } from './rgba.js';
import { formatNumber, precisionRecallChart, rocChart, scoreHistogram } from './charts.js';
import { reconstructionGrid, type GridItem } from './grid.js';
import { encodePng } from './png.js';

export interface ReportInput {
  /** The labelled images, any size and 1, 3 or 4 channels (the model resizes and converts them). */
  images: ImageSet;
  /** One per image: 1 = anomaly, 0 = normal. */
  labels: ArrayLike<number>;
  /** One per image (e.g. file names); default "#<index>". */
  names?: string[];
  /** One per image (e.g. the original class or digit); adds per-class AUROC. */
  classes?: string[];
  /** Decision threshold on the raw score scale; default: the model's calibration, else the paper's phi on these scores. */
  threshold?: number;
  /** Images per grid (most normal, most anomalous, misclassified). Default 8. */
  topK?: number;
}

/** AUROC of one class; see createReport for how each class is scored. */
export interface ClassMetrics {
  class: string;
  count: number;
  /** NaN when undefined (e.g. no image of the other label to rank against). */
  auroc: number;
}

export interface ReportMetrics {
  auroc: number;
  averagePrecision: number;
  /** F1, precision and recall at `threshold`. */
  f1: number;
  precision: number;
  recall: number;
  /** Equal error rate. */
  eer: number;
  /** On the raw score scale: an image is predicted anomalous when its score >= threshold. */
  threshold: number;
  thresholdSource: EvaluationResult['thresholdSource'];
  count: number;
  normal: number;
  anomalous: number;
  /** With `classes`: one entry per class, classes in natural order. */
  perClass?: ClassMetrics[];
}

export interface ReportRow {
  name: string;
  score: number;
  /** 1 = anomaly. */
  label: number;
  /** 1 when score >= threshold. */
  predicted: number;
  class?: string;
}

export interface Report {
  metrics: ReportMetrics;
  images: {
    roc: RgbaImage;
    pr: RgbaImage;
    histogram: RgbaImage;
    /** The topK lowest scores, lowest first. */
    mostNormal: RgbaImage;
    /** The topK highest scores, highest first. */
    mostAnomalous: RgbaImage;
    /** Up to topK misclassified images (false positives, highest score first, then false negatives, lowest first); null when none. */
    misclassified: RgbaImage | null;
  };
  /** One per image, sorted by score, highest (most anomalous) first; equal scores by input order. */
  rows: ReportRow[];
}

export type ReportImageName = keyof Report['images'];

/** File names writeReport gives the images. */
export const REPORT_FILES: Readonly<Record<ReportImageName, string>> = Object.freeze({
  roc: 'roc.png',
  pr: 'pr.png',
  histogram: 'histogram.png',
  mostNormal: 'most-normal.png',
  mostAnomalous: 'most-anomalous.png',
  misclassified: 'misclassified.png',
});

const THRESHOLD_NOTES: Record<ReportMetrics['thresholdSource'], string> = {
  given: '(given)',
  calibration: '(calibrated)',
  phi: '(phi 0.2)',
};

function checkStrings(value: unknown, n: number, arg: string, fn: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length !== n || !value.every((v) => typeof v === 'string')) {
    throw new ValueError(`Argument '${arg}' passed to '${fn}' must be an array of ${n} strings (one per image), but got ${Array.isArray(value) ? `${value.length} entries` : typeof value}.`);
  }
  return value;
}

function checkInput(input: ReportInput, fn: string) {
  if (input === null || typeof input !== 'object') throw new ValueError(`Argument 'input' passed to '${fn}' must be an object {images, labels, names?, classes?, threshold?, topK?}.`);
  if (!isImageSet(input.images)) throw new ValueError(`Argument 'input.images' passed to '${fn}' must be an ImageSet (see @ganomaly/data).`);
  const n = input.images.count;
  const labels = checkBinaryLabels(input.labels, n, 'input.labels', fn);
  const topK = input.topK ?? 8;
  if (!Number.isInteger(topK) || topK < 1 || topK > 1000) throw new ValueError(`Argument 'input.topK' passed to '${fn}' must be an integer from 1 to 1000, but got ${topK}.`);
  if (input.threshold !== undefined && !Number.isFinite(input.threshold)) throw new ValueError(`Argument 'input.threshold' passed to '${fn}' must be a finite number or undefined, but got ${input.threshold}.`);
  return { labels, topK, names: checkStrings(input.names, n, 'input.names', fn), classes: checkStrings(input.classes, n, 'input.classes', fn) };
}

/**
 * Per class: the AUROC of the class's images against the images of the other label from the
 * other classes (an anomaly class against all normal images, a normal class against all
 * anomalies); a class holding both labels is scored on its own images. NaN where undefined.
 */
export function perClassMetrics(scores: ArrayLike<number>, labels: Uint8Array, classes: string[]): ClassMetrics[] {
  const names = [...new Set(classes)].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return names.map((name) => {
    const inClass: number[] = [];
    const has = [false, false];
    classes.forEach((c, i) => {
      if (c === name) {
        inClass.push(i);
        has[labels[i]!] = true;
      }
    });
    let idx = inClass;
    if (!(has[0] && has[1])) {
      const other = has[0] ? 1 : 0;
      idx = [...inClass, ...classes.flatMap((c, i) => (c !== name && labels[i] === other ? [i] : []))];
    }
    const s = idx.map((i) => scores[i]!);
    const y = idx.map((i) => labels[i]!);
    const both = y.includes(0) && y.includes(1);
    return { class: name, count: inClass.length, auroc: both ? aurocOf(s, y) : NaN };
  });
}

/** The report's metrics from an evaluation of labelled images (1 = anomaly), with per-class AUROCs when `classes` are given. */
export function reportMetrics(ev: EvaluationResult, labels: ArrayLike<number>, classes?: string[]): ReportMetrics {
  let normalCount = 0;
  for (let i = 0; i < labels.length; i++) normalCount += labels[i] === 0 ? 1 : 0;
  const metrics: ReportMetrics = {
    auroc: ev.auroc,
    averagePrecision: ev.averagePrecision,
    f1: ev.f1,
    precision: ev.precision,
    recall: ev.recall,
    eer: ev.eer,
    threshold: ev.threshold,
    thresholdSource: ev.thresholdSource,
    count: labels.length,
    normal: normalCount,
    anomalous: labels.length - normalCount,
  };
  if (classes) metrics.perClass = perClassMetrics(ev.scores, Uint8Array.from(labels), classes);
  return metrics;
}

/** Up to k misclassified images: false positives by decreasing score and false negatives by increasing score, taken in turn (the most confident errors first). */
function pickMisclassified(order: number[], labels: Uint8Array, predicted: Uint8Array, k: number): { fp: number[]; fn: number[] } {
  const fpAll = order.filter((i) => labels[i] === 0 && predicted[i] === 1); // order: highest score first
  const fnAll = order.filter((i) => labels[i] === 1 && predicted[i] === 0).reverse(); // lowest score first
  const fp: number[] = [];
  const fn: number[] = [];
  while (fp.length + fn.length < k && (fp.length < fpAll.length || fn.length < fnAll.length)) {
    if (fp.length < fpAll.length) fp.push(fpAll[fp.length]!);
    if (fp.length + fn.length < k && fn.length < fnAll.length) fn.push(fnAll[fn.length]!);
  }
  return { fp, fn };
}

/** "8 highest scores", "the highest score". */
function plural(k: number, what: string): string {
  return k === 1 ? `the ${what}` : `${k} ${what}s`;
}

function toBytes(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(values[i]!)));
  return out;
}

/**
 * Evaluates `model` on labelled images and draws the report: metrics (from `model.evaluate`; the
 * threshold is `input.threshold` when given, else the model's calibration, else the paper's phi
 * on these scores' min-max range), the ROC and PR curves, the score histogram, and
 * reconstruction grids of the topK most normal, the topK most anomalous and up to topK
 * misclassified images. Only the images shown are reconstructed; they are shown as the model sees
 * them (resized and converted to its channels), back on the 0..255 scale.
 */
export async function createReport(model: Pick<Detector, 'config' | 'evaluate'> & Required<Pick<Detector, 'reconstruct'>>, input: ReportInput): Promise<Report> {
  const fn = 'createReport';
  const { labels, topK, names, classes } = checkInput(input, fn);
  const n = input.images.count;
  const ev = await model.evaluate(input.images, labels, input.threshold !== undefined ? { threshold: input.threshold } : {});
  const scores = ev.scores;
  const predicted = new Uint8Array(n);
  for (let i = 0; i < n; i++) predicted[i] = scores[i]! >= ev.threshold ? 1 : 0;
  const nameOf = (i: number) => names?.[i] ?? `#${i}`;

  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
  const rows: ReportRow[] = order.map((i) => {
    const row: ReportRow = { name: nameOf(i), score: scores[i]!, label: labels[i]!, predicted: predicted[i]! };
    if (classes) row.class = classes[i]!;
    return row;
  });
  const metrics = reportMetrics(ev, labels, classes);

  // The images shown: only these are reconstructed.
  const mostAnomalous = order.slice(0, topK);
  const mostNormal = order.slice(-topK).reverse();
  const mis = pickMisclassified(order, labels, predicted, topK);
  const misclassified = [...mis.fp, ...mis.fn];
  const shown = [...new Set([...mostNormal, ...mostAnomalous, ...misclassified])];
  const size = model.config.imageSize;
  const channels = model.config.channels as 1 | 3;
  const set = subset(input.images, shown);
  const reconTensor = await model.reconstruct(set);
  let recon: Float32Array;
  let seen: Float32Array;
  try {
    recon = (await reconTensor.data()) as Float32Array;
  } finally {
    reconTensor.dispose();
  }
  const seenTensor = preprocess(set, { imageSize: size, channels });
  try {
    seen = (await seenTensor.data()) as Float32Array;
  } finally {
    seenTensor.dispose();
  }
  const per = size * size * channels;
  const slot = new Map(shown.map((i, k) => [i, k]));
  const item = (i: number): GridItem => {
    const k = slot.get(i)!;
    const x = seen.subarray(k * per, (k + 1) * per).map((v) => (v + 1) * 127.5);
    const label = labels[i] === 1 ? 'anomaly' : 'normal';
    // The class only when it says more than the label (an anomaly class's folder name).
    const cls = classes && classes[i] !== label ? ` (${classes[i]})` : '';
    const wrong = labels[i] !== predicted[i];
    return {
      input: toBytes(x),
      reconstruction: toBytes(recon.subarray(k * per, (k + 1) * per)),
      size,
      channels,
      caption: `${nameOf(i).replace(/[\r\n]+/g, ' ')}\nscore ${formatNumber(scores[i]!)}\n${label}${cls}`,
      flag: wrong ? (labels[i] === 0 ? 'false positive' : 'false negative') : undefined,
    };
  };
  const nFp = predicted.reduce((s, p, i) => s + (p === 1 && labels[i] === 0 ? 1 : 0), 0);
  const nFn = predicted.reduce((s, p, i) => s + (p === 0 && labels[i] === 1 ? 1 : 0), 0);
  const images: Report['images'] = {
    roc: rocChart(ev.roc, ev.auroc),
    pr: precisionRecallChart(scores, labels, ev.averagePrecision),
    histogram: scoreHistogram(scores, labels, ev.threshold, { thresholdNote: THRESHOLD_NOTES[ev.thresholdSource] }),
    mostNormal: reconstructionGrid(mostNormal.map(item), {
      title: `Most normal: ${plural(mostNormal.length, 'lowest score')}`,
      subtitle: `of ${n} images, lowest score first`,
    }),
    mostAnomalous: reconstructionGrid(mostAnomalous.map(item), {
      title: `Most anomalous: ${plural(mostAnomalous.length, 'highest score')}`,
      subtitle: `of ${n} images, highest score first`,
    }),
    misclassified:
      misclassified.length === 0
        ? null
        : reconstructionGrid(misclassified.map(item), {
            title: `Misclassified: ${nFp} FP, ${nFn} FN`,
            subtitle: `${misclassified.length} shown: the most confident errors`,
          }),
  };
  return { metrics, images, rows };
}

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

/** One CSV field: quoted (with doubled quotes) when it holds a comma, quote, line break or leading/trailing space; text that starts like a spreadsheet formula gets a leading apostrophe. */
export function csvField(value: string | number | undefined): string {
  let s = value === undefined ? '' : String(value);
  // A text field (a file name, an error) that a spreadsheet would run as a formula (=, +, -, @,
  // tab or carriage return first: "CSV injection") gets a leading apostrophe, which spreadsheets
  // show as text. Numbers are written as they are.
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The rows as CSV: a header `name,score,label,predicted,class`, then one line per image (the report's order: highest score first). */
export function reportCsv(report: Report): string {
  const lines = ['name,score,label,predicted,class'];
  for (const r of report.rows) lines.push([r.name, r.score, r.label, r.predicted, r.class].map(csvField).join(','));
  return `${lines.join('\n')}\n`;
}

const fixed = (v: number, d = 4) => (Number.isFinite(v) ? v.toFixed(d) : '—');

const THRESHOLD_SOURCES: Record<ReportMetrics['thresholdSource'], string> = {
  given: 'given by the caller',
  calibration: "the model's calibration (fitted on held-out images)",
  phi: "the paper's protocol: phi = 0.2 on the min-max range of these test scores (chosen on the test set itself, so optimistic)",
};

const CSS = `
:root { color-scheme: light; }
body { margin: 0; background: #f6f7f9; color: #212121; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
main { max-width: 1340px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #dde1e6; }
p.lead { color: #555; margin: 0 0 8px; }
table { border-collapse: collapse; background: #fff; border: 1px solid #dde1e6; }
th, td { padding: 5px 12px; text-align: left; border-bottom: 1px solid #eceef1; }
th { background: #f0f2f5; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.figures { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
figure { margin: 0; background: #fff; border: 1px solid #dde1e6; padding: 8px; }
figure img { display: block; max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 13px; margin-top: 6px; max-width: 640px; }
.none { color: #555; font-style: italic; }
table.misclassified { margin-top: 16px; }
td.wrong { color: #b71c1c; font-weight: 600; }
footer { margin-top: 36px; color: #666; font-size: 13px; }
`;

/**
 * A self-contained HTML page (inline CSS, no scripts, no external URLs) for the report: the
 * metrics (and per-class) tables, the charts and grids with headings and alt text, and the
 * misclassified images. `files` maps each image to its URL relative to the page (null: left out);
 * `files.csv`, when given, is linked as the full list of scores.
 */
export function reportHtml(report: Report, files: Record<ReportImageName, string | null> & { csv?: string | null }, title = 'GANomaly evaluation report'): string {
  const m = report.metrics;
  const e = escapeHtml;
  const img = (key: ReportImageName, alt: string, caption: string): string => {
    const src = files[key];
    const im = report.images[key];
    if (!src || !im) return '';
    return `<figure><img src="${e(src)}" alt="${e(alt)}" width="${im.width}" height="${im.height}"><figcaption>${e(caption)}</figcaption></figure>`;
  };
  const out: string[] = [];
  out.push('<!doctype html>', '<html lang="en">', '<head>', '<meta charset="utf-8">', '<meta name="viewport" content="width=device-width, initial-scale=1">');
  out.push(`<title>${e(title)}</title>`, `<style>${CSS}</style>`, '</head>', '<body>', '<main>');
  out.push(`<h1>${e(title)}</h1>`);
  out.push(
    `<p class="lead">${m.count} images: ${m.normal} normal, ${m.anomalous} anomalous. An image is predicted anomalous when its score is at least the threshold ${e(formatNumber(m.threshold, 6))}, taken from ${e(THRESHOLD_SOURCES[m.thresholdSource])}.</p>`,
  );

  out.push('<h2>Metrics</h2>', '<table class="metrics">', '<tr><th>metric</th><th class="num">value</th><th>meaning</th></tr>');
  const metricRows: [string, string, string][] = [
    ['AUROC', fixed(m.auroc), 'area under the ROC curve: the chance that an anomaly scores above a normal image (threshold-free)'],
    ['Average precision', fixed(m.averagePrecision), 'area under the precision-recall curve (threshold-free)'],
    ['F1', fixed(m.f1), 'at the threshold'],
    ['Precision', fixed(m.precision), 'share of the flagged images that are anomalies'],
    ['Recall', fixed(m.recall), 'share of the anomalies that are flagged'],
    ['EER', fixed(m.eer), 'equal error rate: where false-positive and false-negative rates meet'],
    ['Threshold', formatNumber(m.threshold, 6), `raw score; from ${m.thresholdSource}`],
  ];
  for (const [k, v, d] of metricRows) out.push(`<tr><td>${e(k)}</td><td class="num">${e(v)}</td><td>${e(d)}</td></tr>`);
  out.push('</table>');

  if (m.perClass?.length) {
    out.push('<h2>Per class</h2>', '<table class="per-class">', '<tr><th>class</th><th class="num">images</th><th class="num">AUROC</th></tr>');
    for (const c of m.perClass) out.push(`<tr><td>${e(c.class)}</td><td class="num">${c.count}</td><td class="num">${e(fixed(c.auroc))}</td></tr>`);
    out.push('</table>');
    out.push('<p class="lead">A class of anomalies is ranked against all normal images; a class of normal images against all anomalies.</p>');
  }

  out.push('<h2>Curves</h2>', '<div class="figures">');
  out.push(img('roc', `ROC curve, AUROC ${fixed(m.auroc, 3)}`, 'True-positive rate over false-positive rate at every threshold; the dashed diagonal is a random ranking.'));
  out.push(img('pr', `Precision-recall curve, average precision ${fixed(m.averagePrecision, 3)}`, 'Precision over recall at every threshold; the dashed line is the anomaly rate, the precision of a random ranking.'));
  out.push('</div>');

  out.push('<h2>Score distribution</h2>', '<div class="figures">');
  out.push(img('histogram', 'Histogram of the anomaly scores of normal and anomalous images, with the threshold', 'Raw anomaly scores of normal (blue) and anomalous (orange) images; the dashed line is the threshold.'));
  out.push('</div>');

  const gridNote = 'Each row: the input as the model sees it, its reconstruction G(x), and the per-pixel error |x − G(x)| (bright = large).';
  out.push('<h2>Most anomalous images</h2>', '<div class="figures">', img('mostAnomalous', 'The highest-scoring images with their reconstructions and error maps', gridNote), '</div>');
  out.push('<h2>Most normal images</h2>', '<div class="figures">', img('mostNormal', 'The lowest-scoring images with their reconstructions and error maps', gridNote), '</div>');

  out.push('<h2>Misclassified images</h2>');
  const wrong = report.rows.filter((r) => r.label !== r.predicted);
  if (wrong.length === 0) {
    out.push('<p class="none">None: every image is on the right side of the threshold.</p>');
  } else {
    const fp = wrong.filter((r) => r.label === 0).length;
    out.push(`<p class="lead">${fp} false positive${fp === 1 ? '' : 's'} (normal images at or above the threshold) and ${wrong.length - fp} false negative${wrong.length - fp === 1 ? '' : 's'} (anomalies below it).</p>`);
    out.push('<div class="figures">', img('misclassified', 'Misclassified images with their reconstructions and error maps', gridNote), '</div>');
    const limit = 200;
    const hasClass = wrong.some((r) => r.class !== undefined);
    out.push('<table class="misclassified">', `<tr><th>name</th>${hasClass ? '<th>class</th>' : ''}<th class="num">score</th><th>label</th><th>predicted</th></tr>`);
    for (const r of wrong.slice(0, limit)) {
      const kind = r.label === 0 ? 'fp' : 'fn';
      out.push(
        `<tr class="${kind}"><td>${e(r.name)}</td>${hasClass ? `<td>${e(r.class ?? '')}</td>` : ''}<td class="num">${e(formatNumber(r.score, 6))}</td><td>${r.label === 1 ? 'anomaly' : 'normal'}</td><td class="wrong">${r.predicted === 1 ? 'anomaly' : 'normal'}</td></tr>`,
      );
    }
    out.push('</table>');
    if (wrong.length > limit) out.push(`<p class="lead">… and ${wrong.length - limit} more${files.csv ? ' (see the CSV file)' : ''}.</p>`);
  }
  if (files.csv) out.push(`<footer>Every image's score, label and prediction: <a href="${e(files.csv)}">${e(files.csv)}</a></footer>`);
  out.push('</main>', '</body>', '</html>', '');
  return out.join('\n');
}

/**
 * Writes the report into `dir` (created if missing): roc.png, pr.png, histogram.png,
 * most-normal.png, most-anomalous.png, misclassified.png (when any image is misclassified),
 * scores.csv and index.html. Node only. Returns the absolute paths written.
 */
export async function writeReport(report: Report, dir: string, options: { title?: string } = {}): Promise<{ files: string[] }> {
  const fn = 'writeReport';
  if (typeof dir !== 'string' || dir === '') throw new ValueError(`Argument 'dir' passed to '${fn}' must be a folder path, but got ${JSON.stringify(dir)}.`);
  if (report === null || typeof report !== 'object' || !report.images || !report.metrics || !Array.isArray(report.rows)) {
    throw new ValueError(`Argument 'report' passed to '${fn}' must be a Report (see createReport).`);
  }
  const fs = await import(/* webpackIgnore: true */ 'node:fs/promises');
  const path = await import(/* webpackIgnore: true */ 'node:path');
  const abs = path.resolve(dir);
  await fs.mkdir(abs, { recursive: true });
  const written: string[] = [];
  const links = {} as Record<ReportImageName, string | null>;
  for (const key of Object.keys(REPORT_FILES) as ReportImageName[]) {
    const image = report.images[key];
    links[key] = null;
    if (!image) continue;
    const file = path.join(abs, REPORT_FILES[key]);
    await fs.writeFile(file, await encodePng(image));
    written.push(file);
    links[key] = REPORT_FILES[key];
  }
  const csv = path.join(abs, 'scores.csv');
  await fs.writeFile(csv, reportCsv(report), 'utf8');
  written.push(csv);
  const html = path.join(abs, 'index.html');
  await fs.writeFile(html, reportHtml(report, { ...links, csv: 'scores.csv' }, options.title), 'utf8');
  written.push(html);
  return { files: written };
}
