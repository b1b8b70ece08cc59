import assert from "node:assert/strict";
import { test } from "node:test";
import { importOnnx } from "./importer.ts";
import { runOnnx } from "../testing/run-model.ts";
import { buildModel, initializer } from "../testing/model-builder.ts";
import type { TensorProto } from "../proto/types.ts";

/** MatMulInteger (and QLinearMatMul) import onto the HAL's exact integerMatmul. */

const bytes = (name: string, values: number[], shape: number[], signed = false): TensorProto => ({
  ...initializer(
    name,
    values.map((v) => (signed ? v & 255 : v)),
    shape,
    "bool",
  ),
  dataType: signed ? 3 : 2,
});

/** Plain int32 oracle for row-major [rows, K] x [K, N] with per-tensor zero points. */
function oracle(a: ArrayLike<number>, b: ArrayLike<number>, rows: number, K: number, N: number, za: number, zb: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s = (s + Math.imul(a[i * K + k]! - za, b[k * N + j]! - zb)) | 0;
      out.push(s);
    }
  return out;
}

function matMulIntegerModel(a: { shape: number[]; type: "uint8" | "int8" }, b: TensorProto, zeroPoints: TensorProto[], inputs: string[]): Uint8Array {
  return buildModel({
    opset: 13,
    inputs: [{ name: "a", type: a.type, shape: a.shape }],
    outputs: [{ name: "y", type: "int32" }],
    nodes: [{ op: "MatMulInteger", inputs: ["a", ...inputs], outputs: ["y"] }],
    initializers: [b, ...zeroPoints],
  });
}

test("MatMulInteger is exact at K = 1152 with worst-case uint8 values (a float32 GEMM is not)", async () => {
  const [M, K, N] = [3, 1152, 8];
  const a = new Array(M * K).fill(0);
  const b = new Array(K * N).fill(255);
  const model = matMulIntegerModel({ shape: [M, K], type: "uint8" }, bytes("w", b, [K, N]), [bytes("za", [255], []), bytes("zb", [0], [])], ["w", "za", "zb"]);
  const { y } = await runOnnx(model, { a: { data: a, shape: [M, K], dtype: "uint8" } });
  assert.equal(y!.dtype, "int32");
  assert.deepEqual(Array.from(y!.data), new Array(M * N).fill(-255 * 255 * K));
});

test("MatMulInteger imports as one integerMatmul reading the quantised operands as they are", () => {
  const model = matMulIntegerModel({ shape: [2, 3], type: "uint8" }, bytes("w", [1, 2, 3, 4, 5, 6], [3, 2]), [bytes("za", [1], []), bytes("zb", [2], [])], ["w", "za", "zb"]);
  const graph = importOnnx(model);
  assert.deepEqual(
    graph.nodes.map((n) => n.op),
    ["integerMatmul"],
  );
});

test("MatMulInteger with a batched int8 A, per-row A and per-column B zero points equals the int32 oracle", async () => {
  const [T, M, K, N] = [2, 3, 300, 5];
  const a = Array.from({ length: T * M * K }, (_, i) => ((i * 37) % 256) - 128);
  const b = Array.from({ length: K * N }, (_, i) => ((i * 91) % 256) - 128);
  const za = [-3, 0, 127];
  const zb = [5, -128, 0, 1, 64];
  const model = matMulIntegerModel({ shape: [T, M, K], type: "int8" }, bytes("w", b, [K, N], true), [bytes("za", za, [M], true), bytes("zb", zb, [N], true)], ["w", "za", "zb"]);
  const { y } = await runOnnx(model, { a: { data: a, shape: [T, M, K], dtype: "int8" } });
  assert.deepEqual(y!.shape, [T, M, N]);
  const want: number[] = [];
  for (let t = 0; t < T; t++)
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s = (s + Math.imul(a[(t * M + i) * K + k]! - za[i]!, b[k * N + j]! - zb[j]!)) | 0;
        want.push(s);
      }
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
    assert.deepEqual(Array.from(y!.data), oracle(a, b, M, K, N, 0, zb));
  }
});

test("MatMulInteger refuses a zero point per batch entry, naming its shape", () => {
  const model = matMulIntegerModel({ shape: [2, 3, 4], type: "uint8" }, bytes("w", new Array(8).fill(1), [4, 2]), [bytes("za", [1, 2, 3, 4, 5, 6], [2, 3, 1])], ["w", "za"]);
  assert.throws(() => importOnnx(model), /zero point of shape \[2, 3, 1\] is not supported/);
});

test("QLinearMatMul at K = 1152 requantises the int32 sum of worst-case values", async () => {
  const [M, K, N] = [2, 1152, 8];
  const a = new Array(M * K).fill(0);
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
  const { y } = await runOnnx(model, { a: { data: a, shape: [M, K], dtype: "uint8" } });
  assert.deepEqual(Array.from(y!.data), new Array(M * N).fill(-127));
});
