// Charts of an evaluation, drawn on the pure-JS Canvas: the ROC curve, the precision-recall curve
// and the score histogram. Each returns image data (`Chart`, an RgbaImage) together with the
// geometry of its plot area, so that callers (and tests) can map data coordinates to pixels.
import { ValueError, checkBinaryLabels } from '@ganomaly/common';
import { precisionRecallCurve, type RocCurve } from '@ganomaly/math';
import { Canvas, textWidth, type Color } from './canvas.js';
import type { RgbaImage } from './rgba.js';

/** The colours of every chart (opaque RGB). */
export const COLORS = Object.freeze({
  background: [255, 255, 255] as const,
  text: [33, 33, 33] as const,
  mutedText: [100, 100, 100] as const,
  axis: [80, 80, 80] as const,
  frame: [205, 205, 205] as const,
  grid: [235, 235, 235] as const,
  /** The ROC and PR curves. */
  curve: [31, 119, 180] as const,
  /** The chance diagonal (ROC) and the positive-rate baseline (PR): dashed. */
  chance: [140, 140, 140] as const,
  /** Normal images in the histogram (drawn at HISTOGRAM_ALPHA). */
  normal: [31, 119, 180] as const,
  /** Anomalous images in the histogram (drawn at HISTOGRAM_ALPHA). */
  anomalous: [255, 127, 14] as const,
  /** The threshold line of the histogram: dashed. */
  threshold: [0, 0, 0] as const,
  /** Misclassified images' flags in the grids. */
  error: [200, 30, 30] as const,
});

/** Opacity of the histogram bars (so that the two classes show through each other). */
export const HISTOGRAM_ALPHA = 140;
/** Opacity of the area under the ROC curve. */
const FILL_ALPHA = 36;

/** Where a chart's plot lies in its image, and the data range it shows. */
export interface PlotArea {
  /** Pixel column of x = xRange[0]. */
  left: number;
  /** Pixel row of y = yRange[1]. */
  top: number;
  /** Pixels from x = xRange[0] to x = xRange[1]. */
  width: number;
  /** Pixels from y = yRange[1] down to y = yRange[0]. */
  height: number;
  xRange: [number, number];
  yRange: [number, number];
}

/** A chart: its pixels and its plot area. */
export interface Chart extends RgbaImage {
  plot: PlotArea;
}

/** Size and title of a chart. */
export interface ChartOptions {
  /** Default 640. */
  width?: number;
  /** Default 480. */
  height?: number;
  /** Replaces the default title. */
  title?: string;
}

/** The pixel (column, row) that shows the data point (x, y) of `plot` (rounded; the chart draws through exactly these pixels). */
export function dataToPixel(plot: PlotArea, x: number, y: number): [number, number] {
  const [x0, x1] = plot.xRange;
  const [y0, y1] = plot.yRange;
  return [Math.round(plot.left + ((x - x0) / (x1 - x0)) * plot.width), Math.round(plot.top + plot.height - ((y - y0) / (y1 - y0)) * plot.height)];
}

/** Readable tick positions: multiples of 1, 2, 2.5 or 5 × 10^k, at most about `maxTicks` of them, within [lo, hi]. */
export function niceTicks(lo: number, hi: number, maxTicks = 6): { ticks: number[]; step: number } {
  if (!(hi > lo)) return { ticks: [lo], step: 1 };
  const rough = (hi - lo) / Math.max(1, maxTicks - 1);
  const mag = 10 ** Math.floor(Math.log10(rough));
  const r = rough / mag;
  const tol = 1 + 1e-9; // 1e-5 / 1e-5 may come out a hair above 1
  const step = (r <= tol ? 1 : r <= 2 * tol ? 2 : r <= 2.5 * tol ? 2.5 : r <= 5 * tol ? 5 : 10) * mag;
  const ticks: number[] = [];
  const eps = step * 1e-9;
  for (let k = Math.ceil((lo - eps) / step); k * step <= hi + eps; k++) ticks.push(cleanZero(k * step));
  return { ticks, step };
}

function cleanZero(v: number): number {
  return Math.abs(v) < 1e-12 ? 0 : Number(v.toPrecision(12));
}

/** Decimal places that show multiples of `step` exactly (at most 8). */
function decimalsFor(step: number): number {
  let d = 0;
  while (d < 8 && Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) > 1e-6) d++;
  return d;
}

