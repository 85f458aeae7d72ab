/**
 * @ganomaly/report: visual evaluation reports of a GANomaly model: the ROC and precision-recall
 * curves, the score histogram and reconstruction grids as RGBA image data (browser and Node),
 * PNG encoding, and an offline HTML report written to a folder (Node).
 *
 * The rasteriser's internals (the glyph table, tick and colour helpers) are not exported; the
 * tests import them from their modules.
 */
export { type RgbaImage } from './rgba.js';
export { type Color, type LineOptions, type TextOptions, Canvas, textWidth } from './canvas.js';
export { encodePng } from './png.js';
export {
  type PlotArea,
  type Chart,
  type ChartOptions,
  type HistogramOptions,
  type HistogramChart,
  rocChart,
  precisionRecallChart,
  scoreHistogram,
} from './charts.js';
export { type GridItem, type GridOptions, type GridLayout, type GridImage, reconstructionGrid } from './grid.js';
export {
  type ReportInput,
  type ReportMetrics,
  type ReportRow,
  type ClassMetrics,
  type Report,
  type ReportImageName,
  REPORT_FILES,
  createReport,
  reportHtml,
  reportCsv,
  writeReport,
  // The CSV quoting of scores.csv; the CLI writes its score CSV with it, so the two agree.
  csvField,
  perClassMetrics,
  reportMetrics,
} from './report.js';
