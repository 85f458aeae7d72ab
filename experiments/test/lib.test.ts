// Pure helpers: argument lists, the resume key, JSONL reading, mean ± std, the summary table, the chart.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import {
  appendRecord,
  bnModeSummary,
  formatMeanStd,
  formatComparison,
  formatTable,
  makeConfig,
  mean,
  parseIntList,
  readJsonl,
  runKey,
  sampleStd,
  stableStringify,
  summarize,
  targetCheck,
} from '../lib.mjs';
import { drawChart } from '../summary.mjs';
import { Canvas, textWidth } from '../raster.mjs';

const cfg = makeConfig({ epochs: 1, width: 4, latent: 8, batch: 32, wAdv: 1, wCon: 50, wEnc: 1, score: 'l2', bn: 'population', maxTrain: 64 });

describe('parseIntList', () => {
  it('reads ranges and lists', () => {
    expect(parseIntList('0-9')).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(parseIntList('1,3')).toEqual([1, 3]);
    expect(parseIntList('5, 0-2,2')).toEqual([0, 1, 2, 5]);
  });
  it('rejects bad input with the option name', () => {
    expect(() => parseIntList('a', { name: 'classes' })).toThrow(/--classes/);
    expect(() => parseIntList('3-1', { name: 'classes' })).toThrow(/backwards/);
    expect(() => parseIntList('0-10', { name: 'classes', max: 9 })).toThrow(/outside 0\.\.9/);
    expect(() => parseIntList('', { name: 'seeds' })).toThrow(/--seeds/);
  });
});

describe('resume key', () => {
  it('does not depend on key order, but on every setting', () => {
    expect(stableStringify({ b: 1, a: { d: 2, c: 3 } })).toBe('{"a":{"c":3,"d":2},"b":1}');
    const r = { impl: 'ganomaly', dataset: 'mnist', anomaly_class: 1, seed: 0, config: cfg };
    const shuffled = Object.fromEntries(Object.entries(cfg).reverse());
    expect(runKey({ ...r, config: shuffled })).toBe(runKey(r));
    expect(runKey({ ...r, seed: 1 })).not.toBe(runKey(r));
    expect(runKey({ ...r, config: { ...cfg, epochs: 2 } })).not.toBe(runKey(r));
    expect(runKey({ ...r, impl: 'pytorch' })).not.toBe(runKey(r));
  });
  it('stores absent caps as null', () => {
    expect(cfg.max_train).toBe(64);
    expect(cfg.max_test_normal).toBeNull();
    expect(cfg.loss_weights).toEqual({ adversarial: 1, contextual: 50, encoder: 1 });
  });
});