/** A tick label formatter for ticks `step` apart, with values up to `maxAbs`: fixed decimals, or exponent notation ("2.5e-5") for very small or large numbers, with the digits that tell ticks apart. */
export function tickFormatter(step: number, maxAbs: number): (v: number) => string {
  const d = decimalsFor(step);
  if (d <= 4 && maxAbs < 1e6) return (v) => cleanZero(v).toFixed(d);
  return (v) => {
    if (cleanZero(v / step) === 0) return '0';
    const e = Math.floor(Math.log10(Math.abs(v)) + 1e-9);
    return v.toExponential(Math.min(3, decimalsFor(step / 10 ** e))).replace('e+', 'e');
  };
}

/** A number for display with about `digits` significant digits, without exponent between 1e-3 and 1e6. */
export function formatNumber(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? '—' : v > 0 ? '∞' : '-∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e6) {
    const s = v.toPrecision(digits);
    return s.includes('e') ? String(Number(s)) : s.includes('.') ? s.replace(/\.?0+$/, '') : s;
  }
  return v.toExponential(Math.max(0, digits - 2)).replace('e+', 'e');
}

/** The largest scale (at most `preferred`, at least 1) at which `text` fits in `maxWidth` pixels. */
function fitScale(text: string, maxWidth: number, preferred: number): number {
  let s = preferred;
  while (s > 1 && textWidth(text, s) > maxWidth) s--;
  return s;
}

interface AxesSpec {
  xTicks: number[];
  yTicks: number[];
  xFormat: (v: number) => string;
  yFormat: (v: number) => string;
  xLabel: string;
  yLabel: string;
}

const F = 2; // font scale of labels: 10x14-pixel capitals
const LINE = 7 * F;

/** Grid lines, under everything else. */
function drawGrid(c: Canvas, p: PlotArea, a: AxesSpec): void {
  for (const t of a.xTicks) {
    const [x] = dataToPixel(p, t, p.yRange[0]);
    if (x > p.left && x < p.left + p.width) c.line(x, p.top, x, p.top + p.height, COLORS.grid);
  }
  for (const t of a.yTicks) {
    const [, y] = dataToPixel(p, p.xRange[0], t);
    if (y > p.top && y < p.top + p.height) c.line(p.left, y, p.left + p.width, y, COLORS.grid);
  }
}

/** Frame, axes, ticks, tick labels and axis labels. */
function drawAxes(c: Canvas, p: PlotArea, a: AxesSpec): void {
  const right = p.left + p.width;
  const bottom = p.top + p.height;
  c.line(p.left, p.top, right, p.top, COLORS.frame);
  c.line(right, p.top, right, bottom, COLORS.frame);
  c.line(p.left, p.top, p.left, bottom, COLORS.axis);
  c.line(p.left, bottom, right, bottom, COLORS.axis);
  for (const t of a.xTicks) {
    const [x] = dataToPixel(p, t, p.yRange[0]);
    c.line(x, bottom, x, bottom + 5, COLORS.axis);
    c.text(a.xFormat(t), x, bottom + 10, COLORS.text, { scale: F, align: 'center' });
  }
  let labelW = 0;
  for (const t of a.yTicks) {
    const [, y] = dataToPixel(p, p.xRange[0], t);
    c.line(p.left - 5, y, p.left, y, COLORS.axis);
    const s = a.yFormat(t);
    labelW = Math.max(labelW, textWidth(s, F));
    c.text(s, p.left - 9, y - LINE / 2, COLORS.text, { scale: F, align: 'right' });
  }
  c.text(a.xLabel, p.left + p.width / 2, bottom + 10 + LINE + 14, COLORS.text, { scale: F, align: 'center' });
  c.text(a.yLabel, Math.max(4, p.left - 9 - labelW - 12 - LINE), p.top + p.height / 2, COLORS.text, { scale: F, align: 'center', rotate: true });
}

/** Title centred at the top, as large as fits (scale 3, else 2, else 1). Returns the y below it. */
function drawTitle(c: Canvas, title: string): number {
  const s = fitScale(title, c.width - 24, 3);
  c.text(title, c.width / 2, 14, COLORS.text, { scale: s, align: 'center' });
  return 14 + 7 * s;
}

type LegendEntry = { label: string } & ({ kind: 'line'; color: Color; dash?: readonly [number, number]; width?: number } | { kind: 'box'; color: Color; alpha: number });

const SWATCH = 28;
const LEGEND_GAP = 28;
const LEGEND_ROW = LINE + 12;

