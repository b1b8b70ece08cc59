import assert from "node:assert/strict";
import { test } from "node:test";
import type { DType } from "@polychip/hal";
import { OnnxSession } from "../session.ts";
import { runOnnx } from "../testing/run-model.ts";
import { buildModel, initializer } from "../testing/model-builder.ts";
import { expectLikeOnnxruntime, ort, type OrtFeed } from "../testing/onnxruntime.ts";

/**
 * What ONNX's node tests for Trilu, OneHot, the Lp ops, MVN, Det and the bitwise ops leave out:
 * run-time k, float indices, other orders and axes, ceil_mode, singular and batched matrices,
 * wrapping shifts and negative bit patterns, each against onnxruntime-node.
 */
const skip = ort ? false : "onnxruntime-node is not installed";

type Input = { name: string; type: DType | "int64"; data: ArrayLike<number>; shape: number[] };

const ARRAYS = { float32: Float32Array, int32: Int32Array, int8: Int8Array, uint8: Uint8Array, bool: Uint8Array, float16: Float32Array } as const;

/** Builds a one-node model, runs it in Polychip (cpu) and onnxruntime-node, and checks they agree. */
async function checkNode(
  node: { op: string; attrs?: Record<string, number | string | number[]> },
  opset: number,
  inputs: Input[],
  outputs: { name: string; type: DType | "int64" }[],
  initializers: ReturnType<typeof initializer>[] = [],
): Promise<void> {
  const model = buildModel({
    opset,
    inputs: inputs.map(({ name, type, shape }) => ({ name, type, shape })),
    outputs,
    nodes: [
      { op: node.op, inputs: [...inputs.map((i) => i.name), ...initializers.map((t) => t.name!)], outputs: outputs.map((o) => o.name), attrs: node.attrs },
    ],
    initializers,
  });
  const session = await OnnxSession.create(model, { device: "cpu" });
  const feeds = Object.fromEntries(
    inputs.map(({ name, type, data, shape }) => [
      name,
      { data: type === "int64" ? Int32Array.from(data) : ARRAYS[type].from(data), shape, dtype: type === "int64" ? "int32" : type },
    ]),
  );
  const got = await session.run(feeds);
  session.dispose();
  const ortFeeds = Object.fromEntries(
    inputs.map(({ name, type, data, shape }) => {
      const array = type === "int64" ? BigInt64Array.from(Array.from(data), BigInt) : ARRAYS[type].from(data);
      return [name, { data: array, shape, type } as unknown as OrtFeed];
    }),
  );
  await expectLikeOnnxruntime(model, ortFeeds, got, 1e-4);
}

const ramp = (n: number, scale = 0.5, offset = -3) => Array.from({ length: n }, (_, i) => ((i * 5) % 13) * scale + offset);

for (const upper of [0, 1])
  for (const k of [-1, 2])
    test(`Trilu (upper ${upper}) with k = ${k} read at run time matches onnxruntime`, { skip }, async () => {
      await checkNode(
        { op: "Trilu", attrs: { upper } },
        14,
        [
          { name: "x", type: "float32", data: ramp(24), shape: [2, 3, 4] },
          { name: "k", type: "int64", data: [k], shape: [] },
        ],
        [{ name: "y", type: "float32" }],
      );
    });

test("OneHot with float indices, a float depth and axis 0 matches onnxruntime", { skip }, async () => {
  await checkNode(
    { op: "OneHot", attrs: { axis: 0 } },
    11,
    [{ name: "idx", type: "float32", data: [0, 2, -1, 4, 7, -6], shape: [2, 3] }],
    [{ name: "y", type: "float32" }],
    [initializer("depth", [5], []), initializer("values", [-1, 3], [2])],
  );
});

test("Trilu imports with a symbolic batch dim and runs at the size given", { skip }, async () => {
  const model = buildModel({
    opset: 14,
    inputs: [{ name: "x", type: "float32", shape: ["batch", 3, 3] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "Trilu", inputs: ["x"], outputs: ["y"], attrs: { upper: 0 } }],
  });
  const x = Float32Array.from(ramp(18));
  const got = await runOnnx(model, { x: { data: x, shape: [2, 3, 3] } });
  await expectLikeOnnxruntime(model, { x: { data: x, shape: [2, 3, 3], type: "float32" } }, got, 0);
});

