import assert from "node:assert/strict";
import { test } from "node:test";
import { fusedValueTypes, parseFusedProgram, type Attrs, type DType } from "@polychip/hal";
import { fusedChecksOnOneAndThreeThreads, input, program, transposed } from "../fused-test-helpers.ts";
import type { HostInput } from "../testing.ts";
import { planStages } from "./fused-stages.ts";

const checks = fusedChecksOnOneAndThreeThreads();

/** Equal to the unfused ops bit for bit, on one thread and on three (every size here is above the staging threshold). */
function assertSameBitsEverywhere(attrs: Attrs, inputs: HostInput[]): void {
  for (const { assertSameBits } of checks) assertSameBits(attrs, inputs);
}

const f32 = (shape: number[], dtype: DType = "float32") => ({ shape, dtype });

/** The program's stages over inputs given as float32 shapes or as host inputs (their dtypes). */
function stagesOf(attrs: Attrs, inputs: (number[] | HostInput)[], flat: boolean[]) {
  const { steps, outputs } = parseFusedProgram(attrs, inputs.length);
  return planStages(
    steps,
    outputs,
    fusedValueTypes(
      steps,
      inputs.map((i) => (Array.isArray(i) ? f32(i) : f32([...i.shape], i.dtype))),
    ),
    flat,
  );
}

/** A batch-norm-like program, (x − mean) · scale, ending in `op`. */
const bnEndingIn = (op: string) =>
  program(
    [
      { op: "sub", args: [0, 1] }, // 3
      { op: "mul", args: [3, 2] }, // 4
      { op, args: [4] }, // 5
    ],
    [5],
  );

const bnSin = bnEndingIn("sin");

test("a batch-norm-like program ending in sin splits into a WASM stage and a JavaScript stage", () => {
  const stages = stagesOf(
    bnSin,
    [
      [8, 4, 5, 5],
      [1, 4, 1, 1],
      [1, 4, 1, 1],
    ],
    [true, false, false],
  )!;
  assert.deepEqual(
    stages.map((s) => ({ wasm: s.wasm, inputs: s.inputs, ops: s.steps.map((st) => st.op), outputs: s.outputs, writes: s.writes })),
    [
      { wasm: true, inputs: [0, 1, 2], ops: ["sub", "mul"], outputs: [4], writes: [4] },
      { wasm: false, inputs: [4], ops: ["sin"], outputs: [1], writes: [5] },
    ],
  );
});

test("staging does not apply to programs that run whole in WASM, have no WASM step, or output a constant", () => {
  const add = program([{ op: "add", args: [0, 0] }], [1]);
  assert.equal(stagesOf(add, [[4]], [true]), undefined);
  const sine = program([{ op: "sin", args: [0] }], [1]);
  assert.equal(stagesOf(sine, [[4]], [true]), undefined);
  const constOut = program(
    [
      { op: "sin", args: [0] },
      { op: "add", args: [1, 1] },
      { op: "const", args: [], value: 3 },
    ],
    [2, 3],
  );
  assert.equal(stagesOf(constOut, [[4]], [true]), undefined, "an output that is a constant");
});

test("a MatMulInteger product's GELU (int32 cast, rescale and erf) runs whole in WASM, equal to the unfused ops", () => {
  const c = (value: number) => ({ op: "const", args: [], value });
  const attrs = program(
    [
      c(Math.SQRT2), // 3
      c(1), // 4
      c(0.5), // 5
      { op: "cast", args: [0], to: "float32" }, // 6
      { op: "mul", args: [6, 1] }, // 7
      { op: "add", args: [2, 7] }, // 8
      { op: "div", args: [8, 3] }, // 9
      { op: "erf", args: [9] }, // 10
      { op: "add", args: [10, 4] }, // 11
      { op: "mul", args: [8, 11] }, // 12
      { op: "mul", args: [12, 5] }, // 13
    ],
    [13],
  );
  const inputs = [input(1, [41, 1152], "int32"), input(2, [], "float32", 1e-4), input(3, [1152])];
  assert.equal(stagesOf(attrs, inputs, [true, true, true]), undefined, "erf runs in the WASM loop (wasm/math-exact-erf.ts), so nothing is staged");
  assertSameBitsEverywhere(attrs, inputs);
});

/** In float16 the sigmoid stays in JavaScript (one rounding to half). */
const bnSigmoid = bnEndingIn("sigmoid");