function entryWidth(e: LegendEntry): number {
  return SWATCH + 10 + textWidth(e.label, F);
}

/** The legend's entries in rows no wider than `maxWidth`. */
function legendRows(entries: LegendEntry[], maxWidth: number): LegendEntry[][] {
  const rows: LegendEntry[][] = [];
  let w = 0;
  for (const e of entries) {
    const ew = entryWidth(e);
    const row = rows[rows.length - 1];
    if (row && w + LEGEND_GAP + ew <= maxWidth) {
      row.push(e);
      w += LEGEND_GAP + ew;
    } else {
      rows.push([e]);
      w = ew;
    }
  }
  return rows;
}

/** The legend, rows centred at cx, the first row's text top at y. */
function drawLegend(c: Canvas, rows: LegendEntry[][], cx: number, y: number): void {
  rows.forEach((row, r) => {
    const ry = y + r * LEGEND_ROW;
    const total = row.reduce((s, e) => s + entryWidth(e), 0) + LEGEND_GAP * (row.length - 1);
    let x = Math.round(Math.min(Math.max(8, cx - total / 2), c.width - 8 - total));
    for (const e of row) {
      const mid = ry + LINE / 2;
      if (e.kind === 'line') c.line(x, mid, x + SWATCH - 1, mid, e.color, { width: e.width ?? 3, dash: e.dash });
      else {
        c.fillRect(x + 4, ry, SWATCH - 8, LINE, [e.color[0], e.color[1], e.color[2], e.alpha]);
        c.strokeRect(x + 4, ry, SWATCH - 8, LINE, e.color);
      }
      c.text(e.label, x + SWATCH + 10, ry, COLORS.text, { scale: F });
      x += entryWidth(e) + LEGEND_GAP;
    }
  });
}

function size(options: ChartOptions, fn: string): { width: number; height: number } {
  const width = options.width ?? 640;
  const height = options.height ?? 480;
  for (const [k, v, min] of [
    ['width', width, 320],
    ['height', height, 240],
  ] as const) {
    if (!Number.isInteger(v) || v < min || v > 8192) throw new ValueError(`Argument 'options.${k}' passed to '${fn}' must be an integer from ${min} to 8192, but got ${v}.`);
  }
  return { width, height };
}

/** A square plot area under a title and a legend row, centred, with room for axis labels. */
function squarePlot(width: number, height: number, top: number): PlotArea {
  const bottom = 10 + LINE + 14 + LINE + 12; // tick labels, axis label, margin
  const leftRoom = 9 + textWidth('0.0', F) + 12 + LINE + 12; // tick labels, axis label, margin
  const side = Math.max(60, Math.min(height - top - bottom, width - leftRoom - 24));
  const left = Math.round(Math.max(leftRoom, (width - side) / 2 + leftRoom / 3));
  return { left, top, width: side, height: side, xRange: [0, 1], yRange: [0, 1] };
}

const UNIT_TICKS = [0, 0.2, 0.4, 0.6, 0.8, 1];
const unitFormat = (v: number) => v.toFixed(1);

function checkRoc(roc: RocCurve, fn: string): void {
  const ok =
    roc !== null &&
    typeof roc === 'object' &&
    roc.fpr?.length >= 2 &&
    roc.tpr?.length === roc.fpr.length &&
    Array.from(roc.fpr).every((v) => v >= 0 && v <= 1) &&
    Array.from(roc.tpr).every((v) => v >= 0 && v <= 1);
  if (!ok) throw new ValueError(`Argument 'roc' passed to '${fn}' must be a RocCurve {fpr, tpr, thresholds} with at least 2 points in [0, 1] (as rocCurve or Ganomaly.evaluate return).`);
}

/** TPR of a ROC curve at FPR x (the upper value at a vertical step), linearly interpolated. */
function rocAt(roc: RocCurve, x: number): number {
  let best = 0;
  for (let k = 0; k < roc.fpr.length; k++) {
    const f = roc.fpr[k]!;
    if (f <= x) best = Math.max(best, roc.tpr[k]!);
    if (k > 0) {
      const f0 = roc.fpr[k - 1]!;
      if (f0 < x && x < f) {
        const t = (x - f0) / (f - f0);
        best = Math.max(best, roc.tpr[k - 1]! + t * (roc.tpr[k]! - roc.tpr[k - 1]!));
      }
    }
  }
  return best;
}

