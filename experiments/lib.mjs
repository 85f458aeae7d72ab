// Pure helpers of the experiment harness (run.mjs, summary.mjs): argument lists, the resume key,
// JSONL records, mean / std and the markdown table. No TensorFlow.js here, so it loads fast and
// is unit-tested in experiments/test/lib.test.ts.
import fs from 'node:fs';
import path from 'node:path';

/** CIFAR-10 class names by label (the order of batches.meta.txt). */
export const CIFAR10_NAMES = ['plane', 'car', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** The three BatchNorm modes at scoring time (library names; the PyTorch script uses the same). */
export const BN_MODES = /** @type {const} */ (['population', 'running', 'batch']);

/**
 * Parses a list of non-negative integers: "0-9", "1,3", "0-2,5,7-8". Returns them sorted, without
 * repeats. Throws an Error naming `name` on anything else or a value outside [min, max].
 * @param {string} spec
 * @param {{ name?: string, min?: number, max?: number }} [opts]
 * @returns {number[]}
 */
export function parseIntList(spec, { name = 'list', min = 0, max = Number.MAX_SAFE_INTEGER } = {}) {
  if (typeof spec !== 'string' || spec.trim() === '') throw new Error(`--${name} must be a list like 0-9 or 1,3, got '${spec}'`);
  /** @type {Set<number>} */
  const out = new Set();
  for (const raw of spec.split(',')) {
    const part = raw.trim();
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!m) throw new Error(`--${name}: '${part}' is not an integer or a range a-b (in '${spec}')`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new Error(`--${name}: range '${part}' runs backwards`);
    if (a < min || b > max) throw new Error(`--${name}: '${part}' is outside ${min}..${max}`);
    for (let v = a; v <= b; v++) out.add(v);
  }
  return [...out].sort((x, y) => x - y);
}

/**
 * JSON with object keys sorted at every level, so equal configs give equal strings whatever the
 * order their keys were written in.
 * @param {unknown} value
 * @returns {string}
 */
export function stableStringify(value) {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const obj = /** @type {Record<string, unknown>} */ (value);
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(obj[k])}`).join(',')}}`;
}

/**
 * The resume key of one run: impl, data set, anomaly class, seed and the training config.
 * Two records with the same key are the same experiment; run.mjs skips a run whose key is in the
 * output file already.
 * @param {{ impl: string, dataset: string, anomaly_class: number, seed: number, config: object }} r
 * @returns {string}
 */
export function runKey(r) {
  return `${r.impl}|${r.dataset}|${r.anomaly_class}|${r.seed}|${stableStringify(r.config)}`;
}

/**
 * The training settings that define an experiment (what the resume key compares). Caps of 0 /
 * undefined mean "no cap" and are stored as null. Things that do not change the experiment's
 * definition (backend, threads, data folder) are kept out of it and recorded under `runtime`.
 * @param {{ epochs: number, maxTrain?: number|null, maxTestNormal?: number|null, maxTestAnomalous?: number|null,
 *   width: number, latent: number, batch: number, wAdv: number, wCon: number, wEnc: number,
 *   score: 'l2'|'l1', bn: 'population'|'running'|'batch', imageSize?: number, lr?: number, valNormal?: number,
 *   select?: string, model?: string, testEvery?: string }} o
 */
export function makeConfig(o) {
  const cap = (/** @type {number|null|undefined} */ v) => (v ? v : null);
  return {
    epochs: o.epochs,
    max_train: cap(o.maxTrain),
    max_test_normal: cap(o.maxTestNormal),
    max_test_anomalous: cap(o.maxTestAnomalous),
    image_size: o.imageSize ?? 32,
    width: o.width,
    latent: o.latent,
    batch: o.batch,
    lr: o.lr ?? 2e-4,
    loss_weights: { adversarial: o.wAdv, contextual: o.wCon, encoder: o.wEnc },
    score: o.score,
    bn: o.bn,
    train_fraction: 0.8,
    // Only when used, so that earlier records keep their resume key.
    ...(o.valNormal ? { val_normal: o.valNormal } : {}),
    ...(o.select && o.select !== 'last' ? { select: o.select } : {}),
    ...(o.model && o.model !== 'ganomaly' ? { model: o.model } : {}),
    ...(o.testEvery && o.testEvery !== 'epoch' ? { test_every: o.testEvery } : {}),
    ...(o.ema ? { ema: o.ema } : {}),
  };
}