test("a float16 program with a sigmoid runs in stages equal to the unfused ops", () => {
  const inputs = [input(4, [64, 301], "float16"), input(5, [301], "float16"), input(6, [301], "float16")];
  assert.ok(stagesOf(bnSigmoid, inputs, [true, true, true]));
  assertSameBitsEverywhere(bnSigmoid, inputs);
});

test("constants are repeated in each stage that reads them instead of being stored", () => {
  const attrs = program(
    [
      { op: "const", args: [], value: 2 }, // 1
      { op: "mul", args: [0, 1] }, // 2
      { op: "sin", args: [2] }, // 3
      { op: "mul", args: [3, 1] }, // 4
    ],
    [4],
  );
  const stages = stagesOf(attrs, [[16]], [true])!;
  assert.deepEqual(
    stages.map((s) => s.steps.map((st) => st.op)),
    [["const", "mul"], ["sin"], ["const", "mul"]],
  );
  assert.deepEqual(
    stages.map((s) => s.writes),
    [[2], [3], [4]],
  );
});

test("steps no output reads are dropped, so no stage is left without outputs", () => {
  const attrs = program(
    [
      { op: "sub", args: [0, 1] }, // 2
      { op: "erf", args: [0] }, // 3: read by nothing
      { op: "sin", args: [2] }, // 4
    ],
    [4],
  );
  const stages = stagesOf(attrs, [[64], [64]], [true, true])!;
  assert.deepEqual(
    stages.map((s) => s.steps.map((st) => st.op)),
    [["sub"], ["sin"]],
  );
  assertSameBitsEverywhere(attrs, [input(12, [20011]), input(13, [20011])]);
});

test("batch norm then sin, in stages, equals the unfused ops", () => {
  assertSameBitsEverywhere(bnSin, [input(1, [4, 7, 31, 29]), input(2, [1, 7, 1, 1]), input(3, [1, 7, 1, 1])]);
});

test("a GELU-like program (sin for erf) with a broadcast bias runs WASM, JavaScript, WASM stages and returns an intermediate too", () => {
  const c = (value: number) => ({ op: "const", args: [], value });
  const gelu = program(
    [
      { op: "add", args: [0, 1] }, // 2: h = x + b
      c(Math.SQRT1_2), // 3
      { op: "mul", args: [2, 3] }, // 4
      { op: "sin", args: [4] }, // 5
      c(1), // 6
      { op: "add", args: [5, 6] }, // 7
      c(0.5), // 8
      { op: "mul", args: [7, 8] }, // 9
      { op: "mul", args: [2, 9] }, // 10
    ],
    [10, 2, 10],
  );
  assert.equal(stagesOf(gelu, [[129, 211], [211]], [true, false])!.length, 3);
  assertSameBitsEverywhere(gelu, [input(4, [129, 211]), input(5, [211])]);
});

test("a broadcast input read by a JavaScript step is copied by a WASM stage first", () => {
  // sin(row) * x: the row [C] broadcast over [N, C] is not contiguous with the output.
  const attrs = program(
    [
      { op: "sin", args: [1] }, // 2
      { op: "mul", args: [2, 0] }, // 3
    ],
    [3],
  );
  const stages = stagesOf(attrs, [[97, 211], [211]], [true, false])!;
  assert.deepEqual(
    stages.map((s) => ({ wasm: s.wasm, ops: s.steps.map((st) => st.op), writes: s.writes })),
    [
      { wasm: true, ops: [], writes: [-2] },
      { wasm: false, ops: ["sin"], writes: [2] },
      { wasm: true, ops: ["mul"], writes: [3] },
    ],
  );
  assertSameBitsEverywhere(attrs, [input(6, [97, 211]), input(7, [211])]);
  // A transposed operand cannot be copied in rows: that stage runs in JavaScript, with the same values.
  assertSameBitsEverywhere(attrs, [input(8, [173, 131]), transposed(9, [173, 131])]);
});

test("a large program that outputs a constant runs unstaged, with the same values", () => {
  const attrs = program(
    [
      { op: "sin", args: [0] },
      { op: "add", args: [1, 1] },
      { op: "const", args: [], value: 3 },
    ],
    [2, 3],
  );
  assertSameBitsEverywhere(attrs, [input(11, [20011])]);
});

test("bool values cross stages: a mask made in WASM selects between sin(x) and x", () => {
  const attrs = program(
    [
      { op: "const", args: [], value: 0 }, // 1
      { op: "greater", args: [0, 1] }, // 2: mask
      { op: "sin", args: [0] }, // 3
      { op: "where", args: [2, 0, 3] }, // 4
    ],
    [4, 2],
  );
  assertSameBitsEverywhere(attrs, [input(10, [70001])]);
});
