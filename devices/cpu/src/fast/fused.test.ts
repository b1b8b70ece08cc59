import assert from "node:assert/strict";
import { test } from "node:test";
import { contiguousStrides, parseFusedProgram, type Attrs, type DType } from "@polychip/hal";
import { EPILOGUE_PROGRAMS } from "../epilogue-examples.ts";
import { fusedChecksOnOneAndThreeThreads, input, program, transposed } from "../fused-test-helpers.ts";
import type { HostInput } from "../testing.ts";
import { fusedRunsInWasm, fusedWasmModule, fusedWork } from "./fused.ts";
import { rowsThroughCopies } from "./strided-move.ts";

const checks = fusedChecksOnOneAndThreeThreads();

const metas = (inputs: readonly HostInput[]) =>
  inputs.map((i) => ({ shape: i.shape, dtype: i.dtype ?? ("float32" as DType), strides: i.strides ?? contiguousStrides(i.shape) }));

/** The program runs in WASM for these inputs and equals the unfused ops bit for bit, on one thread and on three. */
function assertWasmSameBits(attrs: Attrs, inputs: HostInput[]): void {
  assert.ok(fusedRunsInWasm(attrs, metas(inputs)), `runs in WASM: ${inputs.map((i) => `[${i.shape.join(",")}]`).join(" ")}`);
  for (const { assertSameBits } of checks) assertSameBits(attrs, inputs);
}

// (x - mean) * invstd * gamma + beta, with the four statistics broadcast over [N, C, H, W].
const batchNorm = program(
  [
    { op: "sub", args: [0, 1] }, // 5
    { op: "mul", args: [5, 2] }, // 6
    { op: "mul", args: [6, 3] }, // 7
    { op: "add", args: [7, 4] }, // 8
  ],
  [8],
);
const channelStats = (seed: number, channels: number): HostInput[] => [1, 2, 3, 4].map((k) => input(seed + k, [1, channels, 1, 1]));

test("a batch-norm-like program with [1,C,1,1] inputs over [64,16,28,28] takes the WASM path", () => {
  const shapes = [[64, 16, 28, 28], ...Array.from({ length: 4 }, () => [1, 16, 1, 1])];
  assert.ok(
    fusedRunsInWasm(
      batchNorm,
      shapes.map((shape) => ({ shape, dtype: "float32" })),
    ),
  );
  assert.ok(
    fusedWasmModule(
      batchNorm,
      shapes.map((shape) => ({ shape, dtype: "float32" })),
    ),
  );
});

test("batch-norm-like over odd sizes equals the unfused ops, small and large enough to split across threads", () => {
  assertWasmSameBits(batchNorm, [input(1, [3, 5, 7, 9]), ...channelStats(1, 5)]);
  assertWasmSameBits(batchNorm, [input(2, [5, 7, 59, 61]), ...channelStats(2, 7)]);
});

test("a bias add and relu over rows equals the unfused ops, with the bias as [F] and as a column [N,1]", () => {
  const biasRelu = program(
    [
      { op: "add", args: [0, 1] },
      { op: "relu", args: [2] },
    ],
    [3, 2],
  );
  assertWasmSameBits(biasRelu, [input(3, [517, 203]), input(4, [203])]);
  assertWasmSameBits(biasRelu, [input(5, [517, 203]), input(6, [517, 1])]);
  assertWasmSameBits(biasRelu, [input(7, [3]), input(8, [1])]);
});

test("an Adam-like update with per-row scales and a scalar step size equals the unfused ops", () => {
  const c = (value: number) => ({ op: "const", args: [], value });
  // inputs: 0 param, 1 grad, 2 m, 3 v, 4 per-row scale [R,1], 5 learning rate []
  const adam = program(
    [
      c(0.9), // 6
      { op: "mul", args: [2, 6] }, // 7
      { op: "mul", args: [1, 4] }, // 8: scaled grad
      c(0.1), // 9
      { op: "mul", args: [8, 9] }, // 10
      { op: "add", args: [7, 10] }, // 11: m'
      c(0.999), // 12
      { op: "mul", args: [3, 12] }, // 13
      { op: "mul", args: [8, 8] }, // 14
      c(0.001), // 15
      { op: "mul", args: [14, 15] }, // 16
      { op: "add", args: [13, 16] }, // 17: v'
      { op: "sqrt", args: [17] }, // 18
      c(1e-8), // 19
      { op: "add", args: [18, 19] }, // 20
      { op: "div", args: [11, 20] }, // 21
      { op: "mul", args: [21, 5] }, // 22
      { op: "sub", args: [0, 22] }, // 23: param'
    ],
    [23, 11, 17],
  );
  const positive = (i: HostInput): HostInput => ({ ...i, values: Array.from(i.values, Math.abs) });
  for (const [rows, cols] of [
    [301, 223],
    [7, 5],
  ] as const) {
    const full = (seed: number) => input(seed, [rows, cols]);
    assertWasmSameBits(adam, [full(10), full(11), full(12), positive(full(13)), input(14, [rows, 1]), input(15, [])]);
  }
});

