/**
 * @ganomaly/report: visual evaluation reports of a GANomaly model: the ROC and precision-recall
 * curves, the score histogram and reconstruction grids as RGBA image data (browser and Node),
 * PNG encoding, and an offline HTML report written to a folder (Node).
 */
export {
  type Color,
  type LineOptions,
  type TextOptions,
  Canvas,
  GLYPHS,
  GLYPH_ADVANCE,
  GLYPH_HEIGHT,
  GLYPH_DESCENT,
  glyph,
  textWidth,
  fitText,
  ellipsizeMiddle,
} from './canvas.js';
export { type RgbaImage, checkRgbaImage } from './rgba.js';
export { encodePng } from './png.js';
export {
  type PlotArea,
  type Chart,
  type ChartOptions,
  type HistogramOptions,
  type HistogramChart,
  COLORS,
  HISTOGRAM_ALPHA,
  dataToPixel,
  niceTicks,
  tickFormatter,
  formatNumber,
  rocChart,
  precisionRecallChart,
  precisionRecallSteps,
  stepArea,
  scoreHistogram,
} from './charts.js';
export { type GridItem, type GridOptions, type GridLayout, type GridImage, inferno, COLORMAP_ZERO, reconstructionGrid } from './grid.js';
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
  escapeHtml,
  csvField,
  perClassMetrics,
  reportMetrics,
} from './report.js';
