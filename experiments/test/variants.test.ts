// The score variants computed from components (variants.mjs) and the summaries over them (lib.mjs),
// against values worked out by hand.
import { describe, expect, it } from 'vitest';
import { VARIANTS, byVariant, fromLibrary, variantAurocs, variantScores } from '../variants.mjs';
import { argmax, makeConfig, meanOverClasses, validationSelected, variantSummary } from '../lib.mjs';

const comp = {
  latent: [1, 2, 3],
  latent_l1: [3, 2, 1],
  reconstruction: [0.1, 0.3, 0.5],
  reconstruction_l2: [0.01, 0.09, 0.25],
  features: [2, 4, 6],
};
// calibration: min/max and mean/std (population std) worked out below
const cal = {
  latent: [1, 3], // mean 2, std 1
  latent_l1: [0, 1],
  reconstruction: [0.1, 0.5], // mean 0.3, std 0.2
  reconstruction_l2: [0.01, 0.21], // min 0.01, max 0.21
  features: [2, 4], // min 2, max 4; mean 3, std 1
};

describe('variantScores', () => {
  it('keeps the components and builds skip and combined from the calibration statistics', () => {
    const s = variantScores(comp, cal);
    expect(Array.from(s.latent)).toEqual([1, 2, 3]);
    // skip = 0.9 (r - 0.1)/0.4 + 0.1 (f - 2)/2 (float32, as the library returns it)
    expect(s.skip[0]).toBeCloseTo(0, 6);
    expect(s.skip[1]).toBeCloseTo(0.9 * 0.5 + 0.1 * 1, 6);
    expect(s.skip[2]).toBeCloseTo(0.9 * 1 + 0.1 * 2, 6);
    // combined = (l - 2)/1 + (r - 0.3)/0.2 + (f - 3)/1
    expect(s.combined[0]).toBeCloseTo(-1 - 1 - 1, 6);
    expect(s.combined[1]).toBeCloseTo(0 + 0 + 1, 6);
    expect(s.combined[2]).toBeCloseTo(1 + 1 + 3, 6);
  });
  it('drops a component without spread on the calibration images', () => {
    const flat = { ...cal, reconstruction: [0.5, 0.5], latent: [2, 2] };
    const s = variantScores(comp, flat);
    expect(s.skip[1]).toBeCloseTo(0.1 * 1, 6);
    expect(s.combined[0]).toBeCloseTo(2 - 3, 6);
  });
});

describe('variantAurocs', () => {
  it('gives each variant its AUROC; skip and combined are null without calibration images', () => {
    const labels = [0, 0, 1];
    const a = variantAurocs(comp, labels, cal);
    expect(Object.keys(a)).toEqual([...VARIANTS]);
    expect(a.latent).toBe(1);
    expect(a.latent_l1).toBe(0); // decreasing with the label
    expect(a.skip).toBe(1);
    const b = variantAurocs(comp, labels, null);
    expect(b.skip).toBeNull();
    expect(b.combined).toBeNull();
    expect(b.features).toBe(1);
  });
  it('maps the library names, and complains about a missing one', () => {
    const lib = { latent: [1], latentL1: [2], reconstruction: [3], reconstructionL2: [4], features: [5] };
    expect(Array.from(fromLibrary(lib).reconstruction_l2)).toEqual([4]);
    expect(() => fromLibrary({ latent: [1] })).toThrow(/latentL1/);
  });
  it('transposes per-epoch records', () => {
    const t = byVariant([{ latent: 0.5, skip: null }, { latent: 0.7 }]);
    expect(t.latent).toEqual([0.5, 0.7]);
    expect(t.skip).toEqual([null, null]);
  });
});

