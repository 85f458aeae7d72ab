#!/usr/bin/env node
// Summarises experiment records (JSONL files written by run.mjs): one markdown table per data set
// on stdout (rows = anomaly classes + mean; per implementation, mean ± sample std over seeds of the
// last-epoch AUROC, and beside it the best-epoch AUROC, which is what the paper's code selected),
// and one bar chart PNG per data set (grouped bars per class, one colour per implementation,
// error bars = std over seeds, a dark tick at the best-epoch mean).
//
//   node experiments/summary.mjs experiments/results/*.jsonl [--out-dir experiments/results] [--no-png]
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { bnModeSummary, className, formatMeanStd, formatComparison,
  formatTable, readJsonl, stableStringify, summarize, targetCheck, variantSummary } from './lib.mjs';
import { VARIANTS } from './variants.mjs';
import { Canvas, textWidth } from './raster.mjs';

/** @typedef {import('./lib.mjs').DatasetSummary} DatasetSummary */

const PALETTE = /** @type {[number, number, number][]} */ ([
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
]);

/**
 * Draws the grouped bar chart of one data set (or, with `opts`, of any groups: the study's).
 * @param {DatasetSummary} s
 * @param {{ title?: string, xLabel?: string, groupLabel?: (c: number) => string, bestLabel?: string | null }} [opts]
 * @returns {Canvas}
 */
export function drawChart(s, opts = {}) {
  const F = 2; // font scale: 10x14 px glyphs
  const nS = s.series.length;
  const groupLabel = opts.groupLabel ?? ((/** @type {number} */ c) => className(s.dataset, c));
  const groups = [
    ...s.classes.map((c) => ({ label: groupLabel(c), cells: s.series.map((se) => s.cells[se.label][c]) })),
    ...(s.means ? [{ label: 'mean', cells: s.series.map((se) => s.means[se.label]) }] : []),
  ];
  const barW = 24;
  const groupW = Math.max(nS * barW + 24, ...groups.map((g) => textWidth(g.label, F) + 12));
  const left = 100;
  const right = 24;
  const top = 92;
  const bottom = 84;
  const plotH = 400;
  const plotW = groupW * groups.length;
  const title = opts.title ?? `${s.dataset.toUpperCase()}: AUROC AT THE LAST EPOCH, MEAN ± STD OVER SEEDS`;
  const bestLabel = opts.bestLabel === undefined ? "BEST EPOCH (PAPER CODE'S PICK)" : opts.bestLabel;
  const xLabel = opts.xLabel ?? (s.dataset === 'cifar10' ? 'ANOMALY CLASS (THE OTHER NINE ARE NORMAL)' : 'ANOMALY DIGIT (THE OTHER NINE ARE NORMAL)');
  const legendW = s.series.reduce((w, se) => w + 48 + textWidth(se.label, F), 0) + (bestLabel ? 24 + textWidth(bestLabel, F) : 0);
  const width = Math.max(left + plotW + right, textWidth(title, F) + 40, left + legendW + right, textWidth(xLabel, F) + 40, 560);
  const c = new Canvas(width, top + plotH + bottom);
  const black = /** @type {[number, number, number]} */ ([0, 0, 0]);
  const grey = /** @type {[number, number, number]} */ ([220, 220, 220]);
  const y = (/** @type {number} */ v) => top + plotH - Math.max(0, Math.min(1, v)) * plotH;

  c.text(title, width / 2, 12, black, { scale: F, align: 'center' });
  // legend
  let lx = left;
  const ly = 44;
  s.series.forEach((se, i) => {
    const col = PALETTE[i % PALETTE.length];
    c.fillRect(lx, ly, 18, 14, col);
    c.text(se.label, lx + 24, ly, black, { scale: F });
    lx += 24 + textWidth(se.label, F) + 24;
  });
  if (bestLabel) {
    c.line(lx, ly + 7, lx + 18, ly + 7, [60, 60, 60], { width: 3 });
    c.text(bestLabel, lx + 24, ly, black, { scale: F });
  }
  c.line(left, ly + 30, left + 18, ly + 30, [120, 120, 120], { dash: [4, 3] });
  c.text('CHANCE 0.5', left + 24, ly + 24, black, { scale: F });

  // grid and y axis
  for (let k = 0; k <= 10; k++) {
    const v = k / 10;
    if (k > 0) c.line(left + 1, y(v), left + plotW, y(v), grey);
    c.line(left - 5, y(v), left, y(v), black);
    if (k % 2 === 0) c.text(v.toFixed(1), left - 9, y(v) - 7, black, { scale: F, align: 'right' });
  }
  c.line(left, y(0.5), left + plotW, y(0.5), [120, 120, 120], { dash: [4, 3] });
  c.text('AUROC', 18, top + plotH / 2, black, { scale: F, align: 'center', rotate: true });

  // bars
  groups.forEach((g, gi) => {
    const gx = left + gi * groupW + (groupW - nS * barW) / 2;
    g.cells.forEach((cell, si) => {
      if (!cell || !Number.isFinite(cell.mean)) return;
      const col = PALETTE[si % PALETTE.length];
      const x0 = gx + si * barW;
      c.fillRect(x0 + 2, y(cell.mean), barW - 4, y(0) - y(cell.mean), col);
      if (bestLabel && Number.isFinite(cell.bestMean)) {
        const dark = /** @type {[number, number, number]} */ (col.map((v) => Math.round(v * 0.35)));
        c.line(x0 + 2, y(cell.bestMean), x0 + barW - 3, y(cell.bestMean), dark, { width: 3 });
      }
      if (Number.isFinite(cell.std)) {
        const xm = x0 + barW / 2;
        c.line(xm, y(cell.mean - cell.std), xm, y(cell.mean + cell.std), black);
        c.line(xm - 5, y(cell.mean + cell.std), xm + 5, y(cell.mean + cell.std), black);
        c.line(xm - 5, y(cell.mean - cell.std), xm + 5, y(cell.mean - cell.std), black);
      }
    });
    c.text(g.label, left + gi * groupW + groupW / 2, top + plotH + 10, black, { scale: F, align: 'center' });
    if (gi === groups.length - 1) c.line(left + gi * groupW, top + plotH, left + gi * groupW, top + plotH + 8, black);
  });
  // axes
  c.line(left, top, left, top + plotH, black);
  c.line(left, top + plotH, left + plotW, top + plotH, black);
  const xc = Math.min(Math.max(left + plotW / 2, textWidth(xLabel, F) / 2 + 20), width - textWidth(xLabel, F) / 2 - 20);
  c.text(xLabel, xc, top + plotH + 44, black, {
    scale: F,
    align: 'center',
  });
  return c;
}