/**
 * Reads JSONL records. Blank lines are skipped; a line that is not valid JSON (e.g. the last line
 * of a run killed mid-write) is skipped and reported in `bad`. A missing file gives no records.
 * @param {string} file
 * @returns {{ records: any[], bad: { line: number, text: string }[] }}
 */
export function readJsonl(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (/** @type {NodeJS.ErrnoException} */ (e).code === 'ENOENT') return { records: [], bad: [] };
    throw e;
  }
  const records = [];
  const bad = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].trim();
    if (!t) continue;
    try {
      const r = JSON.parse(t);
      if (r && typeof r === 'object' && !Array.isArray(r)) records.push(r);
      else bad.push({ line: i + 1, text: t.slice(0, 80) });
    } catch {
      bad.push({ line: i + 1, text: t.slice(0, 80) });
    }
  }
  return { records, bad };
}

/**
 * Appends one record as one line (a single write; a torn last line from an earlier crash is
 * terminated first so the new record starts on its own line).
 * @param {string} file
 * @param {object} record
 */
export function appendRecord(file, record) {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  let prefix = '';
  try {
    const st = fs.statSync(file);
    if (st.size > 0) {
      const fd = fs.openSync(file, 'r');
      const b = Buffer.alloc(1);
      fs.readSync(fd, b, 0, 1, st.size - 1);
      fs.closeSync(fd);
      if (b[0] !== 0x0a) prefix = '\n';
    }
  } catch {
    /* new file */
  }
  fs.appendFileSync(file, `${prefix}${JSON.stringify(record)}\n`);
}

