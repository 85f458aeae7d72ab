// The ONNX protobuf messages, from onnx.proto's JSON descriptor through protobufjs/light (no parser
// or file access at run time: works in browsers). Encoding and decoding are protobufjs's.
import protobuf from 'protobufjs/light.js';
import { ONNX_SCHEMA } from './onnx-schema.js';

const root = protobuf.Root.fromJSON(ONNX_SCHEMA as unknown as protobuf.INamespace);

export const ModelProto = root.lookupType('onnx.ModelProto');

/** ONNX's TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9 } as const;
/** ONNX's AttributeProto.AttributeType values used here. */
export const AttrType = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;

export interface TensorProto {
  name: string;
  dims: number[];
  dataType: number;
  rawData?: Uint8Array;
  int64Data?: number[];
}
export interface AttributeProto {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  ints?: number[];
}
export interface NodeProto {
  name: string;
  opType: string;
  input: string[];
  output: string[];
  attribute?: AttributeProto[];
  domain?: string;
}
export interface ValueInfoProto {
  name: string;
  type: { tensorType: { elemType: number; shape: { dim: ({ dimValue: number } | { dimParam: string })[] } } };
  docString?: string;
}
export interface GraphProto {
  name: string;
  node: NodeProto[];
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  docString?: string;
}
export interface ModelProtoObject {
  irVersion: number;
  opsetImport: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  docString?: string;
  graph: GraphProto;
  metadataProps: { key: string; value: string }[];
}

export function encodeModel(model: ModelProtoObject): Uint8Array {
  const err = ModelProto.verify(model);
  if (err) throw new Error(`Internal error: the ONNX model does not verify: ${err}`);
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

/** Decodes a ModelProto; int64 values come back as numbers. Throws protobufjs's error on bad bytes. */
export function decodeModel(bytes: Uint8Array): ModelProtoObject {
  const msg = ModelProto.decode(bytes);
  return ModelProto.toObject(msg, { longs: Number, defaults: false, arrays: true }) as unknown as ModelProtoObject;
}
