import { ProtoWriter } from "./protobuf-writer.ts";

/** ONNX TensorProto.DataType values used here. */
const FLOAT = 1;
/** AttributeProto.AttributeType values used here. */
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

export type AttributeValue = number | readonly number[] | { float: number };

export interface OnnxNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs?: Readonly<Record<string, AttributeValue>>;
}

export interface OnnxValue {
  readonly name: string;
  readonly shape: readonly number[];
}

export interface OnnxInitializer extends OnnxValue {
  readonly data: Float32Array;
}

export interface OnnxGraphSpec {
  readonly name: string;
  readonly inputs: readonly OnnxValue[];
  readonly outputs: readonly OnnxValue[];
  readonly nodes: readonly OnnxNode[];
  readonly initializers?: readonly OnnxInitializer[];
}

/** IR version 8 / opset 17: understood by every onnxruntime the bench runs. */
const IR_VERSION = 8;
const OPSET = 17;

function writeAttribute(w: ProtoWriter, name: string, value: AttributeValue): void {
  w.string(1, name);
  if (typeof value === "number") {
    w.int(3, value).int(20, ATTR_INT);
  } else if (Array.isArray(value)) {
    for (const v of value as readonly number[]) w.int(8, v);
    w.int(20, ATTR_INTS);
  } else {
    w.float(2, (value as { float: number }).float).int(20, ATTR_FLOAT);
  }
}

function writeValueInfo(w: ProtoWriter, value: OnnxValue): void {
  w.string(1, value.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, FLOAT);
      tensor.message(2, (shape) => {
        for (const d of value.shape) shape.message(1, (dim) => dim.int(1, d));
      });
    }),
  );
}

function writeInitializer(w: ProtoWriter, init: OnnxInitializer): void {
  const expected = init.shape.reduce((a, b) => a * b, 1);
  if (init.data.length !== expected) {
    throw new RangeError(`ONNX initializer '${init.name}': ${init.data.length} values for shape [${init.shape.join(", ")}]`);
  }
  for (const d of init.shape) w.int(1, d);
  w.int(2, FLOAT);
  w.string(8, init.name);
  // raw_data is little-endian; copy so a view into a larger buffer is written exactly.
  w.bytes(9, new Uint8Array(Float32Array.from(init.data).buffer));
}

/** Serialises a float32 graph as ONNX ModelProto bytes. */
export function buildOnnxModel(spec: OnnxGraphSpec): Uint8Array {
  const model = new ProtoWriter();
  model.int(1, IR_VERSION);
  model.string(2, "polychip-bench");
  model.message(7, (graph) => {
    spec.nodes.forEach((node, i) =>
      graph.message(1, (n) => {
        for (const input of node.inputs) n.string(1, input);
        for (const output of node.outputs) n.string(2, output);
        n.string(3, `${node.op}_${i}`);
        n.string(4, node.op);
        for (const [name, value] of Object.entries(node.attrs ?? {})) n.message(5, (a) => writeAttribute(a, name, value));
      }),
    );
    graph.string(2, spec.name);
    for (const init of spec.initializers ?? []) graph.message(5, (t) => writeInitializer(t, init));
    for (const input of spec.inputs) graph.message(11, (v) => writeValueInfo(v, input));
    for (const output of spec.outputs) graph.message(12, (v) => writeValueInfo(v, output));
  });
  model.message(8, (opset) => opset.string(1, "").int(2, OPSET));
  return model.finish();
}