/** @param {number[]} xs */
export function mean(xs) {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/**
 * Sample standard deviation (n − 1 in the denominator); NaN for fewer than two values.
 * @param {number[]} xs
 */
export function sampleStd(xs) {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

/**
 * "0.812 ± 0.034" (3 decimals); "0.812" when the std is undefined (one seed); "—" for no value.
 * @param {number} m @param {number} s @param {number} [digits]
 */
export function formatMeanStd(m, s, digits = 3) {
  if (!Number.isFinite(m)) return '—';
  return Number.isFinite(s) ? `${m.toFixed(digits)} ± ${s.toFixed(digits)}` : m.toFixed(digits);
}

/**
 * Drops repeated runs (same runKey), keeping the first.
 * @param {any[]} records
 */
export function dedupe(records) {
  const seen = new Set();
  return records.filter((r) => {
    const k = runKey(r);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * @typedef {{ n: number, seeds: number[], mean: number, std: number, bestMean: number, bestStd: number }} Cell
 * @typedef {{ label: string, impl: string, config: object }} Series
 * @typedef {{ dataset: string, classes: number[], series: Series[],
 *   cells: Record<string, Record<string, Cell>>, means: Record<string, Cell & { complete: boolean }> }} DatasetSummary
 */

/**
 * Groups records by data set, then by series (one per impl; an impl that appears with several
 * configs gets one series per config, labelled impl#1, impl#2, ...), then by anomaly class:
 * mean ± sample std over seeds of the last-epoch AUROC (`auroc`) and of the best-epoch AUROC
 * (`best_epoch_auroc`, the paper code's test-set selection).
 *
 * The "mean" row: for each seed that has every class of the table, the mean over classes; then
 * mean ± std of those over seeds (`complete: true`). Seeds missing a class are left out of it; if
 * no seed is complete, it is the mean of the class means without a std (`complete: false`).
 * @param {any[]} records
 * @returns {DatasetSummary[]}
 */
export function summarize(records) {
  const recs = dedupe(records).filter((r) => typeof r.auroc === 'number' || r.auroc === null);
  const datasets = [...new Set(recs.map((r) => r.dataset))].sort();
  return datasets.map((dataset) => {
    const rs = recs.filter((r) => r.dataset === dataset);
    const classes = [...new Set(rs.map((r) => r.anomaly_class))].sort((a, b) => a - b);
    /** @type {Series[]} */
    const series = [];
    /** @type {Map<any, string>} */
    const labelOf = new Map();
    const impls = [...new Set(rs.map((r) => r.impl))].sort();
    for (const impl of impls) {
      const configs = [...new Set(rs.filter((r) => r.impl === impl).map((r) => stableStringify(r.config)))];
      // Configs that differ only by detector are labelled by it (e.g. 'library vae'); how often
      // the test set was scored (test_every, a measurement setting) does not count as a difference,
      // nor does select (training is the same, and a record's auroc is always the last epoch's).
      const models = configs.map((c) => JSON.parse(c).model ?? 'ganomaly');
      const byModel = new Set(models).size === configs.length && new Set(configs.map((c) => stableStringify({ ...JSON.parse(c), model: null, test_every: null, select: null }))).size === 1;
      configs.forEach((c, i) => {
        const label = configs.length === 1 ? impl : byModel ? `${impl === 'ganomaly' ? 'library' : impl} ${models[i]}` : `${impl}#${i + 1}`;
        series.push({ label, impl, config: JSON.parse(c) });
        labelOf.set(`${impl}|${c}`, label);
      });
    }
    /** @type {Record<string, Record<string, Cell>>} */
    const cells = {};
    /** @type {Record<string, Cell & { complete: boolean }>} */
    const means = {};
    for (const s of series) {
      const mine = rs.filter((r) => labelOf.get(`${r.impl}|${stableStringify(r.config)}`) === s.label);
      cells[s.label] = {};
      /** @type {Map<number, Map<number, {a: number, b: number}>>} seed -> class -> values */
      const bySeed = new Map();
      for (const c of classes) {
        const cr = mine.filter((r) => r.anomaly_class === c && Number.isFinite(r.auroc));
        const a = cr.map((r) => r.auroc);
        const b = cr.map((r) => (Number.isFinite(r.best_epoch_auroc) ? r.best_epoch_auroc : r.auroc));
        cells[s.label][c] = { n: a.length, seeds: cr.map((r) => r.seed), mean: mean(a), std: sampleStd(a), bestMean: mean(b), bestStd: sampleStd(b) };
        cr.forEach((r, i) => {
          if (!bySeed.has(r.seed)) bySeed.set(r.seed, new Map());
          bySeed.get(r.seed)?.set(c, { a: a[i], b: b[i] });
        });
      }
      const complete = [...bySeed.entries()].filter(([, m]) => classes.every((c) => m.has(c))).sort((x, y) => x[0] - y[0]);
      if (complete.length > 0) {
        const a = complete.map(([, m]) => mean(classes.map((c) => /** @type {{a:number}} */ (m.get(c)).a)));
        const b = complete.map(([, m]) => mean(classes.map((c) => /** @type {{b:number}} */ (m.get(c)).b)));
        means[s.label] = { n: a.length, seeds: complete.map(([seed]) => seed), mean: mean(a), std: sampleStd(a), bestMean: mean(b), bestStd: sampleStd(b), complete: true };
      } else {
        const cs = classes.map((c) => cells[s.label][c]).filter((x) => x.n > 0);
        means[s.label] = { n: 0, seeds: [], mean: mean(cs.map((x) => x.mean)), std: NaN, bestMean: mean(cs.map((x) => x.bestMean)), bestStd: NaN, complete: false };
      }
    }
    return { dataset, classes, series, cells, means };
  });
}

/**
 * The comparison layout of one data set (issue #16's detector x class table): one row per series
 * (detector or implementation), one column per class with the last-epoch AUROC (mean ± std over
 * seeds), then the mean over classes (± std over the seeds that have every class), the best epoch's
 * mean (test-selected, optimistic) and the seeds. Rows sorted by the mean, highest first.
 * @param {DatasetSummary} s
 * @returns {string}
 */
export function formatComparison(s) {
  const head = ['', ...s.classes.map((c) => className(s.dataset, c)), 'mean over classes', 'best epoch (test-selected)', 'seeds'];
  const rows = [head, head.map((_, i) => (i === 0 ? '---' : '---:'))];
  const order = [...s.series].sort((a, b) => (s.means[b.label].mean || 0) - (s.means[a.label].mean || 0));
  for (const se of order) {
    const m = s.means[se.label];
    rows.push([
      se.label,
      ...s.classes.map((c) => (s.cells[se.label][c]?.n ? formatMeanStd(s.cells[se.label][c].mean, s.cells[se.label][c].std) : '—')),
      `**${formatMeanStd(m.mean, m.std)}**`,
      formatMeanStd(m.bestMean, m.bestStd),
      m.complete ? String(m.n) : 'incomplete',
    ]);
  }
  return rows.map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/**
 * The class's display name: CIFAR-10 names, MNIST digits.
 * @param {string} dataset @param {number} c
 */
export function className(dataset, c) {
  return dataset === 'cifar10' && c >= 0 && c < CIFAR10_NAMES.length ? `${c} ${CIFAR10_NAMES[c]}` : String(c);
}

/**
 * The markdown table of one data set: rows = classes and "mean"; per series two columns, the
 * last-epoch AUROC (mean ± std over seeds) and the best-epoch AUROC (what the paper's code
 * selected: the maximum of the per-epoch test AUROC, an optimistic test-set selection), plus n.
 * @param {DatasetSummary} s
 * @returns {string}
 */
export function formatTable(s) {
  const head = ['anomaly class'];
  for (const se of s.series) head.push(`${se.label}: AUROC last epoch`, `${se.label}: best epoch (paper code's selection)`, `${se.label}: n`);
  const rows = [head, head.map(() => '---')];
  for (const c of s.classes) {
    const row = [className(s.dataset, c)];
    for (const se of s.series) {
      const x = s.cells[se.label][c];
      row.push(formatMeanStd(x.mean, x.std), formatMeanStd(x.bestMean, x.bestStd), String(x.n));
    }
    rows.push(row);
  }
  const mrow = ['**mean**'];
  for (const se of s.series) {
    const m = s.means[se.label];
    mrow.push(`**${formatMeanStd(m.mean, m.std)}**`, formatMeanStd(m.bestMean, m.bestStd), m.complete ? `${m.n} seed(s) × all classes` : 'incomplete: mean of class means');
  }
  rows.push(mrow);
  return rows.map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** Default output file: experiments/results/<dataset>-<impl>.jsonl under `root`. @param {string} root @param {string} dataset @param {string} impl */
export function defaultOutFile(root, dataset, impl) {
  return path.join(root, 'experiments', 'results', `${dataset}-${impl}.jsonl`);
}

/**
 * Effect of the BatchNorm mode at scoring: per data set and impl, mean ± sample std over every
 * (class, seed) run of the final AUROC with each mode (`auroc_by_bn_mode`).
 * @param {any[]} records
 * @returns {{ dataset: string, impl: string, n: number, modes: Record<string, { mean: number, std: number }> }[]}
 */
export function bnModeSummary(records) {
  const recs = dedupe(records).filter((r) => r.auroc_by_bn_mode && typeof r.auroc_by_bn_mode === 'object');
  const out = [];
  for (const dataset of [...new Set(recs.map((r) => r.dataset))].sort()) {
    for (const impl of [...new Set(recs.filter((r) => r.dataset === dataset).map((r) => r.impl))].sort()) {
      const rs = recs.filter((r) => r.dataset === dataset && r.impl === impl);
      /** @type {Record<string, { mean: number, std: number }>} */
      const modes = {};
      for (const mode of ['population', 'running', 'batch']) {
        const v = rs.map((r) => r.auroc_by_bn_mode[mode]).filter(Number.isFinite);
        modes[mode] = { mean: mean(v), std: sampleStd(v) };
      }
      out.push({ dataset, impl, n: rs.length, modes });
    }
  }
  return out;
}

/**
 * The issue's target on one data set: the library's mean AUROC over classes is at least the
 * reference's, and no class is worse by more than two standard deviations (the larger of the two
 * implementations' std over seeds for that class).
 * @param {DatasetSummary} s
 * @param {string} mine label of this library's series
 * @param {string} ref label of the reference series
 */
export function targetCheck(s, mine, ref) {
  const m = s.means[mine];
  const r = s.means[ref];
  const worse = [];
  for (const c of s.classes) {
    const a = s.cells[mine]?.[c];
    const b = s.cells[ref]?.[c];
    if (!a || !b || a.n === 0 || b.n === 0) continue;
    const sd = Math.max(Number.isFinite(a.std) ? a.std : 0, Number.isFinite(b.std) ? b.std : 0);
    if (a.mean < b.mean - 2 * sd) worse.push({ cls: c, mine: a.mean, ref: b.mean, twoStd: 2 * sd });
  }
  return { meanMine: m?.mean, meanRef: r?.mean, meanOk: m?.mean >= r?.mean, worse, ok: m?.mean >= r?.mean && worse.length === 0 };
}

/**
 * Mean over classes, then mean ± sample std over seeds, of one number per record (`value(r)`,
 * null/undefined/NaN = missing), for records of ONE data set and series: only seeds that have a
 * value for every class in `classes` count (as the "mean" row of `summarize`).
 * @param {any[]} rs @param {number[]} classes @param {(r: any) => number|null|undefined} value
 * @returns {{ mean: number, std: number, n: number }}
 */
export function meanOverClasses(rs, classes, value) {
  /** @type {Map<number, Map<number, number>>} */
  const bySeed = new Map();
  for (const r of dedupe(rs)) {
    const v = value(r);
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    if (!bySeed.has(r.seed)) bySeed.set(r.seed, new Map());
    bySeed.get(r.seed)?.set(r.anomaly_class, v);
  }
  const perSeed = [...bySeed.values()].filter((m) => classes.every((c) => m.has(c))).map((m) => mean(classes.map((c) => /** @type {number} */ (m.get(c)))));
  return { mean: mean(perSeed), std: sampleStd(perSeed), n: perSeed.length };
}

/** Index of the largest finite value (first on ties), -1 if none. @param {(number|null)[]} xs */
export function argmax(xs) {
  let k = -1;
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    if (typeof v === 'number' && Number.isFinite(v) && (k < 0 || v > /** @type {number} */ (xs[k]))) k = i;
  }
  return k;
}

/**
 * The test AUROC of `variant` at the epoch where ITS validation AUROC (held-out normals vs their
 * synthetic anomalies, `per_epoch_validation_variant_auroc`) is highest: model selection and score
 * choice made on training-side data only. null when the record lacks the fields.
 * @param {any} r @param {string} variant
 */
export function validationSelected(r, variant) {
  const val = r.per_epoch_validation_variant_auroc?.[variant];
  const test = r.per_epoch_variant_auroc?.[variant];
  if (!Array.isArray(val) || !Array.isArray(test)) return null;
  const k = argmax(val);
  return k < 0 ? null : test[k];
}

/**
 * Per data set and series: mean AUROC over classes (mean ± std over complete seeds) of every score
 * variant, at the last epoch and (where the records hold validation AUROCs) at each variant's
 * validation-selected epoch; and the selection rules of the model's own score side by side.
 * @param {any[]} records @param {readonly string[]} variants
 */
export function variantSummary(records, variants) {
  const out = [];
  for (const s of summarize(records)) {
    for (const se of s.series) {
      const rs = dedupe(records).filter((r) => r.dataset === s.dataset && r.impl === se.impl && stableStringify(r.config) === stableStringify(se.config));
      if (!rs.some((r) => r.variant_auroc)) continue;
      const last = Object.fromEntries(variants.map((v) => [v, meanOverClasses(rs, s.classes, (r) => r.variant_auroc?.[v])]));
      const selected = Object.fromEntries(variants.map((v) => [v, meanOverClasses(rs, s.classes, (r) => validationSelected(r, v))]));
      const rules = {
        last: meanOverClasses(rs, s.classes, (r) => r.auroc),
        validation: meanOverClasses(rs, s.classes, (r) => r.auroc_selected_by_validation),
        lowest_normal_score: meanOverClasses(rs, s.classes, (r) => r.auroc_selected_by_val),
        test: meanOverClasses(rs, s.classes, (r) => r.best_epoch_auroc),
      };
      // The selection rules rank the model's own score (the config's `score`: l2 = the latent one).
      out.push({ dataset: s.dataset, label: se.label, classes: s.classes, score: se.config?.score ?? 'l2', last, selected, rules });
    }
  }
  return out;
}
