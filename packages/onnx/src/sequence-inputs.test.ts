import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { DTypeError, FormatError, UnsupportedOpError } from "@polychip/hal";
import type { HostOutput } from "@polychip/engine/runtime";
import { importOnnx } from "./import/importer.ts";
import { encodeModel } from "./proto/codec.ts";
import { DataType, type TypeProto } from "./proto/types.ts";
import { OnnxSession } from "./session.ts";
import { initializer, modelProto } from "./testing/model-builder.ts";

/**
 * Sequence graph inputs through OnnxSession: an array of tensors, planned per length and element
 * shapes; values read from an element at import (a Range limit) computed per run; badly typed
 * feeds are errors naming the input or element.
 */
const floatSequence: TypeProto = { sequenceType: { elemType: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimParam: "n" }] } } } } };

/** A model whose input `s` is a sequence of float tensors: its length and the sum of its concatenation. */
function sequenceInputModel(): Uint8Array {
  const proto = modelProto({
    opset: 13,
    inputs: [{ name: "s", type: "float32", shape: [] }],
    outputs: [
      { name: "length", type: "int64", shape: [] },
      { name: "sum", type: "float32", shape: [] },
    ],
    nodes: [
      { op: "SequenceLength", inputs: ["s"], outputs: ["length"] },
      { op: "ConcatFromSequence", inputs: ["s"], outputs: ["all"], attrs: { axis: 0 } },
      { op: "ReduceSum", inputs: ["all"], outputs: ["sum"], attrs: { keepdims: 0 } },
    ],
  });
  proto.graph!.input![0]!.type = floatSequence;
  return encodeModel(proto);
}

const vector = (...v: number[]) => ({ data: Float32Array.from(v), shape: [v.length] });

test("a sequence input is an array of tensors, planned per length and element shapes", async () => {
  const session = await OnnxSession.create(sequenceInputModel(), { device: "cpu" });
  try {
    const first = await session.run({ s: [vector(1, 2), vector(3)] });
    assert.equal(first.length!.data[0], 2);
    assert.equal(first.sum!.data[0], 6);
    const second = await session.run({ s: [vector(1), vector(2), vector(3, 4, 5)] });
    assert.equal(second.length!.data[0], 3);
    assert.equal(second.sum!.data[0], 15);
    const again = await session.runValues({ s: [vector(10, 20), vector(30)] });
    assert.equal((again.sum as HostOutput).data[0], 60);
  } finally {
    session.dispose();
  }
});

test("a sequence element of the wrong dtype is an error naming the element", async () => {
  const session = await OnnxSession.create(sequenceInputModel(), { device: "cpu" });
  try {
    const ints = { data: Int32Array.from([1, 2]), shape: [2], dtype: "int32" as const };
    await assert.rejects(
      session.run({ s: [vector(1), ints] }),
      (err: Error) => err instanceof DTypeError && /input 's\[1\]': expected dtype float32.*got int32/.test(err.message),
    );
  } finally {
    session.dispose();
  }
});

test("a tensor fed where a sequence is declared is an error naming the input", async () => {
  const session = await OnnxSession.create(sequenceInputModel(), { device: "cpu" });
  try {
    await assert.rejects(
      session.run({ s: vector(1, 2) }),
      (err: Error) => err instanceof FormatError && /input 's' is declared a sequence: pass an array of tensors, got a tensor/.test(err.message),
    );
  } finally {
    session.dispose();
  }
});

test("importOnnx of a model with a sequence input and no layout says the length must be known", () => {
  assert.throws(
    () => importOnnx(sequenceInputModel()),
    (err: Error) => err instanceof UnsupportedOpError && /graph input 's' is a sequence: its length must be known at import.*inputLayouts/.test(err.message),
  );
});

const floatScalars: TypeProto = { sequenceType: { elemType: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [] } } } } };

test("a Range limit read from a sequence input's element is computed per run by OnnxSession", async () => {
  const proto = modelProto({
    opset: 13,
    inputs: [{ name: "s", type: "float32", shape: [] }],
    outputs: [{ name: "r", type: "float32" }],
    initializers: [initializer("zero", [0], []), initializer("one", [1], []), initializer("first", [0], [], "int64")],
    nodes: [
      { op: "SequenceAt", inputs: ["s", "first"], outputs: ["limit"] },
      { op: "Range", inputs: ["zero", "limit", "one"], outputs: ["r"] },
    ],
  });
  proto.graph!.input![0]!.type = floatScalars;
  const session = await OnnxSession.create(encodeModel(proto), { device: "cpu" });
  try {
    for (const limit of [3, 5]) {
      const out = await session.run({
        s: [
          { data: [limit], shape: [] },
          { data: [9], shape: [] },
        ],
      });
      assert.deepEqual(
        Array.from(out.r!.data),
        Array.from({ length: limit }, (_, i) => i),
      );
    }
  } finally {
    session.dispose();
  }
});

test("a SequenceMap body whose Range reads each element runs per run, one length per element", async () => {
  const body = {
    inputs: [{ name: "e", type: "float32" as const, shape: [] }],
    outputs: [{ name: "range", type: "float32" as const }],
    nodes: [{ op: "Range", inputs: ["zero", "e", "one"], outputs: ["range"] }],
  };
  const proto = modelProto({
    opset: 17,
    inputs: [{ name: "s", type: "float32", shape: [] }],
    outputs: [{ name: "ranges", type: "float32" }],
    initializers: [initializer("zero", [0], []), initializer("one", [1], [])],
    nodes: [{ op: "SequenceMap", inputs: ["s"], outputs: ["ranges"], attrs: { body: { graph: body } } }],
  });
  proto.graph!.input![0]!.type = floatScalars;
  proto.graph!.output![0]!.type = { sequenceType: { elemType: { tensorType: { elemType: DataType.FLOAT } } } };
  const session = await OnnxSession.create(encodeModel(proto), { device: "cpu" });
  try {
    const out = await session.runValues({
      s: [
        { data: [2], shape: [] },
        { data: [4], shape: [] },
      ],
    });
    assert.deepEqual(
      (out.ranges as HostOutput[]).map((t) => Array.from(t.data)),
      [
        [0, 1],
        [0, 1, 2, 3],
      ],
    );
  } finally {
    session.dispose();
  }
});