/**
 * The ROC curve (true-positive rate over false-positive rate) with the chance diagonal, the area
 * under the curve lightly shaded, and the AUROC in the title: "ROC curve (AUROC 0.907)".
 */
export function rocChart(roc: RocCurve, auroc: number, options: ChartOptions = {}): Chart {
  const fn = 'rocChart';
  checkRoc(roc, fn);
  const { width, height } = size(options, fn);
  const c = new Canvas(width, height);
  const aurocText = Number.isFinite(auroc) ? auroc.toFixed(3) : '—';
  const titleBottom = drawTitle(c, options.title ?? `ROC curve (AUROC ${aurocText})`);
  const legendY = titleBottom + 14;
  const legend = legendRows(
    [
      { kind: 'line', color: COLORS.curve, label: `ROC (AUROC ${aurocText})` },
      { kind: 'line', color: COLORS.chance, dash: [6, 5], width: 2, label: 'chance (0.5)' },
    ],
    width - 60,
  );
  const p = squarePlot(width, height, legendY + legend.length * LEGEND_ROW + 6);
  const axes: AxesSpec = { xTicks: UNIT_TICKS, yTicks: UNIT_TICKS, xFormat: unitFormat, yFormat: unitFormat, xLabel: 'false positive rate', yLabel: 'true positive rate (recall)' };
  drawGrid(c, p, axes);
  // The area under the curve, one pixel column at a time.
  const bottom = p.top + p.height;
  for (let px = p.left; px <= p.left + p.width; px++) {
    const [, py] = dataToPixel(p, 0, rocAt(roc, (px - p.left) / p.width));
    c.fillRect(px, py, 1, bottom - py, [...COLORS.curve, FILL_ALPHA]);
  }
  const [x0, y0] = dataToPixel(p, 0, 0);
  const [x1, y1] = dataToPixel(p, 1, 1);
  c.line(x0, y0, x1, y1, COLORS.chance, { width: 2, dash: [6, 5] });
  drawAxes(c, p, axes);
  c.polyline(
    Array.from(roc.fpr, (f, k) => dataToPixel(p, f, roc.tpr[k]!)),
    COLORS.curve,
    { width: 3 },
  );
  drawLegend(c, legend, p.left + p.width / 2, legendY);
  return { width: c.width, height: c.height, data: c.data, plot: p };
}

/**
 * The points of the precision-recall step curve, by increasing recall, starting at (0, 1): each
 * new recall level is reached at the precision of the highest threshold that reaches it, so the
 * area under the steps is exactly the average precision (sklearn's definition).
 */
export function precisionRecallSteps(scores: ArrayLike<number>, labels: ArrayLike<number>): { recall: number[]; precision: number[] } {
  const pr = precisionRecallCurve(scores, labels);
  const recall = [0];
  const precision = [1];
  // math's curve runs by increasing threshold (decreasing recall) and ends at (recall 0, precision 1).
  for (let k = pr.recall.length - 2; k >= 0; k--) {
    const r = pr.recall[k]!;
    const pv = pr.precision[k]!;
    const lastR = recall[recall.length - 1]!;
    if (r > lastR) {
      // steps-pre: rise or fall at the old recall to the new precision, then run to the new recall
      recall.push(lastR, r);
      precision.push(pv, pv);
    }
  }
  return { recall, precision };
}

/** Area under a step curve from precisionRecallSteps: the average precision. */
export function stepArea(steps: { recall: number[]; precision: number[] }): number {
  let a = 0;
  for (let k = 1; k < steps.recall.length; k++) a += (steps.recall[k]! - steps.recall[k - 1]!) * steps.precision[k]!;
  return a;
}

/**
 * The precision-recall curve (precision over recall, as steps whose area is the average
 * precision) with the baseline of a random ranking, precision = the positive (anomaly) rate.
 */
