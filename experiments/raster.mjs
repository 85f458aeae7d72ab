// The rasteriser of the summary charts is @ganomaly/report's Canvas (packages/report/src/canvas.ts:
// an RGBA canvas with rectangles, lines, image blits and a 5x7 bitmap font). This module re-exports
// it for the Node-only experiment scripts, with one difference: `toPng()` is synchronous here
// (pngjs imported statically) instead of returning a Promise as in the browser-safe package.
import { PNG } from 'pngjs';
import { Canvas as ReportCanvas } from '@ganomaly/report';

export { textWidth, encodePng } from '@ganomaly/report';

export class Canvas extends ReportCanvas {
  /** The PNG file's bytes, synchronously. @returns {Buffer} */
  // @ts-ignore -- synchronous override of the package's Promise-returning toPng
  toPng() {
    const png = new PNG({ width: this.width, height: this.height });
    png.data.set(this.data);
    return PNG.sync.write(png);
  }
}
