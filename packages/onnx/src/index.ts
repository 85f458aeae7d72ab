/**
 * @ganomaly/onnx: a trained GANomaly scorer as an ONNX graph (`buildOnnxScorer`, called by
 * `Ganomaly.exportOnnx` in @ganomaly/core), and `OnnxScorer`, which scores images with such a file
 * on ONNX Runtime: onnxruntime-node in Node, onnxruntime-web (wasm, WebGPU) in browsers, both
 * optional peers.
 */
export {
  type ScorerNetworks,
  type ExtraOutput,
  type OnnxModelInfo,
  type OnnxQuantizationInfo,
  type BuildScorerOptions,
  type OnnxScoreVariant,
  ONNX_SCORE_VARIANTS,
  EXTRA_OUTPUTS,
  METADATA_KEY,
  ONNX_OPSET,
  ONNX_IR_VERSION,
  buildOnnxScorer,
  float32AtLeast,
} from './export.js';
export {
  type OrtModule,
  type OnnxImageInput,
  type OnnxScorerOptions,
  type OnnxScoreOptions,
  type OnnxPrediction,
  OnnxScorer,
  readOnnxModelInfo,
} from './scorer.js';
export { type QuantizeOnnxOptions, quantizeOnnx } from './quantize.js';
