#!/usr/bin/env node
// The paper's hyper-parameter study from experiment records (run.mjs JSONL with several configs
// that differ in the latent size nz and the contextual weight w_con): per value, the mean AUROC
// over the anomaly classes at the last epoch, mean ± sample std over seeds (seeds with every class),
// for the latent score and for each other score variant the records carry; a markdown table per
// parameter on stdout and one bar chart PNG per parameter.
//
//   node experiments/study.mjs docs/results-data/study/mnist-pytorch.jsonl [--out-dir DIR] [--no-png]
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { dedupe, formatMeanStd, meanOverClasses, readJsonl, stableStringify } from './lib.mjs';
import { VARIANTS } from './variants.mjs';
import { drawChart } from './summary.mjs';

/**
 * The two studies: nz at w_con = 50 (the paper's default), w_con at nz = 100 (the other weights
 * at 1). Each entry: the value, its records, and mean ± std over seeds per variant.
 * @param {any[]} records
 */
export function studies(records) {
  const rs = dedupe(records);
  // One study = one impl, data set and protocol: records that differ in anything but nz and w_con
  // (epochs, caps, width, score, BatchNorm mode, select, model) would collide on (seed, class).
  const rest = (/** @type {any} */ r) => {
    const { latent: _l, loss_weights: lw, ...c } = r.config;
    return stableStringify({ impl: r.impl, dataset: r.dataset, ...c, w_adv: lw.adversarial, w_enc: lw.encoder });
  };
  const kinds = [...new Set(rs.map(rest))];
  if (kinds.length > 1) throw new Error(`study.mjs: the records hold ${kinds.length} different protocols (impl, data set or config beyond nz and w_con); give it one study's records:\n${kinds.join('\n')}`);
  const classes = [...new Set(rs.map((r) => r.anomaly_class))].sort((x, y) => x - y);
  const groups = (/** @type {(r: any) => boolean} */ keep, /** @type {(r: any) => number} */ key) => {
    const values = [...new Set(rs.filter(keep).map(key))].sort((x, y) => x - y);
    return values.map((value) => {
      const mine = rs.filter((r) => keep(r) && key(r) === value);
      const byVariant = Object.fromEntries(
        VARIANTS.map((v) => [v, meanOverClasses(mine, classes, (r) => (v === 'latent' ? r.auroc : r.variant_auroc?.[v]))]),
      );
      return { value, runs: mine.length, byVariant, best: meanOverClasses(mine, classes, (r) => r.best_epoch_auroc) };
    });
  };
  const others1 = (/** @type {any} */ r) => r.config.loss_weights.adversarial === 1 && r.config.loss_weights.encoder === 1;
  return {
    classes,
    nz: groups((r) => others1(r) && r.config.loss_weights.contextual === 50, (r) => r.config.latent),
    wCon: groups((r) => others1(r) && r.config.latent === 100, (r) => r.config.loss_weights.contextual),
  };
}

/** @param {string[]} argv */
export async function main(argv) {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { 'out-dir': { type: 'string' }, 'no-png': { type: 'boolean', default: false } } });
  if (!positionals.length) {
    process.stdout.write('Usage: node experiments/study.mjs FILE.jsonl [...] [--out-dir DIR] [--no-png]\n');
    return 2;
  }
  const records = positionals.flatMap((f) => readJsonl(f).records);
  const st = studies(records);
  const outDir = path.resolve(values['out-dir'] ?? path.dirname(path.resolve(positionals[0])));
  const out = [];
  const f = (/** @type {{mean: number, std: number, n: number}} */ x) => (x.n ? formatMeanStd(x.mean, x.std) : '—');
  for (const [name, label, rows] of /** @type {const} */ ([['nz', 'latent size nz (w_con 50)', st.nz], ['w_con', 'contextual weight w_con (nz 100, w_adv = w_enc = 1)', st.wCon]])) {
    if (!rows.length) continue;
    out.push(`### ${label}: mean AUROC over ${st.classes.length} classes, last epoch (± std over seeds)\n`);
    out.push(`| ${name} | seeds | ${VARIANTS.join(' | ')} | best epoch (test-selected, optimistic) |`);
    out.push(`| ---: | ---: | ${VARIANTS.map(() => '---').join(' | ')} | --- |`);
    for (const r of rows) out.push(`| ${r.value} | ${r.byVariant.latent.n} | ${VARIANTS.map((v) => f(r.byVariant[v])).join(' | ')} | ${f(r.best)} |`);
    out.push('');
    if (!values['no-png']) {
      const shown = ['latent', 'reconstruction', 'features'];
      const s = {
        dataset: 'mnist',
        classes: rows.map((_, i) => i),
        series: shown.map((v) => ({ label: v.toUpperCase(), impl: v, config: {} })),
        cells: Object.fromEntries(shown.map((v) => [v.toUpperCase(), Object.fromEntries(rows.map((r, i) => [i, { ...r.byVariant[v], bestMean: NaN }]))])),
        means: null,
      };
      const file = path.join(outDir, `study-${name.replace('_', '')}.png`);
      fs.mkdirSync(outDir, { recursive: true });
      // @ts-ignore -- a DatasetSummary-shaped object whose groups are the parameter's values
      fs.writeFileSync(file, drawChart(s, { title: `MNIST: MEAN AUROC OVER ${st.classes.length} DIGITS BY ${name.toUpperCase()}`, xLabel: name.toUpperCase(), groupLabel: (i) => String(rows[i].value), bestLabel: null }).toPng());
      out.push(`Chart: ${file}\n`);
    }
  }
  process.stdout.write(`${out.join('\n') || 'No records.'}\n`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  process.exitCode = await main(process.argv.slice(2));
}