describe('selection summaries', () => {
  const cfg = makeConfig({ epochs: 3, width: 4, latent: 8, batch: 32, wAdv: 1, wCon: 50, wEnc: 1, score: 'l2', bn: 'population', maxTrain: 64, valNormal: 8 });
  const rec = (cls: number, seed: number, v: number) => ({
    impl: 'ganomaly',
    dataset: 'mnist',
    anomaly_class: cls,
    seed,
    config: cfg,
    auroc: v,
    best_epoch_auroc: v + 0.1,
    variant_auroc: { latent: v, reconstruction: v - 0.1 },
    per_epoch_variant_auroc: { latent: [v - 0.2, v + 0.05, v], reconstruction: [0.9, 0.1, v - 0.1] },
    per_epoch_validation_variant_auroc: { latent: [0.5, 0.8, 0.7], reconstruction: [0.6, 0.6, 0.55] },
  });
  it('argmax takes the first of ties and skips missing values', () => {
    expect(argmax([null, 0.5, 0.7, 0.7])).toBe(2);
    expect(argmax([null, Number.NaN])).toBe(-1);
  });
  it('validationSelected reads the test AUROC at the epoch of the best validation AUROC', () => {
    expect(validationSelected(rec(0, 0, 0.6), 'latent')).toBeCloseTo(0.65, 12);
    expect(validationSelected(rec(0, 0, 0.6), 'reconstruction')).toBe(0.9); // first of the tie
    expect(validationSelected({}, 'latent')).toBeNull();
  });
  it('meanOverClasses averages classes per complete seed, then over seeds', () => {
    const rs = [rec(0, 0, 0.6), rec(1, 0, 0.8), rec(0, 1, 0.5), rec(1, 1, 0.7), rec(0, 2, 0.9)]; // seed 2 lacks class 1
    const m = meanOverClasses(rs, [0, 1], (r) => r.auroc);
    expect(m.n).toBe(2);
    expect(m.mean).toBeCloseTo((0.7 + 0.6) / 2, 12);
    expect(m.std).toBeCloseTo(Math.sqrt(((0.7 - 0.65) ** 2 + (0.6 - 0.65) ** 2) / 1), 12);
  });
  it('variantSummary gives last-epoch and validation-selected means per variant', () => {
    const rs = [rec(0, 0, 0.6), rec(1, 0, 0.8)];
    const [v] = variantSummary(rs, ['latent', 'reconstruction']);
    expect(v.last.latent.mean).toBeCloseTo(0.7, 12);
    expect(v.last.reconstruction.mean).toBeCloseTo(0.6, 12);
    expect(v.selected.latent.mean).toBeCloseTo(0.75, 12);
    expect(v.rules.test.mean).toBeCloseTo(0.8, 12);
    expect(v.rules.validation.n).toBe(0); // no select: 'validation' fields in these records
  });
});

describe('study.mjs', () => {
  it('splits the records into the nz and w_con studies and averages each value', async () => {
    const { studies } = await import('../study.mjs');
    const mk = (latent: number, wCon: number, cls: number, seed: number, auroc: number) => ({
      impl: 'pytorch',
      dataset: 'mnist',
      anomaly_class: cls,
      seed,
      auroc,
      best_epoch_auroc: auroc + 0.05,
      variant_auroc: { reconstruction: auroc - 0.1 },
      config: { ...makeConfig({ epochs: 3, width: 16, latent, batch: 64, wAdv: 1, wCon, wEnc: 1, score: 'l2', bn: 'population' }) },
    });
    const rs = [mk(100, 50, 0, 0, 0.6), mk(100, 50, 1, 0, 0.8), mk(50, 50, 0, 0, 0.5), mk(50, 50, 1, 0, 0.7), mk(100, 10, 0, 0, 0.9), mk(100, 10, 1, 0, 0.9), mk(50, 10, 0, 0, 0.1)];
    const st = studies(rs);
    expect(st.nz.map((r) => r.value)).toEqual([50, 100]);
    expect(st.nz[0].byVariant.latent.mean).toBeCloseTo(0.6, 12);
    expect(st.nz[1].byVariant.reconstruction.mean).toBeCloseTo(0.6, 12);
    expect(st.wCon.map((r) => r.value)).toEqual([10, 50]); // nz 50 w_con 10 is in neither study
    expect(st.wCon[0].byVariant.latent.mean).toBeCloseTo(0.9, 12);
    expect(st.wCon[1].best.mean).toBeCloseTo(0.75, 12);
    // records of another protocol are refused, not mixed in
    expect(() => studies([...rs, { ...mk(100, 50, 0, 1, 0.5), config: { ...mk(100, 50, 0, 1, 0.5).config, epochs: 5 } }])).toThrow(/2 different protocols/);
  });
});
