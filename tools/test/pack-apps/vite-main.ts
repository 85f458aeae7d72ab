// The page of the Vite app of tools/test/pack.test.ts, built from the packed packages. The wasm
// backend's .wasm files are imported as URLs, so Vite copies them into the build and the page
// tells tfjs where they are.
import { Ganomaly, data, setWasmPaths } from '@ganomaly/core';
import wasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasm,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
});

const result: Record<string, unknown> = {};
try {
  const model = await Ganomaly.load(new URL('model/model.json', location.href).href, { backend: 'wasm' });
  result.backend = model.backend;
  for (const kind of ['png', 'jpg']) {
    const bytes = new Uint8Array(await (await fetch(`digit.${kind}`)).arrayBuffer());
    const img = await data.decodeImageAsync(bytes, { file: `digit.${kind}` });
    const scores = await model.score(data.imageSet(img.pixels, { count: 1, height: img.height, width: img.width, channels: img.channels }));
    result[kind] = scores[0];
    result[`${kind}Pixels`] = Array.from(img.pixels);
  }
  try {
    await model.score(data.imageSet(new Uint8Array(256), { count: 1, height: 16, width: 16, channels: 1 }), { batchSize: 0 });
  } catch (e) {
    result.errorName = (e as Error).name;
  }
  model.dispose();
} catch (e) {
  result.error = String((e as Error)?.stack ?? e);
}
(window as unknown as { __result: unknown }).__result = result;