export function precisionRecallChart(scores: ArrayLike<number>, labels: ArrayLike<number>, averagePrecision: number, options: ChartOptions = {}): Chart {
  const fn = 'precisionRecallChart';
  const steps = precisionRecallSteps(scores, labels); // validates scores and labels
  const { width, height } = size(options, fn);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i] === 1 ? 1 : 0;
  const rate = positives / labels.length;
  const c = new Canvas(width, height);
  const apText = Number.isFinite(averagePrecision) ? averagePrecision.toFixed(3) : '—';
  const titleBottom = drawTitle(c, options.title ?? `Precision-recall (AP ${apText})`);
  const legendY = titleBottom + 14;
  const legend = legendRows(
    [
      { kind: 'line', color: COLORS.curve, label: `PR (AP ${apText})` },
      { kind: 'line', color: COLORS.chance, dash: [6, 5], width: 2, label: `baseline ${rate.toFixed(2)} (anomaly rate)` },
    ],
    width - 60,
  );
  const p = squarePlot(width, height, legendY + legend.length * LEGEND_ROW + 6);
  const axes: AxesSpec = { xTicks: UNIT_TICKS, yTicks: UNIT_TICKS, xFormat: unitFormat, yFormat: unitFormat, xLabel: 'recall', yLabel: 'precision' };
  drawGrid(c, p, axes);
  const [bx0, by] = dataToPixel(p, 0, rate);
  const [bx1] = dataToPixel(p, 1, rate);
  c.line(bx0, by, bx1, by, COLORS.chance, { width: 2, dash: [6, 5] });
  drawAxes(c, p, axes);
  c.polyline(
    steps.recall.map((r, k) => dataToPixel(p, r, steps.precision[k]!)),
    COLORS.curve,
    { width: 3 },
  );
  drawLegend(c, legend, p.left + p.width / 2, legendY);
  return { width: c.width, height: c.height, data: c.data, plot: p };
}

export interface HistogramOptions extends ChartOptions {
  /** Number of bins over the score range. Default: √n, between 10 and 40. */
  bins?: number;
  /** Text after "threshold" in the legend, e.g. "(calibration)". */
  thresholdNote?: string;
}

/** A histogram chart, with the bin edges it used. */
export interface HistogramChart extends Chart {
  /** bins + 1 edges, increasing. */
  edges: number[];
  /** Counts per bin: normal images, anomalous images. */
  counts: { normal: number[]; anomalous: number[] };
}

/**
 * Overlaid histograms of the raw anomaly scores of normal (label 0) and anomalous (label 1)
 * images, semi-transparent so that both show where they overlap, and the decision threshold (when
 * given) as a labelled vertical dashed line.
 */
