import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { OnnxSession } from "../session.ts";
import { buildModel, initializer, type GraphSpec } from "../testing/model-builder.ts";
import { expectLikeOnnxruntime, ort, type OrtFeed } from "../testing/onnxruntime.ts";
import type { RuntimeInput } from "@polychip/engine/runtime";

/**
 * The patterns ONNX's function expansions use (HannWindow, CenterCropPad, Range): a size that a
 * lowering needs at import (Range's limit, Pad's pads, ConstantOfShape's shape, Loop's trip count)
 * computed through other ops from a graph input's values. OnnxSession computes each per run and
 * keeps a plan per value: the same session runs two values and then the first again (no new
 * import), each against onnxruntime-node, on cpu and npu-sim.
 */
const skip = ort ? false : "onnxruntime-node is not installed";
const DEVICES = ["cpu", "npu-sim"] as const;
const int64Scalar = (name: string) => ({ name, type: "int64" as const, shape: [] as number[] });
const f32 = (name: string, shape: (number | string)[] = []) => ({ name, type: "float32" as const, shape });

type Case = { polychip: Record<string, RuntimeInput>; ort: Record<string, OrtFeed> };
const sizeFeed = (name: string, values: number[], shape: number[] = []): Case => ({
  polychip: { [name]: { data: values, shape, dtype: "int32" } },
  ort: { [name]: { data: BigInt64Array.from(values.map(BigInt)), shape, type: "int64" } },
});

/** Runs each case, then the first again, and checks that repeating a value reuses its plan. */
async function runCases(model: Uint8Array, cases: Case[], device: string, check?: (got: Record<string, { shape: readonly number[] }>, k: number) => void) {
  const session = await OnnxSession.create(model, { device });
  try {
    for (const [k, c] of cases.entries()) {
      const got = await session.run(c.polychip);
      check?.(got, k);
      await expectLikeOnnxruntime(model, c.ort, got, 1e-5);
    }
    const imports = session.planStats.shapes.imports;
    await expectLikeOnnxruntime(model, cases[0]!.ort, await session.run(cases[0]!.polychip), 1e-5);
    assert.equal(session.planStats.shapes.imports, imports, "running the first value again imports nothing");
  } finally {
    session.dispose();
  }
}

// HannWindow's expansion: the window length is the size input cast to float; Range(0, N, 1).
const hann = buildModel({
  opset: 17,
  inputs: [int64Scalar("size")],
  outputs: [{ name: "y", type: "float32" }],
  nodes: [
    { op: "Cast", inputs: ["size"], outputs: ["n"], attrs: { to: 1 } },
    { op: "Range", inputs: ["zero", "n", "one"], outputs: ["k"] },
    { op: "Mul", inputs: ["k", "two_pi"], outputs: ["k2pi"] },
    { op: "Div", inputs: ["k2pi", "n"], outputs: ["angle"] },
    { op: "Cos", inputs: ["angle"], outputs: ["cos"] },
    { op: "Mul", inputs: ["cos", "half"], outputs: ["halfcos"] },
    { op: "Sub", inputs: ["half", "halfcos"], outputs: ["y"] },
  ],
  initializers: [initializer("zero", [0], []), initializer("one", [1], []), initializer("two_pi", [2 * Math.PI], []), initializer("half", [0.5], [])],
});

for (const device of DEVICES) {
  test(`a Range limit computed from an input's value (HannWindow's expansion) gets a plan per value on ${device}`, { skip }, async () => {
    await runCases(hann, [sizeFeed("size", [8]), sizeFeed("size", [5])], device, (got, k) => assert.deepEqual(got.y!.shape, [[8, 5][k]]));
  });
}

// CenterCropPad's expansion: pads and crop starts from the target shape input and Shape(x).
const centerPad = buildModel({
  opset: 18,
  inputs: [f32("x", [3, 4]), { name: "target", type: "int64", shape: [2] }],
  outputs: [{ name: "y", type: "float32" }],
  nodes: [
    { op: "Shape", inputs: ["x"], outputs: ["have"] },
    { op: "Sub", inputs: ["target", "have"], outputs: ["diff"] },
    { op: "Max", inputs: ["diff", "zeros"], outputs: ["grow"] },
    { op: "Div", inputs: ["grow", "twos"], outputs: ["before"] },
    { op: "Sub", inputs: ["grow", "before"], outputs: ["after"] },
    { op: "Concat", inputs: ["before", "after"], outputs: ["pads"], attrs: { axis: 0 } },
    { op: "Pad", inputs: ["x", "pads"], outputs: ["padded"] },
    { op: "Shape", inputs: ["padded"], outputs: ["now"] },
    { op: "Sub", inputs: ["now", "target"], outputs: ["excess"] },
    { op: "Div", inputs: ["excess", "twos"], outputs: ["starts"] },
    { op: "Add", inputs: ["starts", "target"], outputs: ["ends"] },
    { op: "Slice", inputs: ["padded", "starts", "ends"], outputs: ["y"] },
  ],
  initializers: [initializer("zeros", [0, 0], [2], "int64"), initializer("twos", [2, 2], [2], "int64")],
});
const x34 = Float32Array.from({ length: 12 }, (_, i) => i - 5.5);
const centerCase = (target: number[]): Case => {
  const t = sizeFeed("target", target, [2]);
  return { polychip: { ...t.polychip, x: { data: x34, shape: [3, 4] } }, ort: { ...t.ort, x: { data: x34, shape: [3, 4], type: "float32" } } };
};

