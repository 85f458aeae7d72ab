// The Node app of tools/test/pack.test.ts: it sees only the packed packages. It trains a tiny
// model, scores, saves and reloads it, and scores the PNG and JPEG files that the browser page
// scores too (their pixels and scores go to node-scores.json for the page's test).
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Ganomaly, data, ValueError, type FitResult } from '@ganomaly/core';

const dir = process.argv[2]!;
const count = 16;
const pixels = new Uint8Array(count * 16 * 16);
for (let i = 0; i < count; i++) {
  for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) pixels[i * 256 + y * 16 + x] = x >= 4 + (i % 3) && x < 10 + (i % 3) && y >= 4 && y < 12 ? 220 : 20 + ((x * 7 + y * 3 + i) % 11);
}
const set = data.imageSet(pixels, { count, height: 16, width: 16, channels: 1 });

const model = await Ganomaly.create({ imageSize: 16, channels: 1, latentDim: 8, baseWidth: 8, seed: 1 });
const fit: FitResult = await model.fit(set, { epochs: 1, batchSize: 8 });
if (fit.history.length !== 1) throw new Error(`one epoch expected, got ${fit.history.length}`);
const scores = Array.from(await model.score(set));
await model.save(`file://${path.join(dir, 'model')}`);
const again = await Ganomaly.load(`file://${path.join(dir, 'model')}`);
const reloaded = Array.from(await again.score(set));

const one = async (file: string) => {
  const img = data.decodeImage(new Uint8Array(await readFile(path.join(dir, file))));
  const s = await model.score(data.imageSet(img.pixels, { count: 1, height: img.height, width: img.width, channels: img.channels }));
  return { score: s[0]!, pixels: Array.from(img.pixels) };
};
const png = await one('digit.png');
const jpg = await one('digit.jpg');
await writeFile(path.join(dir, 'node-scores.json'), JSON.stringify({ png: png.score, jpg: jpg.score, pngPixels: png.pixels, jpgPixels: jpg.pixels }));

let caught = '';
try {
  await model.score(set, { batchSize: 0 });
} catch (e) {
  if (e instanceof ValueError) caught = e.name;
}
if (caught !== 'ValueError') throw new Error(`expected a ValueError, got '${caught}'`);
console.log(JSON.stringify({ backend: model.backend, scores, reloaded, png: png.score, jpg: jpg.score }));
model.dispose();
again.dispose();