/** @param {string[]} argv */
export async function main(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'out-dir': { type: 'string' }, 'no-png': { type: 'boolean', default: false }, 'by-series': { type: 'boolean', default: false }, seeds: { type: 'string' }, help: { type: 'boolean', default: false } },
  });
  if (values.help || positionals.length === 0) {
    process.stdout.write('Usage: node experiments/summary.mjs FILE.jsonl [FILE.jsonl ...] [--out-dir DIR] [--no-png] [--by-series] [--seeds 0,1]\n  --by-series: one row per series (detector or implementation), one column per class\n  --seeds: only the records of these seeds\n');
    return values.help ? 0 : 2;
  }
  const records = [];
  for (const f of positionals) {
    const { records: rs, bad } = readJsonl(f);
    if (!fs.existsSync(f)) process.stderr.write(`summary: ${f} does not exist\n`);
    if (bad.length) process.stderr.write(`summary: ${bad.length} unreadable line(s) in ${f}, skipped\n`);
    records.push(...rs);
  }
  if (values.seeds !== undefined) {
    const keep = new Set(values.seeds.split(',').map(Number));
    records.splice(0, records.length, ...records.filter((r) => keep.has(r.seed)));
  }
  const outDir = path.resolve(values['out-dir'] ?? path.dirname(path.resolve(positionals[0])));
  const out = [];
  for (const s of summarize(records)) {
    out.push(`## ${s.dataset}\n`);
    out.push(values['by-series'] ? formatComparison(s) : formatTable(s));
    out.push('');
    out.push(
      'Last-epoch AUROC: mean ± sample std (n − 1) over seeds. "Best epoch" is the maximum over epochs of the test-set AUROC, ' +
        "the model the paper's code selected (a selection on the test set, so optimistic); shown for comparison only.",
    );
    const multi = s.series.filter((se) => se.label.includes('#'));
    if (multi.length) {
      out.push('');
      for (const se of multi) out.push(`- ${se.label}: ${stableStringify(se.config)}`);
    } else if (s.series.length) {
      const cfgs = [...new Set(s.series.map((se) => stableStringify(se.config)))];
      out.push('');
      out.push(cfgs.length === 1 ? `Config: \`${cfgs[0]}\`` : s.series.map((se) => `- ${se.label}: \`${stableStringify(se.config)}\``).join('\n'));
    }
    if (!values['no-png']) {
      fs.mkdirSync(outDir, { recursive: true });
      const file = path.join(outDir, `${s.dataset}-auroc.png`);
      fs.writeFileSync(file, drawChart(s).toPng());
      out.push('');
      out.push(`Chart: ${file}`);
    }
    out.push('');
  }
  for (const v of variantSummary(records, VARIANTS)) {
    const f = (/** @type {{mean: number, std: number, n: number}} */ x) => (x.n ? `${formatMeanStd(x.mean, x.std)} (${x.n})` : '—');
    out.push(`## ${v.dataset}, ${v.label}: score variants, mean AUROC over the ${v.classes.length} classes (± std over seeds, (n seeds))\n`);
    out.push('| score variant | last epoch | epoch selected by its validation AUROC (no test data) |');
    out.push('| --- | --- | --- |');
    for (const k of VARIANTS) out.push(`| ${k} | ${f(v.last[k])} | ${f(v.selected[k])} |`);
    out.push('');
    if (v.rules.validation.n || v.rules.lowest_normal_score.n) {
      out.push(`Model selection, the model's own score (${v.score === 'l2' ? 'latent' : v.score}): last epoch ${f(v.rules.last)}; fit's select: 'validation' ${f(v.rules.validation)}; lowest mean normal score ${f(v.rules.lowest_normal_score)}; best test epoch (optimistic) ${f(v.rules.test)}.`);
      out.push('');
    }
  }
  const bn = bnModeSummary(records);
  if (bn.length) {
    out.push('## AUROC by BatchNorm mode at scoring (final epoch, all classes and seeds)\n');
    out.push('| data set | impl | runs | population (recomputed) | running (plain inference) | batch (test-batch statistics, the original) |');
    out.push('| --- | --- | ---: | --- | --- | --- |');
    for (const b of bn) {
      const f = (m) => formatMeanStd(b.modes[m].mean, b.modes[m].std);
      out.push(`| ${b.dataset} | ${b.impl} | ${b.n} | ${f('population')} | ${f('running')} | ${f('batch')} |`);
    }
    out.push('');
  }
  for (const s of summarize(records)) {
    const labels = s.series.map((x) => x.label);
    if (labels.includes('ganomaly') && labels.includes('pytorch')) {
      const t = targetCheck(s, 'ganomaly', 'pytorch');
      out.push(`## Target on ${s.dataset}: library mean >= reference mean, no class worse by more than 2 std\n`);
      out.push(`- mean AUROC over classes: library ${t.meanMine?.toFixed(3)}, PyTorch ${t.meanRef?.toFixed(3)}: ${t.meanOk ? 'met' : 'not met'}`);
      const diff = t.meanMine - t.meanRef;
      out.push(`- difference ${diff >= 0 ? '+' : ''}${diff.toFixed(3)}${s.dataset === 'mnist' ? `; issue #15's target on MNIST (library default >= reference + 0.05): ${diff >= 0.05 ? 'met' : 'not met'}` : ''}`);
      const oneSeed = s.classes.some((c) => s.series.some((se) => (s.cells[se.label][c]?.n ?? 0) < 2));
      out.push(
        oneSeed
          ? '- the two-std check per class needs at least 2 seeds per class and implementation (some have 1): not checked'
          : t.worse.length
          ? `- classes worse by more than 2 std: ${t.worse.map((w) => `${className(s.dataset, w.cls)} (${w.mine.toFixed(3)} vs ${w.ref.toFixed(3)}, 2 std ${w.twoStd.toFixed(3)})`).join('; ')}`
          : '- no class worse by more than 2 std',
      );
      out.push('');
    }
  }
  if (out.length === 0) out.push('No records.');
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  process.exitCode = await main(process.argv.slice(2));
}