for (const device of DEVICES) {
  test(`Pad's pads computed from a target-shape input (CenterCropPad's expansion) get a plan per value on ${device}`, { skip }, async () => {
    // Pad both dims, then pad one and crop the other (an odd difference: the extra row goes after).
    await runCases(centerPad, [centerCase([6, 7]), centerCase([2, 5])], device, (got, k) =>
      assert.deepEqual(
        got.y!.shape,
        [
          [6, 7],
          [2, 5],
        ][k],
      ),
    );
  });
}

// Range's expansion: a Loop of max(ceil((limit - start) / delta), 0) iterations, each emitting the running value.
const rangeBody: GraphSpec = {
  inputs: [int64Scalar("i"), { name: "cond", type: "bool", shape: [] }, f32("prev")],
  outputs: [{ name: "cond_out", type: "bool", shape: [] }, f32("next"), f32("emitted")],
  nodes: [
    { op: "Identity", inputs: ["cond"], outputs: ["cond_out"] },
    { op: "Add", inputs: ["prev", "delta"], outputs: ["next"] },
    { op: "Identity", inputs: ["prev"], outputs: ["emitted"] },
  ],
};
const rangeLoop = buildModel({
  opset: 13,
  inputs: [f32("start"), f32("limit"), f32("delta")],
  outputs: [f32("last"), { name: "y", type: "float32" }],
  nodes: [
    { op: "Sub", inputs: ["limit", "start"], outputs: ["span"] },
    { op: "Div", inputs: ["span", "delta"], outputs: ["steps"] },
    { op: "Ceil", inputs: ["steps"], outputs: ["ceiled"] },
    { op: "Relu", inputs: ["ceiled"], outputs: ["count"] },
    { op: "Cast", inputs: ["count"], outputs: ["n"], attrs: { to: 7 } },
    { op: "Loop", inputs: ["n", "", "start"], outputs: ["last", "y"], attrs: { body: { graph: rangeBody } } },
  ],
});
const rangeCase = (start: number, limit: number, delta: number): Case => ({
  polychip: { start: { data: [start], shape: [] }, limit: { data: [limit], shape: [] }, delta: { data: [delta], shape: [] } },
  ort: {
    start: { data: Float32Array.of(start), shape: [], type: "float32" },
    limit: { data: Float32Array.of(limit), shape: [], type: "float32" },
    delta: { data: Float32Array.of(delta), shape: [], type: "float32" },
  },
});

for (const device of DEVICES) {
  test(`a Loop trip count computed from input values (Range's expansion) gets a plan per value on ${device}`, { skip }, async () => {
    await runCases(rangeLoop, [rangeCase(1, 5, 0.75), rangeCase(10, 4, -2)], device, (got, k) => assert.deepEqual(got.y!.shape, [[6, 3][k]]));
  });
}

// AffineGrid's expansion: ConstantOfShape of a shape computed from the size input's values.
const filled = buildModel({
  opset: 20,
  inputs: [{ name: "size", type: "int64", shape: [3] }],
  outputs: [{ name: "y", type: "float32" }],
  nodes: [
    { op: "Slice", inputs: ["size", "one", "three"], outputs: ["hw"] },
    { op: "ConstantOfShape", inputs: ["hw"], outputs: ["ones"], attrs: { value: { tensor: initializer("v", [1], [1]) } } },
    { op: "CumSum", inputs: ["ones", "axis"], outputs: ["y"] },
  ],
  initializers: [initializer("one", [1], [1], "int64"), initializer("three", [3], [1], "int64"), initializer("axis", [1], [], "int64")],
});

for (const device of DEVICES) {
  test(`ConstantOfShape of a shape sliced from an input's values (AffineGrid's expansion) gets a plan per value on ${device}`, { skip }, async () => {
    await runCases(filled, [sizeFeed("size", [1, 2, 3], [3]), sizeFeed("size", [1, 4, 1], [3])], device, (got, k) =>
      assert.deepEqual(
        got.y!.shape,
        [
          [2, 3],
          [4, 1],
        ][k],
      ),
    );
  });
}