describe('JSONL records', () => {
  it('skips a torn last line and appends on a fresh line after it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exp-lib-'));
    const f = path.join(dir, 'r.jsonl');
    expect(readJsonl(f)).toEqual({ records: [], bad: [] });
    appendRecord(f, { a: 1 });
    fs.appendFileSync(f, '{"a": 2, "tor'); // a write cut short
    let r = readJsonl(f);
    expect(r.records).toEqual([{ a: 1 }]);
    expect(r.bad).toHaveLength(1);
    appendRecord(f, { a: 3 });
    r = readJsonl(f);
    expect(r.records).toEqual([{ a: 1 }, { a: 3 }]);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('summary arithmetic', () => {
  it('mean and sample std (n - 1) by hand', () => {
    // 0.6, 0.7, 0.8: mean 0.7; squared deviations 0.01 + 0 + 0.01 = 0.02; / (3 - 1) = 0.01; sqrt = 0.1
    expect(mean([0.6, 0.7, 0.8])).toBeCloseTo(0.7, 12);
    expect(sampleStd([0.6, 0.7, 0.8])).toBeCloseTo(0.1, 12);
    // 1, 2, 3, 4: mean 2.5; deviations² 2.25 + 0.25 + 0.25 + 2.25 = 5; / 3; sqrt = 1.2909944...
    expect(sampleStd([1, 2, 3, 4])).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(sampleStd([0.5])).toBeNaN();
    expect(formatMeanStd(0.7, 0.1)).toBe('0.700 ± 0.100');
    expect(formatMeanStd(0.7, NaN)).toBe('0.700');
  });

  // class 0: seeds 0,1,2 -> 0.6, 0.7, 0.8 (best 0.7, 0.8, 0.9); class 1: 0.9, 0.8, 0.7 (best = last)
  const recs = [
    ...[0.6, 0.7, 0.8].map((a, seed) => ({ impl: 'ganomaly', dataset: 'mnist', anomaly_class: 0, seed, config: cfg, auroc: a, best_epoch_auroc: a + 0.1 })),
    ...[0.9, 0.8, 0.7].map((a, seed) => ({ impl: 'ganomaly', dataset: 'mnist', anomaly_class: 1, seed, config: cfg, auroc: a, best_epoch_auroc: a })),
    { impl: 'pytorch', dataset: 'mnist', anomaly_class: 0, seed: 0, config: cfg, auroc: 0.5, best_epoch_auroc: 0.55 },
  ];

  it('per class and mean row', () => {
    const [s] = summarize([...recs, recs[0]]); // a duplicate run is counted once
    expect(s.dataset).toBe('mnist');
    expect(s.classes).toEqual([0, 1]);
    expect(s.series.map((x) => x.label)).toEqual(['ganomaly', 'pytorch']);
    const g0 = s.cells.ganomaly[0];
    expect(g0.n).toBe(3);
    expect(g0.mean).toBeCloseTo(0.7, 12);
    expect(g0.std).toBeCloseTo(0.1, 12);
    expect(g0.bestMean).toBeCloseTo(0.8, 12);
    expect(s.cells.ganomaly[1].mean).toBeCloseTo(0.8, 12);
    // per-seed class means: (0.6+0.9)/2 = 0.75, (0.7+0.8)/2 = 0.75, (0.8+0.7)/2 = 0.75 -> 0.75 ± 0
    expect(s.means.ganomaly.complete).toBe(true);
    expect(s.means.ganomaly.mean).toBeCloseTo(0.75, 12);
    expect(s.means.ganomaly.std).toBeCloseTo(0, 12);
    // best: (0.7+0.9)/2 = 0.8, (0.8+0.8)/2 = 0.8, (0.9+0.7)/2 = 0.8
    expect(s.means.ganomaly.bestMean).toBeCloseTo(0.8, 12);
    // pytorch has no class-1 run: the mean row is marked incomplete
    expect(s.means.pytorch.complete).toBe(false);
    expect(s.means.pytorch.mean).toBeCloseTo(0.5, 12);
    expect(s.cells.pytorch[1].n).toBe(0);

    const t = formatTable(s);
    expect(t).toContain('| 0 | 0.700 ± 0.100 | 0.800 ± 0.100 | 3 | 0.500 | 0.550 | 1 |');
    expect(t).toContain("best epoch (paper code's selection)");
    expect(t).toMatch(/\*\*mean\*\* \| \*\*0\.750 ± 0\.000\*\*/);
    expect(t).toContain('| 1 | 0.800 ± 0.100 | 0.800 ± 0.100 | 3 | — | — | 0 |');
  });

  it('the comparison layout has one row per series, classes as columns, sorted by the mean', () => {
    const [s] = summarize(recs);
    const t = formatComparison(s).split('\n');
    expect(t[0]).toBe('|  | 0 | 1 | mean over classes | best epoch (test-selected) | seeds |');
    // ganomaly (mean 0.750, 3 complete seeds) before pytorch (no class-1 run: incomplete, mean of class means 0.5)
    expect(t[2]).toBe('| ganomaly | 0.700 ± 0.100 | 0.800 ± 0.100 | **0.750 ± 0.000** | 0.800 ± 0.000 | 3 |');
    expect(t[3]).toBe('| pytorch | 0.500 | — | **0.500** | 0.550 | incomplete |');
  });

  it('an impl run with two configs gets two series', () => {
    const other = { ...cfg, epochs: 2 };
    const [s] = summarize([...recs, { ...recs[0], config: other }]);
    expect(s.series.map((x) => x.label)).toEqual(['ganomaly#1', 'ganomaly#2', 'pytorch']);
  });

  it('configs that differ only by detector are labelled by it', () => {
    const [s] = summarize([...recs, { ...recs[0], config: { ...cfg, model: 'vae' } }]);
    expect(s.series.map((x) => x.label)).toEqual(['library ganomaly', 'library vae', 'pytorch']);
    const [u] = summarize([...recs, { ...recs[0], config: { ...cfg, model: 'anogan', test_every: 'last' } }]);
    expect(u.series.map((x) => x.label)).toEqual(['library ganomaly', 'library anogan', 'pytorch']);
    const [t] = summarize([...recs, { ...recs[0], config: { ...cfg, model: 'vae', epochs: 2 } }]);
    expect(t.series.map((x) => x.label)).toEqual(['ganomaly#1', 'ganomaly#2', 'pytorch']);
  });

  it('draws a PNG with one colour per impl', () => {
    const [s] = summarize(recs);
    const png = PNG.sync.read(drawChart(s).toPng());
    expect(png.width).toBeGreaterThan(300);
    const colours = new Set<string>();
    for (let i = 0; i < png.data.length; i += 4) colours.add(`${png.data[i]},${png.data[i + 1]},${png.data[i + 2]}`);
    expect(colours.has('31,119,180')).toBe(true); // ganomaly
    expect(colours.has('255,127,14')).toBe(true); // pytorch
  });
});

describe('rasteriser', () => {
  it('fills rectangles, draws lines and text', () => {
    const c = new Canvas(40, 20);
    c.fillRect(2, 2, 3, 3, [255, 0, 0]);
    expect(c.get(3, 3)).toEqual([255, 0, 0, 255]);
    expect(c.get(5, 5)).toEqual([255, 255, 255, 255]);
    c.line(0, 10, 39, 10, [0, 0, 255]);
    for (let x = 0; x < 40; x++) expect(c.get(x, 10)).toEqual([0, 0, 255, 255]);
    c.text('1', 20, 0, [0, 0, 0], { scale: 1 });
    // glyph '1' row 0 is 00100: only column 2 set
    expect(c.get(22, 0)).toEqual([0, 0, 0, 255]);
    expect(c.get(21, 0)).toEqual([255, 255, 255, 255]);
    expect(textWidth('AB', 2)).toBe(22);
  });
});

describe('BatchNorm-mode summary and the target check', () => {
  const rec = (impl: string, cls: number, seed: number, auroc: number, bn: [number, number, number]) => ({
    impl,
    dataset: 'mnist',
    anomaly_class: cls,
    seed,
    config: { epochs: 1 },
    auroc,
    best_epoch_auroc: auroc,
    auroc_by_bn_mode: { population: bn[0], running: bn[1], batch: bn[2] },
  });
  const records = [
    rec('ganomaly', 0, 0, 0.8, [0.8, 0.2, 0.9]),
    rec('ganomaly', 0, 1, 0.6, [0.6, 0.4, 0.7]),
    rec('ganomaly', 1, 0, 0.5, [0.5, 0.1, 0.5]),
    rec('ganomaly', 1, 1, 0.5, [0.5, 0.3, 0.5]),
    rec('pytorch', 0, 0, 0.7, [0.7, 0.2, 0.8]),
    rec('pytorch', 0, 1, 0.7, [0.7, 0.2, 0.8]),
    rec('pytorch', 1, 0, 0.9, [0.9, 0.2, 0.8]),
    rec('pytorch', 1, 1, 0.9, [0.9, 0.2, 0.8]),
  ];

  it('averages each mode over all runs of an impl', () => {
    const [g] = bnModeSummary(records).filter((b) => b.impl === 'ganomaly');
    expect(g.n).toBe(4);
    // population: (0.8 + 0.6 + 0.5 + 0.5)/4 = 0.6; running (0.2+0.4+0.1+0.3)/4 = 0.25
    expect(g.modes.population.mean).toBeCloseTo(0.6, 12);
    expect(g.modes.running.mean).toBeCloseTo(0.25, 12);
    // sample std of [0.8, 0.6, 0.5, 0.5] around 0.6: sqrt((0.04 + 0 + 0.01 + 0.01)/3) = sqrt(0.02)
    expect(g.modes.population.std).toBeCloseTo(Math.sqrt(0.02), 12);
  });

  it('flags a class worse by more than two standard deviations and a lower mean', () => {
    const [s] = summarize(records);
    const t = targetCheck(s, 'ganomaly', 'pytorch');
    // Means over classes: library (0.7 + 0.5)/2 = 0.6, PyTorch (0.7 + 0.9)/2 = 0.8.
    expect(t.meanMine).toBeCloseTo(0.6, 12);
    expect(t.meanRef).toBeCloseTo(0.8, 12);
    expect(t.meanOk).toBe(false);
    // Class 0: 0.7 vs 0.7 (std 0.1414): fine. Class 1: 0.5 vs 0.9, both std 0: worse.
    expect(t.worse.map((w) => w.cls)).toEqual([1]);
    expect(t.ok).toBe(false);
  });
});

describe('makeConfig and --val-normal', () => {
  it('adds val_normal only when used, so earlier records keep their resume key', () => {
    const base = { epochs: 1, width: 4, latent: 8, batch: 32, wAdv: 1, wCon: 50, wEnc: 1, score: 'l2' as const, bn: 'population' as const, maxTrain: 64 };
    expect(makeConfig(base)).toEqual(makeConfig({ ...base, valNormal: 0 }));
    expect(makeConfig({ ...base, valNormal: 20 }).val_normal).toBe(20);
    expect(stableStringify(makeConfig({ ...base, valNormal: 20 }))).not.toBe(stableStringify(makeConfig(base)));
  });
});