export function scoreHistogram(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number | undefined, options: HistogramOptions = {}): HistogramChart {
  const fn = 'scoreHistogram';
  if (scores == null || typeof scores.length !== 'number' || scores.length === 0) throw new ValueError(`Argument 'scores' passed to '${fn}' must be a non-empty array of numbers.`);
  checkBinaryLabels(labels, scores.length, 'labels', fn);
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) throw new ValueError(`Argument 'scores' passed to '${fn}' must be finite numbers, but got ${scores[i]} at index ${i}.`);
  }
  if (threshold !== undefined && !Number.isFinite(threshold)) throw new ValueError(`Argument 'threshold' passed to '${fn}' must be a finite number or undefined, but got ${threshold}.`);
  const { width, height } = size(options, fn);
  const n = scores.length;
  const bins = options.bins ?? Math.min(40, Math.max(10, Math.ceil(Math.sqrt(n))));
  if (!Number.isInteger(bins) || bins < 1 || bins > 1000) throw new ValueError(`Argument 'options.bins' passed to '${fn}' must be an integer from 1 to 1000, but got ${bins}.`);

  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    lo = Math.min(lo, scores[i]!);
    hi = Math.max(hi, scores[i]!);
  }
  if (!(hi > lo)) {
    const d = Math.abs(lo) * 0.05 || 1;
    lo -= d;
    hi += d;
  }
  const edges = Array.from({ length: bins + 1 }, (_, k) => (k === bins ? hi : lo + ((hi - lo) * k) / bins));
  const normal = new Array<number>(bins).fill(0);
  const anomalous = new Array<number>(bins).fill(0);
  for (let i = 0; i < n; i++) {
    const b = Math.min(bins - 1, Math.floor(((scores[i]! - lo) / (hi - lo)) * bins));
    (labels[i] === 1 ? anomalous : normal)[b]!++;
  }
  const nNormal = normal.reduce((s, v) => s + v, 0);
  const nAnomalous = n - nNormal;

  // x range: the scores and the threshold, with a margin
  let xlo = Math.min(lo, threshold ?? lo);
  let xhi = Math.max(hi, threshold ?? hi);
  const pad = (xhi - xlo) * 0.03;
  xlo -= pad;
  xhi += pad;
  const maxCount = Math.max(1, ...normal, ...anomalous);
  const yt = niceTicks(0, maxCount, 6);
  const yStep = Math.max(1, yt.step);
  const yMax = Math.ceil(maxCount / yStep) * yStep;
  const yTicks = niceTicks(0, yMax, 6).ticks.filter((t) => Number.isInteger(t));

  const c = new Canvas(width, height);
  const titleBottom = drawTitle(c, options.title ?? 'Anomaly score histogram');
  const legendY = titleBottom + 14;
  const entries: LegendEntry[] = [
    { kind: 'box', color: COLORS.normal, alpha: HISTOGRAM_ALPHA, label: `normal (${nNormal})` },
    { kind: 'box', color: COLORS.anomalous, alpha: HISTOGRAM_ALPHA, label: `anomalous (${nAnomalous})` },
  ];
  if (threshold !== undefined) {
    entries.push({ kind: 'line', color: COLORS.threshold, dash: [7, 5], width: 2, label: `threshold${options.thresholdNote ? ` ${options.thresholdNote}` : ''}` });
  }
  const legend = legendRows(entries, width - 60);
  const yFormat = (v: number) => String(v);
  const yLabelW = Math.max(...yTicks.map((t) => textWidth(yFormat(t), F)));
  const left = 9 + yLabelW + 12 + LINE + 14;
  const top = legendY + legend.length * LEGEND_ROW + 6 + (threshold !== undefined ? LINE + 10 : 0);
  const bottom = 10 + LINE + 14 + LINE + 12;
  const p: PlotArea = { left, top, width: width - left - 28, height: height - top - bottom, xRange: [xlo, xhi], yRange: [0, yMax] };

  // x ticks: as many as fit without their labels touching
  let xTicks: number[] = [];
  let xFormat: (v: number) => string = String;
  for (let want = Math.max(3, Math.floor(p.width / 80)); want >= 2; want--) {
    const t = niceTicks(xlo, xhi, want);
    const f = tickFormatter(t.step, Math.max(Math.abs(xlo), Math.abs(xhi)));
    const widest = Math.max(...t.ticks.map((v) => textWidth(f(v), F)));
    xTicks = t.ticks;
    xFormat = f;
    if (widest + 16 <= (t.step / (xhi - xlo)) * p.width) break;
  }
  const axes: AxesSpec = { xTicks, yTicks, xFormat, yFormat, xLabel: 'anomaly score', yLabel: 'images' };
  drawGrid(c, p, axes);

  const base = p.top + p.height;
  const drawBars = (counts: number[], color: readonly [number, number, number]) => {
    for (let b = 0; b < bins; b++) {
      if (counts[b] === 0) continue;
      const [xa, ya] = dataToPixel(p, edges[b]!, counts[b]!);
      const [xb] = dataToPixel(p, edges[b + 1]!, 0);
      c.fillRect(xa, ya, Math.max(1, xb - xa), base - ya, [...color, HISTOGRAM_ALPHA]);
    }
  };
  const drawOutline = (counts: number[], color: readonly [number, number, number]) => {
    const first = counts.findIndex((v) => v > 0);
    if (first < 0) return;
    let last = counts.length - 1;
    while (counts[last] === 0) last--;
    const pts: [number, number][] = [dataToPixel(p, edges[first]!, 0)];
    for (let b = first; b <= last; b++) {
      pts.push(dataToPixel(p, edges[b]!, counts[b]!));
      pts.push(dataToPixel(p, edges[b + 1]!, counts[b]!));
    }
    pts.push(dataToPixel(p, edges[last + 1]!, 0));
    c.polyline(pts, color, { width: 2 });
  };
  drawBars(normal, COLORS.normal);
  drawBars(anomalous, COLORS.anomalous);
  drawOutline(normal, COLORS.normal);
  drawOutline(anomalous, COLORS.anomalous);
  drawAxes(c, p, axes);

  if (threshold !== undefined) {
    const [tx] = dataToPixel(p, threshold, 0);
    c.line(tx, p.top, tx, base, COLORS.threshold, { width: 2, dash: [7, 5] });
    const label = `threshold ${formatNumber(threshold)}`;
    const w = textWidth(label, F);
    // beside the line, above the plot: to its right when there is room, else to its left
    const lx = tx + 6 + w <= width - 6 ? tx + 6 : Math.max(p.left, tx - 6 - w);
    c.text(label, lx, p.top - LINE - 8, COLORS.text, { scale: F });
  }
  drawLegend(c, legend, width / 2, legendY);
  return { width: c.width, height: c.height, data: c.data, plot: p, edges, counts: { normal, anomalous } };
}