// ONNX casts non-integer indices to int64 (truncating); onnxruntime instead matches no position.
test("OneHot truncates non-integer indices toward zero, as ONNX's spec casts them to int64", async () => {
  const model = buildModel({
    opset: 11,
    inputs: [{ name: "idx", type: "float32", shape: [3] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "OneHot", inputs: ["idx", "depth", "values"], outputs: ["y"] }],
    initializers: [initializer("depth", [3], []), initializer("values", [0, 1], [2])],
  });
  const session = await OnnxSession.create(model, { device: "cpu" });
  const got = await session.run({ idx: { data: Float32Array.from([2.7, -0.5, -1.2]), shape: [3] } });
  assert.deepEqual(Array.from(got.y!.data), [0, 0, 1, 1, 0, 0, 0, 0, 1]);
  session.dispose();
});

test("GlobalLpPool with p = 3 matches onnxruntime", { skip }, async () => {
  await checkNode(
    { op: "GlobalLpPool", attrs: { p: 3 } },
    2,
    [{ name: "x", type: "float32", data: ramp(2 * 3 * 4 * 5), shape: [2, 3, 4, 5] }],
    [{ name: "y", type: "float32" }],
  );
});

test("LpPool with p = 3, strides 2 and ceil_mode matches onnxruntime", { skip }, async () => {
  await checkNode(
    { op: "LpPool", attrs: { p: 3, kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1, pads: [1, 0, 0, 1] } },
    18,
    [{ name: "x", type: "float32", data: ramp(2 * 6 * 7), shape: [1, 2, 6, 7] }],
    [{ name: "y", type: "float32" }],
  );
});

test("LpNormalization with p = 1 along axis 0 matches onnxruntime", { skip }, async () => {
  await checkNode(
    { op: "LpNormalization", attrs: { p: 1, axis: 0 } },
    1,
    [{ name: "x", type: "float32", data: ramp(12), shape: [3, 4] }],
    [{ name: "y", type: "float32" }],
  );
});

test("MeanVarianceNormalization over axes [1, 2] matches onnxruntime", { skip }, async () => {
  await checkNode(
    { op: "MeanVarianceNormalization", attrs: { axes: [1, 2] } },
    13,
    [{ name: "x", type: "float32", data: ramp(2 * 3 * 4), shape: [2, 3, 4] }],
    [{ name: "y", type: "float32" }],
  );
});

test("Det of a batch of 4×4 matrices, one of them singular, matches onnxruntime", { skip }, async () => {
  const singular = [1, 2, 3, 4, 2, 4, 6, 8, 0, 1, 0, 1, 5, 5, 5, 5];
  const others = Array.from({ length: 48 }, (_, i) => Math.sin(i * 1.7) * 2);
  await checkNode({ op: "Det" }, 11, [{ name: "x", type: "float32", data: [...singular, ...others], shape: [2, 2, 4, 4] }], [{ name: "y", type: "float32" }]);
});

for (const op of ["BitwiseAnd", "BitwiseOr", "BitwiseXor"])
  test(`${op} on int8 values with their sign bits set matches onnxruntime`, { skip }, async () => {
    await checkNode(
      { op },
      18,
      [
        { name: "a", type: "int8", data: [-128, -1, 127, -86, 85, 0], shape: [2, 3] },
        { name: "b", type: "int8", data: [-1, 15, -16], shape: [3] },
      ],
      [{ name: "y", type: "int8" }],
    );
  });

test("BitShift LEFT on uint8 wraps at 8 bits, as onnxruntime does", { skip }, async () => {
  await checkNode(
    { op: "BitShift", attrs: { direction: "LEFT" } },
    11,
    [
      { name: "x", type: "uint8", data: [200, 3, 255, 1], shape: [4] },
      { name: "y", type: "uint8", data: [1, 7, 4, 0], shape: [4] },
    ],
    [{ name: "z", type: "uint8" }],
  );
});

test("BitwiseNot on int32 flips every bit of negative and positive values", async () => {
  const model = buildModel({
    opset: 18,
    inputs: [{ name: "x", type: "int32", shape: [4] }],
    outputs: [{ name: "y", type: "int32" }],
    nodes: [{ op: "BitwiseNot", inputs: ["x"], outputs: ["y"] }],
  });
  const session = await OnnxSession.create(model, { device: "cpu" });
  const got = await session.run({ x: { data: Int32Array.from([0, -1, 2147483647, -2147483648]), shape: [4], dtype: "int32" } });
  assert.deepEqual(Array.from(got.y!.data), [-1, 0, -2147483648, 2147483647]);
  session.dispose();
});
