import assert from "node:assert/strict";
import { test } from "node:test";
import type { ImportOptions } from "./context.ts";
import { importOnnx } from "./importer.ts";
import { runOnnx } from "../testing/run-model.ts";
import { buildModel, initializer, type NodeSpec } from "../testing/model-builder.ts";
import { bytes } from "../testing/integer-matmul-cases.ts";
import { expectLikeOnnxruntime, ort } from "../testing/onnxruntime.ts";

/**
 * MatMul(x, DequantizeLinear(W)) imports onto matmulDequantized, reading W's bytes. The result
 * differs from onnxruntime's dequantise-then-GEMM only by float rounding: each output sums K = 40
 * terms |x·(w − z)·s| ≤ 1 · 255 · 0.01, so K·2^-24·Σ|term| < 3e-4 bounds any summation order.
 * onnxruntime runs at its "basic" level: its extended level rewrites this very pattern into an
 * 8-bit MatMulNBits that quantises x too (0.2% off the exact value here).
 */
const [M, K, N] = [3, 40, 13];
const ATOL = 3e-4;

const floats = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 12.9898 + seed) * 0.999));
const ints = (n: number, lo: number, hi: number, seed: number) =>
  Array.from({ length: n }, (_, i) => lo + ((i * 131 + seed * 71 + ((i * i) % 7)) % (hi - lo + 1)));

interface Weight {
  readonly signed: boolean;
  /** Per column: one scale and zero point per column of the [K, N] weight; else per tensor. */
  readonly perColumn: boolean;
  /** Stored [N, K] behind a Transpose, as Moonshine's tied logits weight is. */
  readonly transposed: boolean;
  /** DequantizeLinear's axis (1: the columns of [K, N]). */
  readonly axis?: number;
}

function model({ signed, perColumn, transposed, axis = 1 }: Weight): Uint8Array {
  const [lo, hi] = signed ? [-128, 127] : [0, 255];
  const count = perColumn ? (axis === 1 ? N : K) : 1;
  const shape = perColumn ? [count] : [];
  const nodes: NodeSpec[] = [
    ...(transposed ? [{ op: "Transpose", inputs: ["wt"], outputs: ["wq"] }] : []),
    { op: "DequantizeLinear", inputs: ["wq", "scale", "zp"], outputs: ["w"], attrs: { axis } },
    { op: "MatMul", inputs: ["x", "w"], outputs: ["y"] },
  ];
  return buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: [2, M, K] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes,
    initializers: [
      bytes(transposed ? "wt" : "wq", ints(K * N, lo, hi, 1), transposed ? [N, K] : [K, N], signed),
      initializer(
        "scale",
        floats(count, 2).map((v) => Math.fround(0.002 + Math.abs(v) * 0.008)),
        shape,
      ),
      bytes("zp", ints(count, lo, hi, 3), shape, signed),
    ],
  });
}

const x = floats(2 * M * K, 4);

async function expectOnnxruntime(weight: Weight, options: ImportOptions = {}): Promise<void> {
  const bytesOf = model(weight);
  const got = await runOnnx(bytesOf, { x: { data: x, shape: [2, M, K], dtype: "float32" } }, options);
  await expectLikeOnnxruntime(bytesOf, { x: { data: new Float32Array(x), shape: [2, M, K], type: "float32" } }, got, ATOL, { graphOptimizationLevel: "basic" });
}

const ops = (weight: Weight, options: ImportOptions = {}) => importOnnx(model(weight), options).nodes.map((n) => n.op);

test("MatMul of a dequantised uint8 weight imports as one matmulDequantized with no float copy of the weight", () => {
  const imported = ops({ signed: false, perColumn: false, transposed: false });
  assert.ok(imported.includes("matmulDequantized"), imported.join(", "));
  assert.deepEqual(
    imported.filter((op) => ["matmul", "cast", "sub", "mul"].includes(op)),
    [],
  );
});

test("a Transpose of the constant weight is taken off at import (the bytes are transposed), even when not folded", () => {
  // foldLimit 16 keeps the Transpose a run-time node, as Moonshine's 9.4 MB one is.
  const imported = ops({ signed: true, perColumn: true, transposed: true }, { foldLimit: 16 });
  assert.ok(imported.includes("matmulDequantized"), imported.join(", "));
  assert.deepEqual(
    imported.filter((op) => ["matmul", "permute", "cast"].includes(op)),
    [],
  );
});

test("a per-row (axis 0) dequantisation keeps the float path", () => {
  const imported = ops({ signed: false, perColumn: true, transposed: false, axis: 0 });
  assert.ok(imported.includes("matmul") && !imported.includes("matmulDequantized"), imported.join(", "));
});

for (const signed of [false, true]) {
  for (const perColumn of [false, true]) {
    for (const transposed of [false, true]) {
      const weight = { signed, perColumn, transposed };
      test(`matmulDequantized equals onnxruntime: ${signed ? "int8" : "uint8"}, per ${perColumn ? "column" : "tensor"}${transposed ? ", transposed weight" : ""}`, {
        skip: !ort && "onnxruntime-node is not installed",
      }, async () => {
        await expectOnnxruntime(weight, { foldLimit: 16 });
        await expectOnnxruntime(weight);
      });
    }
  }
}

test("the per-row dequantisation left on the float path equals onnxruntime", { skip: !ort && "onnxruntime-node is not installed" }, async () => {
  await expectOnnxruntime({ signed: true, perColumn: true, transposed: false, axis: 0 });
});
