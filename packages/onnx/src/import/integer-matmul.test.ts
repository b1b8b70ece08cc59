import assert from "node:assert/strict";
import { test } from "node:test";
import { importOnnx } from "./importer.ts";
import { runOnnx } from "../testing/run-model.ts";
import { buildModel, initializer } from "../testing/model-builder.ts";
import { batchedMatMulInteger, bytes, integerMatmulOracle, matMulIntegerModel, worstCaseMatMulInteger } from "../testing/integer-matmul-cases.ts";

/** MatMulInteger (and QLinearMatMul) import onto the HAL's exact integerMatmul (devices: integer-matmul-devices.test.ts). */

test("MatMulInteger is exact at K = 1152 with worst-case uint8 values (a float32 GEMM is not)", async () => {
  const { model, a, want } = worstCaseMatMulInteger(3, 8);
  const { y } = await runOnnx(model, { a: { data: a, shape: [3, 1152], dtype: "uint8" } });
  assert.equal(y!.dtype, "int32");
  assert.deepEqual(Array.from(y!.data), want);
});

test("MatMulInteger imports as one integerMatmul reading the quantised operands as they are", () => {
  const model = matMulIntegerModel(
    { shape: [2, 3], type: "uint8" },
    bytes("w", [1, 2, 3, 4, 5, 6], [3, 2]),
    [bytes("za", [1], []), bytes("zb", [2], [])],
    ["w", "za", "zb"],
  );
  assert.deepEqual(
    importOnnx(model).nodes.map((n) => n.op),
    ["integerMatmul"],
  );
});

test("MatMulInteger with a batched int8 A, per-row A and per-column B zero points equals the int32 oracle", async () => {
  const { model, a, shape, want } = batchedMatMulInteger();
  const { y } = await runOnnx(model, { a: { data: a, shape, dtype: "int8" } });
  assert.deepEqual(y!.shape, [2, 3, 5]);
  assert.deepEqual(Array.from(y!.data), want);
});

test("MatMulInteger without zero points, and with only B's, equals the int32 oracle", async () => {
  const [M, K, N] = [4, 9, 3];
  const a = Array.from({ length: M * K }, (_, i) => (i * 53) % 256);
  const b = Array.from({ length: K * N }, (_, i) => (i * 29) % 256);
  for (const [zeroPoints, inputs, zb] of [
    [[], ["w"], 0],
    [[bytes("zb", [200], [])], ["w", "", "zb"], 200],
  ] as const) {
    const model = matMulIntegerModel({ shape: [M, K], type: "uint8" }, bytes("w", b, [K, N]), [...zeroPoints], [...inputs]);
    const { y } = await runOnnx(model, { a: { data: a, shape: [M, K], dtype: "uint8" } });
    assert.deepEqual(Array.from(y!.data), integerMatmulOracle(a, b, [1, M, K, N], [0], [zb]));
  }
});

test("MatMulInteger refuses a zero point per batch entry, naming its shape", () => {
  const model = matMulIntegerModel(
    { shape: [2, 3, 4], type: "uint8" },
    bytes("w", new Array(8).fill(1), [4, 2]),
    [bytes("za", [1, 2, 3, 4, 5, 6], [2, 3, 1])],
    ["w", "za"],
  );
  assert.throws(() => importOnnx(model), /zero point of shape \[2, 3, 1\] is not supported/);
});

test("QLinearMatMul at K = 1152 requantises the int32 sum of worst-case values", async () => {
  const [M, K, N] = [2, 1152, 8];
  const model = buildModel({
    opset: 13,
    inputs: [{ name: "a", type: "uint8", shape: [M, K] }],
    outputs: [{ name: "y", type: "int8" }],
    nodes: [{ op: "QLinearMatMul", inputs: ["a", "as", "az", "w", "ws", "wz", "ys", "yz"], outputs: ["y"] }],
    initializers: [
      bytes("w", new Array(K * N).fill(255), [K, N]),
      bytes("az", [255], []),
      bytes("wz", [0], []),
      bytes("yz", [0], [], true),
      initializer("as", [1], []),
      initializer("ws", [1], []),
      // acc = −255·255·1152 = −74 908 800 = −127 · 589 824.
      initializer("ys", [589824], []),
    ],
  });
  const { y } = await runOnnx(model, { a: { data: new Array(M * K).fill(0), shape: [M, K], dtype: "uint8" } });
  assert.deepEqual(Array.from(y!.data), new Array(M * N).fill(-127));
});
