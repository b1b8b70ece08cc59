import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import type { HostOutput } from "@polychip/engine/runtime";
import { encodeModel } from "./proto/codec.ts";
import { DataType, type TypeProto } from "./proto/types.ts";
import { OnnxSession } from "./session.ts";
import { modelProto } from "./testing/model-builder.ts";

/**
 * An optional graph input is a tensor or null/undefined when absent; its presence is part of the
 * plan's signature, so OptionalHasElement folds per plan. runValues returns an optional output as
 * its value or null.
 */
const optionalFloats: TypeProto = { optionalType: { elemType: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimParam: "n" }] } } } } };

function optionalModel(): Uint8Array {
  const proto = modelProto({
    opset: 18,
    inputs: [{ name: "o", type: "float32", shape: [] }],
    outputs: [
      { name: "has", type: "bool", shape: [] },
      { name: "same", type: "float32" },
    ],
    nodes: [
      { op: "OptionalHasElement", inputs: ["o"], outputs: ["has"] },
      { op: "Identity", inputs: ["o"], outputs: ["same"] },
    ],
  });
  proto.graph!.input![0]!.type = optionalFloats;
  proto.graph!.output![1]!.type = optionalFloats;
  return encodeModel(proto);
}

test("an optional input runs present and absent in one session; runValues returns the optional output as a value or null", async () => {
  const session = await OnnxSession.create(optionalModel(), { device: "cpu" });
  try {
    const present = await session.runValues({ o: { data: Float32Array.from([1.5, -2]), shape: [2] } });
    assert.equal((present.has as HostOutput).data[0], 1);
    assert.deepEqual(Array.from((present.same as HostOutput).data), [1.5, -2]);
    const absent = await session.runValues({ o: null });
    assert.equal((absent.has as HostOutput).data[0], 0);
    assert.equal(absent.same, null);
    const omitted = await session.runValues({});
    assert.equal(omitted.same, null);
  } finally {
    session.dispose();
  }
});
