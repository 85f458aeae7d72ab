import { describe, expect, it } from 'vitest';
import { averagePrecision, rocCurve } from '@ganomaly/math';
import { precisionRecallChart, rocChart, scoreHistogram, type RgbaImage } from '@ganomaly/report';
// Internals of the charts, from their module.
import { COLORS, HISTOGRAM_ALPHA, dataToPixel, formatNumber, niceTicks, precisionRecallSteps, stepArea, tickFormatter } from '../src/charts.js';

function px(im: RgbaImage, x: number, y: number): number[] {
  const i = (y * im.width + x) * 4;
  return [im.data[i]!, im.data[i + 1]!, im.data[i + 2]!];
}
const blend = (c: readonly number[], a: number) => c.map((v) => Math.round(v * (a / 255) + 255 * (1 - a / 255)));

describe('rocChart', () => {
  const perfect = { scores: [0.1, 0.2, 0.3, 0.8, 0.9], labels: [0, 0, 0, 1, 1] };

  it("draws a perfect classifier's curve through the top-left corner", () => {
    const chart = rocChart(rocCurve(perfect.scores, perfect.labels), 1);
    expect([chart.width, chart.height, chart.data.length]).toEqual([640, 480, 640 * 480 * 4]);
    const p = chart.plot;
    expect(p.width).toBe(p.height); // square: the diagonal at 45°
    for (const [x, y] of [
      [0, 0.25],
      [0, 0.5],
      [0, 1],
      [0.5, 1],
      [1, 1],
    ] as const) {
      expect(px(chart, ...dataToPixel(p, x, y)), `(${x}, ${y})`).toEqual([...COLORS.curve]);
    }
    // the chance diagonal (dashed): most of its pixels between the ends are its colour
    let onDiagonal = 0;
    for (let t = 0.1; t <= 0.9; t += 0.01) if (px(chart, ...dataToPixel(p, t, t)).join() === COLORS.chance.join()) onDiagonal++;
    expect(onDiagonal).toBeGreaterThan(30);
    expect(onDiagonal).toBeLessThan(81);
  });

  it('shades the area under the curve and leaves the rest white', () => {
    // one normal image above one anomaly: ROC (0,0) (0,.5) (.5,.5) (.5,1) (1,1)
    const chart = rocChart(rocCurve([0.9, 0.8, 0.7, 0.1], [1, 0, 1, 0]), 0.75);
    const above = px(chart, ...dataToPixel(chart.plot, 0.23, 0.77));
    const below = px(chart, ...dataToPixel(chart.plot, 0.27, 0.23));
    expect(above).toEqual([255, 255, 255]);
    expect(below).not.toEqual([255, 255, 255]);
    expect(below[2]).toBeGreaterThan(below[0]!); // bluish
  });

  it('takes a size and a title, and checks its arguments', () => {
    const roc = rocCurve(perfect.scores, perfect.labels);
    const chart = rocChart(roc, 1, { width: 400, height: 300, title: 'x' });
    expect([chart.width, chart.height]).toEqual([400, 300]);
    expect(chart.plot.left + chart.plot.width).toBeLessThan(400);
    expect(chart.plot.top + chart.plot.height).toBeLessThan(300);
    expect(() => rocChart(roc, 1, { width: 10 })).toThrow(/options.width/);
    expect(() => rocChart({ fpr: new Float64Array([0]), tpr: new Float64Array([0]), thresholds: new Float64Array([1]) }, 1)).toThrow(/roc/);
  });
});

describe('precision-recall', () => {
  // Hand-worked: scores 0.9 (anomaly), 0.8 (normal), 0.7 (anomaly), 0.6, 0.5 (normal).
  // Threshold 0.9: P 1, R 0.5. 0.8: P 1/2, R 0.5. 0.7: P 2/3, R 1. 0.6: P 1/2. 0.5: P 2/5.
  // AP = 0.5·1 + 0.5·2/3 = 5/6.
  const scores = [0.9, 0.8, 0.7, 0.6, 0.5];
  const labels = [1, 0, 1, 0, 0];

  it('steps through the hand-worked points; their area is the average precision', () => {
    const s = precisionRecallSteps(scores, labels);
    expect(s.recall).toEqual([0, 0, 0.5, 0.5, 1]);
    expect(s.precision[0]).toBe(1);
    expect(s.precision[1]).toBe(1);
    expect(s.precision[2]).toBe(1);
    expect(s.precision[3]).toBeCloseTo(2 / 3, 12);
    expect(s.precision[4]).toBeCloseTo(2 / 3, 12);
    expect(stepArea(s)).toBeCloseTo(5 / 6, 12);
    expect(averagePrecision(scores, labels)).toBeCloseTo(5 / 6, 12);
  });

  it('area = average precision on random data with ties', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const sc = Array.from({ length: 300 }, () => Math.round(rnd() * 40) / 40);
    const lb = sc.map((v) => (rnd() < 0.3 + 0.4 * v ? 1 : 0));
    expect(stepArea(precisionRecallSteps(sc, lb))).toBeCloseTo(averagePrecision(sc, lb), 12);
  });

  it('draws the curve and the positive-rate baseline', () => {
    const chart = precisionRecallChart(scores, labels, 5 / 6);
    expect([chart.width, chart.height]).toEqual([640, 480]);
    const p = chart.plot;
    expect(px(chart, ...dataToPixel(p, 0.25, 1))).toEqual([...COLORS.curve]);
    expect(px(chart, ...dataToPixel(p, 0.75, 2 / 3))).toEqual([...COLORS.curve]);
    expect(px(chart, ...dataToPixel(p, 0.5, 0.8))).toEqual([...COLORS.curve]); // the vertical step at recall 0.5
    const [, by] = dataToPixel(p, 0, 0.4); // 2 anomalies of 5
    let dashes = 0;
    for (let x = p.left + 5; x < p.left + p.width - 5; x++) if (px(chart, x, by).join() === COLORS.chance.join()) dashes++;
    expect(dashes).toBeGreaterThan(p.width / 3);
    expect(px(chart, ...dataToPixel(p, 0.25, 0.55))).toEqual([255, 255, 255]);
  });
});