test("a mix of full, row-broadcast, column-broadcast, scalar and bool inputs runs in WASM", () => {
  // where(mask[C], x * col[N,1] + row[C], s) with a bool mask per channel and a scalar fallback.
  const mixed = program(
    [
      { op: "mul", args: [0, 1] }, // 5
      { op: "add", args: [5, 2] }, // 6
      { op: "where", args: [3, 6, 4] }, // 7
      { op: "greater", args: [7, 4] }, // 8: bool output
    ],
    [7, 8],
  );
  for (const [n, c] of [
    [401, 171],
    [9, 3],
  ] as const) {
    assertWasmSameBits(mixed, [input(20, [n, c]), input(21, [n, 1]), input(22, [c]), input(23, [c], "bool"), input(24, [])]);
  }
});

/** Which inputs a launch reads through contiguous copies; undefined when the WASM loop declines. */
const inputsToCopy = (shape: number[], inputs: ReturnType<typeof metas>) => rowsThroughCopies(shape, inputs)?.moves.flatMap((g, k) => (g ? [k] : []));

test("a transposed input of 4-byte values is copied contiguous for the WASM loop, with the same values", () => {
  const inputs = [transposed(30, [37, 41]), input(31, [41])];
  assert.equal(fusedRunsInWasm(batchNorm, metas([...inputs, input(32, [41]), input(33, [41]), input(34, [41])])), false, "not in place");
  assert.deepEqual(inputsToCopy([37, 41], metas(inputs)), [0]);
  const addMul = program(
    [
      { op: "add", args: [0, 1] },
      { op: "mul", args: [2, 2] },
    ],
    [3],
  );
  for (const { assertSameBits } of checks) assertSameBits(addMul, inputs);
  // A transposed activation (GELU after an attention transpose) and a transposed int32 index tensor.
  const gelu = program(EPILOGUE_PROGRAMS.gelu!.steps, EPILOGUE_PROGRAMS.gelu!.outputs);
  for (const { assertSameBits } of checks) assertSameBits(gelu, [transposed(35, [3, 192, 13])]);
  const indices = program([{ op: "add", args: [0, 1] }], [2]);
  const ints = [transposed(36, [13, 3], "int32"), input(37, [3], "int32")];
  assert.deepEqual(inputsToCopy([13, 3], metas(ints)), [0]);
  for (const { assertSameBits } of checks) assertSameBits(indices, ints);
});

test("a transposed input of 1-byte values leaves the program to the JavaScript kernel, with the same values", () => {
  const inputs = [transposed(38, [29, 31], "bool"), input(39, [29, 31]), input(40, [29, 31])];
  assert.equal(inputsToCopy([29, 31], metas(inputs)), undefined);
  for (const { assertSameBits } of checks) assertSameBits(program([{ op: "where", args: [0, 1, 2] }], [3]), inputs);
});

test("fusedWork weighs exact-math steps, so a short gated activation is shared out; its rows equal the unfused ops", () => {
  const gate = program(
    [
      { op: "tanh", args: [0] }, // 2
      { op: "sigmoid", args: [1] }, // 3
      { op: "mul", args: [2, 3] }, // 4
    ],
    [4],
  );
  const { steps } = parseFusedProgram(gate, 2);
  assert.equal(fusedWork(steps, 9408), 9408 * 33);
  assert.equal(fusedWork(parseFusedProgram(batchNorm, 5).steps, 9408), 9408);
  // [1, 192, 49]: above the threading threshold only by its weight; split in rows on three threads.
  for (const { assertSameBits } of checks) assertSameBits(gate, [input(41, [1, 192, 49]), input(42, [1, 192, 49])]);
});