describe('scoreHistogram', () => {
  const scores = [1, 1.2, 1.1, 1.4, 2, 3, 3.2, 3.1, 2.9, 4];
  const labels = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1];

  it("draws the threshold as a dashed line of its colour, only in the threshold's column", () => {
    const h = scoreHistogram(scores, labels, 2.5, { bins: 10 });
    expect([h.width, h.height]).toEqual([640, 480]);
    const p = h.plot;
    const [tx] = dataToPixel(p, 2.5, 0);
    const column = (x: number) => {
      let n = 0;
      for (let y = p.top; y <= p.top + p.height; y++) if (px(h, x, y).join() === COLORS.threshold.join()) n++;
      return n;
    };
    expect(column(tx)).toBeGreaterThan(p.height / 3);
    expect(column(tx)).toBeLessThan(p.height); // dashed
    expect(column(dataToPixel(p, 1.8, 0)[0])).toBe(0);
  });

  it('counts per class and draws semi-transparent bars', () => {
    const h = scoreHistogram(scores, labels, undefined, { bins: 6 });
    expect(h.edges).toHaveLength(7);
    expect(h.edges[0]).toBe(1);
    expect(h.edges[6]).toBe(4);
    expect(h.counts.normal.reduce((a, b) => a + b)).toBe(5);
    expect(h.counts.anomalous.reduce((a, b) => a + b)).toBe(5);
    expect(h.counts.normal[0]).toBe(4); // 1, 1.1, 1.2, 1.4 in [1, 1.5)
    expect(h.counts.anomalous[5]).toBe(1); // 4, the last edge, in the last bin
    // inside the first bin's bar (normal only), halfway up
    const [x] = dataToPixel(h.plot, 1.25, 0);
    const [, y] = dataToPixel(h.plot, 0, 1.5);
    expect(px(h, x, y)).toEqual(blend(COLORS.normal, HISTOGRAM_ALPHA));
    // no threshold: no threshold-coloured pixels inside the plot
    let black = 0;
    for (let yy = h.plot.top + 1; yy < h.plot.top + h.plot.height; yy++) {
      for (let xx = h.plot.left + 1; xx < h.plot.left + h.plot.width; xx++) if (px(h, xx, yy).join() === COLORS.threshold.join()) black++;
    }
    expect(black).toBe(0);
  });

  it('takes the threshold into the x range and handles equal scores', () => {
    const h = scoreHistogram([1, 1, 1, 1], [0, 0, 1, 1], 5);
    expect(h.plot.xRange[1]).toBeGreaterThan(5);
    expect(() => scoreHistogram([1, NaN], [0, 1], undefined)).toThrow(/finite/);
    expect(() => scoreHistogram([1, 2], [0, 2], undefined)).toThrow(/labels/);
  });
});

describe('axis helpers', () => {
  it('picks readable ticks and numbers', () => {
    expect(niceTicks(0, 1, 6).ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.013, 0.087, 5).ticks).toEqual([0.02, 0.04, 0.06, 0.08]);
    expect(niceTicks(0, 37, 6).step).toBe(10);
    expect(formatNumber(0.0123456)).toBe('0.01235');
    expect(formatNumber(2)).toBe('2');
    expect(formatNumber(1.5e-5)).toBe('1.50e-5');
  });
});

describe('tick labels', () => {
  it('tell ticks apart in fixed and exponent notation', () => {
    const fmt = (lo: number, hi: number, n: number) => {
      const t = niceTicks(lo, hi, n);
      const f = tickFormatter(t.step, Math.max(Math.abs(lo), Math.abs(hi)));
      return t.ticks.map(f);
    };
    expect(fmt(0, 0.1, 5)).toEqual(['0.000', '0.025', '0.050', '0.075', '0.100']);
    expect(fmt(6e5, 1.6e6, 5)).toEqual(['7.5e5', '1.00e6', '1.25e6', '1.50e6']);
    expect(fmt(1.5e-5, 5.5e-5, 5)).toEqual(['2e-5', '3e-5', '4e-5', '5e-5']);
    expect(fmt(-2e-5, 2e-5, 5)).toEqual(['-2e-5', '-1e-5', '0', '1e-5', '2e-5']);
  });
});
