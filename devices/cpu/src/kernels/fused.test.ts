import assert from "node:assert/strict";
import { after, test } from "node:test";
import { FUSIBLE_OPS, getOp, type Attrs, type DType } from "@polychip/hal";
import { CpuDevice } from "../device.ts";
import { runOp, type HostInput } from "../testing.ts";
import { fusedRunsInWasm, fusedWasmModule } from "../fast/fused.ts";
import { fusedKernelSource } from "./fused.ts";
import { data, fusedChecks, input, program, transposed } from "../fused-test-helpers.ts";

const device = new CpuDevice();
after(() => device.dispose());
const { unfused, assertSameBits } = fusedChecks(device);

test("a GELU (tanh form) with a broadcast bias equals the unfused ops bit for bit", () => {
  const c = (value: number) => ({ op: "const", args: [], value });
  const attrs = program(
    [
      { op: "add", args: [0, 1] }, // 2: x + b
      { op: "mul", args: [2, 2] }, // 3
      { op: "mul", args: [3, 2] }, // 4: x^3
      c(0.044715), // 5
      { op: "mul", args: [4, 5] }, // 6
      { op: "add", args: [2, 6] }, // 7
      c(0.7978845608028654), // 8
      { op: "mul", args: [7, 8] }, // 9
      { op: "tanh", args: [9] }, // 10
      c(1), // 11
      { op: "add", args: [10, 11] }, // 12
      { op: "mul", args: [2, 12] }, // 13
      c(0.5), // 14
      { op: "mul", args: [13, 14] }, // 15
    ],
    [15],
  );
  assertSameBits(attrs, [input(1, [9, 33]), input(2, [33])]);
});

test("strided inputs: a transposed matrix, a column and a scalar broadcast against it", () => {
  const attrs = program(
    [
      { op: "sub", args: [0, 1] },
      { op: "exp", args: [3] },
      { op: "div", args: [4, 2] },
      { op: "erf", args: [5] },
      { op: "round", args: [5] },
    ],
    [6, 7, 4],
  );
  assertSameBits(attrs, [transposed(3, [7, 5, 6]), input(4, [7, 1, 1]), input(5, [])]);
  assertSameBits(attrs, [transposed(6, [40, 3]), input(7, [1, 3]), input(8, [1])]);
});

test("int32 arithmetic wraps, truncates and divides by zero as the eager kernels do", () => {
  const attrs = program(
    [
      { op: "mul", args: [0, 1] },
      { op: "add", args: [2, 0] },
      { op: "div", args: [3, 1] },
      { op: "mod", args: [0, 1] },
      { op: "fmod", args: [3, 1] },
      { op: "pow", args: [1, 5] },
      { op: "const", args: [], value: -7, to: "int32" },
      { op: "maximum", args: [7, 8] },
      { op: "neg", args: [9] },
      { op: "abs", args: [10] },
    ],
    [4, 6, 9, 11],
  );
  const a = input(9, [6, 11], "int32", 2000000);
  const b: HostInput = { values: [0, 3, -2, 1, 7, -1, 0, 5, -9, 2, 100000], shape: [11], dtype: "int32" };
  assertSameBits(attrs, [a, b]);
});

test("bool results: compares, logical ops, isNaN and casts to bool, through a where", () => {
  const attrs = program(
    [
      { op: "less", args: [0, 1] }, // 3
      { op: "isNaN", args: [0] }, // 4
      { op: "logicalOr", args: [3, 4] }, // 5
      { op: "logicalXor", args: [5, 2] }, // 6
      { op: "logicalNot", args: [6] }, // 7
      { op: "cast", args: [1], to: "bool" }, // 8
      { op: "equal", args: [7, 8] }, // 9
      { op: "where", args: [9, 0, 1] }, // 10
    ],
    [5, 6, 7, 9, 10],
  );
  assertSameBits(attrs, [input(10, [5, 8]), input(11, [5, 1]), input(12, [8], "bool")]);
});

test("an Adam-like update writes three outputs from four inputs and scalars in one launch", () => {
  const c = (value: number) => ({ op: "const", args: [], value });
  // inputs: 0 param, 1 grad, 2 m, 3 v
  const attrs = program(
    [
      c(0.9), // 4
      { op: "mul", args: [2, 4] }, // 5
      c(0.1), // 6
      { op: "mul", args: [1, 6] }, // 7
      { op: "add", args: [5, 7] }, // 8: m'
      c(0.999), // 9
      { op: "mul", args: [3, 9] }, // 10
      { op: "mul", args: [1, 1] }, // 11
      c(0.001), // 12
      { op: "mul", args: [11, 12] }, // 13
      { op: "add", args: [10, 13] }, // 14: v'
      { op: "sqrt", args: [14] }, // 15
      c(1e-8), // 16
      { op: "add", args: [15, 16] }, // 17
      { op: "div", args: [8, 17] }, // 18
      c(0.01), // 19
      { op: "mul", args: [18, 19] }, // 20
      { op: "sub", args: [0, 20] }, // 21: param'
    ],
    [21, 8, 14],
  );
  const v = input(16, [64, 17]);
  const outs = assertSameBits(attrs, [input(13, [64, 17]), input(14, [64, 17]), input(15, [64, 17]), { ...v, values: Array.from(v.values, Math.abs) }]);
  assert.equal(outs.length, 3);
});

test("float16, int8 and uint8: every step is rounded to its dtype as a store would", () => {
  const half = program(
    [
      { op: "mul", args: [0, 1] },
      { op: "sigmoid", args: [2] },
      { op: "cast", args: [3], to: "float32" },
      { op: "cast", args: [2], to: "int8" },
      { op: "cast", args: [2], to: "uint8" },
    ],
    [3, 4, 5, 6],
  );
  assertSameBits(half, [input(17, [6, 7], "float16"), input(18, [7], "float16", 200)]);
  const bytes = program(
    [
      { op: "add", args: [0, 0] },
      { op: "mul", args: [1, 0] },
      { op: "cast", args: [2], to: "float32" },
    ],
    [1, 2, 3],
  );
  assertSameBits(bytes, [input(19, [50], "int8")]);
  assertSameBits(bytes, [input(20, [50], "uint8")]);
});

test("float32 programs of single IEEE operations run in WASM and still equal the unfused ops (odd length, edge values)", () => {
  const attrs = program(
    [
      { op: "sub", args: [0, 1] }, // 3
      { op: "maximum", args: [3, 2] }, // 4
      { op: "minimum", args: [4, 0] }, // 5
      { op: "reciprocal", args: [5] }, // 6
      { op: "relu", args: [6] }, // 7
      { op: "const", args: [], value: 0.3 }, // 8
      { op: "div", args: [7, 8] }, // 9
      { op: "round", args: [9] }, // 10
      { op: "floor", args: [3] }, // 11
      { op: "ceil", args: [11] }, // 12
      { op: "abs", args: [12] }, // 13
      { op: "neg", args: [13] }, // 14
      { op: "sqrt", args: [13] }, // 15
    ],
    [10, 14, 15, 1],
  );
  const inputs = [input(30, [1027]), input(31, [1027]), input(32, [])];
  assert.ok(
    fusedRunsInWasm(
      attrs,
      inputs.map((i) => ({ shape: i.shape, dtype: "float32" })),
    ),
  );
  assertSameBits(attrs, inputs);
  assertSameBits(attrs, [input(33, [3]), input(34, [3]), input(35, [1])]);
});

test("compares, logical ops, where and bool casts run in WASM too, bool inputs and outputs included", () => {
  const attrs = program(
    [
      { op: "less", args: [0, 1] }, // 4
      { op: "isNaN", args: [0] }, // 5
      { op: "logicalOr", args: [4, 5] }, // 6
      { op: "logicalXor", args: [6, 2] }, // 7
      { op: "logicalNot", args: [7] }, // 8
      { op: "notEqual", args: [8, 3] }, // 9
      { op: "where", args: [9, 0, 1] }, // 10
      { op: "cast", args: [10], to: "bool" }, // 11
      { op: "cast", args: [9], to: "float32" }, // 12
      { op: "equal", args: [0, 1] }, // 13
      { op: "const", args: [], value: 1, to: "bool" }, // 14
      { op: "logicalAnd", args: [13, 14] }, // 15
      { op: "where", args: [7, 15, 11] }, // 16
    ],
    [10, 12, 16, 8, 2],
  );
  const edges = [NaN, 0, -0, 1, -1, Infinity, -Infinity, 2.5].map(Math.fround);
  const x = { values: Array.from({ length: 1031 }, (_, i) => (i % 5 === 0 ? edges[i % 8]! : data(40, 1031)[i]!)), shape: [1031], dtype: "float32" as DType };
  const y = { values: Array.from({ length: 1031 }, (_, i) => (i % 7 === 0 ? x.values[i]! : data(41, 1031)[i]!)), shape: [1031], dtype: "float32" as DType };
  const inputs = [x, y, input(42, [1031], "bool"), input(43, [], "bool")];
  assert.ok(
    fusedRunsInWasm(
      attrs,
      inputs.map((i) => ({ shape: i.shape, dtype: i.dtype ?? "float32" })),
    ),
  );
  assertSameBits(attrs, inputs);
  assertSameBits(attrs, [input(44, [6]), input(45, [1]), input(46, [6], "bool"), input(47, [6], "bool")]);
});

test("programs with other dtypes or ops outside single IEEE or integer operations stay in JavaScript", () => {
  const f = [{ shape: [4], dtype: "float32" as DType }];
  const i = [{ shape: [4], dtype: "int32" as DType }];
  assert.equal(fusedRunsInWasm(program([{ op: "sin", args: [0] }], [1]), f), false);
  assert.equal(fusedRunsInWasm(program([{ op: "exp", args: [0] }], [1]), f), true);
  assert.equal(fusedRunsInWasm(program([{ op: "erf", args: [0] }], [1]), f), true);
  assert.equal(fusedRunsInWasm(program([{ op: "div", args: [0, 0] }], [1]), i), false);
  assert.equal(
    fusedRunsInWasm(program([{ op: "exp", args: [0] }], [1]), [{ shape: [4], dtype: "float16" }]),
    false,
    "exp rounded to float32 then to half could differ from one rounding to half",
  );
  assert.equal(fusedRunsInWasm(program([{ op: "mod", args: [0, 0] }], [1]), i), false);
  assert.equal(fusedRunsInWasm(program([{ op: "add", args: [0, 0] }], [1]), [{ shape: [4], dtype: "float16" }]), true);
  assert.equal(fusedRunsInWasm(program([{ op: "cast", args: [0], to: "int32" }], [1]), f), true);
  assert.equal(fusedRunsInWasm(program([{ op: "add", args: [0, 0] }], [1]), i), true);
  assert.equal(fusedRunsInWasm(program([{ op: "add", args: [0, 0] }], [1]), f), true);
  assert.equal(fusedWasmModule(program([{ op: "sin", args: [0] }], [1]), f), undefined);
  const bytes = fusedWasmModule(program([{ op: "add", args: [0, 0] }], [1]), f)!;
  assert.ok(WebAssembly.validate(bytes), "the module a report shows is valid WebAssembly");
});

test("every fusible op alone equals its eager kernel on edge values, for each dtype class it takes", () => {
  const floats = [NaN, Infinity, -Infinity, 0, -0, 0.5, -0.5, 1.5, 2.5, -2.5, 3, -1, 1e-30, 88.5, -100, 1e30].map(Math.fround);
  const ints = [0, 1, -1, 2, -3, 7, 2147483647, -2147483648, 65536, -65537, 3, 0, 5, -5, 100, 31];
  const n = floats.length;
  const operands: Record<string, number[][]> = {
    float32: [floats, [...floats].reverse()],
    int32: [ints, [...ints].reverse()],
    bool: [ints.map((v) => (v > 0 ? 1 : 0)), ints.map((v) => (v % 2 !== 0 ? 1 : 0))],
  };
  let checked = 0;
  for (const op of FUSIBLE_OPS) {
    if (op === "const") continue;
    const def = getOp(op);
    for (const dtype of ["float32", "int32", "bool"] as DType[]) {
      const arity = def.inputs[0];
      const ins: HostInput[] = Array.from({ length: arity }, (_, k) => ({ values: operands[dtype]![k % 2]!, shape: [n], dtype }));
      if (op === "where") ins[0] = { values: operands.bool![0]!, shape: [n], dtype: "bool" };
      const attrs: Attrs = op === "cast" ? { to: dtype === "float32" ? "int8" : "float32" } : {};
      try {
        def.infer(
          ins.map((i) => ({ shape: i.shape, dtype: i.dtype! })),
          attrs,
        );
      } catch {
        continue; // the HAL refuses this dtype for this op
      }
      const steps = [{ op, args: ins.map((_, k) => k), ...(op === "cast" ? { to: attrs.to } : {}) }];
      assertSameBits(program(steps, [ins.length]), ins);
      checked++;
    }
  }
  assert.ok(checked >= 40, `checked ${checked} (op, dtype) pairs`);
});

test("a program without inputs writes its scalar, in float32 (WASM) and int32 (JavaScript)", () => {
  const f = program(
    [
      { op: "const", args: [], value: 0.1 },
      { op: "const", args: [], value: 3 },
      { op: "mul", args: [0, 1] },
    ],
    [2, 0],
  );
  assert.deepEqual(
    runOp("fused", [], f, { device }).map((o) => [o.shape, Array.from(o.values)]),
    [
      [[], [Math.fround(Math.fround(0.1) * 3)]],
      [[], [Math.fround(0.1)]],
    ],
  );
  const i = program(
    [
      { op: "const", args: [], value: -7, to: "int32" },
      { op: "neg", args: [0] },
    ],
    [1],
  );
  assert.deepEqual(Array.from(runOp("fused", [], i, { device })[0]!.values), [7]);
});

test("a strided output view (which the HAL does not normally hand a kernel) is written through its strides", () => {
  const attrs = program([{ op: "neg", args: [0] }], [1]);
  const x = { values: [1, 2, 3, 4, 5, 6], shape: [2, 3], dtype: "int32" as DType };
  const into = { values: [0, 0, 0, 0, 0, 0], shape: [2, 3], strides: [1, 2], dtype: "int32" as DType };
  assert.deepEqual(Array.from(runOp("fused", [x], attrs, { device, into })[0]!.values), [-1, -4, -2, -5, -3, -6]);
});

test("a million elements, strided and broadcast, run in one pass (linear, not quadratic)", () => {
  const attrs = program(
    [
      { op: "mul", args: [0, 1] },
      { op: "add", args: [2, 1] },
      { op: "relu", args: [3] },
    ],
    [4],
  );
  const x = transposed(21, [1024, 1024]);
  const b = input(22, [1024]);
  const start = performance.now();
  const [out] = runOp("fused", [x, b], attrs, { device });
  const ms = performance.now() - start;
  assert.equal(out!.values.length, 1 << 20);
  assert.ok(ms < 5000, `took ${ms.toFixed(0)} ms`);
  // spot-check a few elements against the formula, in float32 steps
  const f = Math.fround;
  for (const i of [0, 1, 1023, 1024, 777777, (1 << 20) - 1]) {
    const [r, cidx] = [Math.floor(i / 1024), i % 1024];
    const xv = x.values[cidx * 1024 + r]!;
    const bv = b.values[cidx]!;
    const y = f(f(xv * bv) + bv);
    assert.ok(Object.is(out!.values[i], y > 0 || y !== y ? y : 0), `element ${i}`);
  }
});

test("fusedKernelSource shows the generated loop: float32 steps rounded, scalars read once", () => {
  const attrs = program(
    [
      { op: "add", args: [0, 1] },
      { op: "exp", args: [2] },
    ],
    [3],
  );
  const flat = fusedKernelSource(attrs, [
    { shape: [4, 3], dtype: "float32" },
    { shape: [], dtype: "float32" },
  ]);
  assert.match(flat, /const v1 = x1\[IO\[1\]\];/);
  assert.match(flat, /for \(let i = 0; i < n; i\+\+\) \{/);
  assert.match(flat, /const v3 = Math\.fround\(Math\.exp\(v2\)\);/);
  const strided = fusedKernelSource(
    attrs,
    [
      { shape: [4, 3], dtype: "float32" },
      { shape: [3], dtype: "float32" },
    ],
    "strided",
  );
  assert.match(strided, /a1 \+= t1/);
  assert.throws(
    () =>
      fusedKernelSource(attrs, [
        { shape: [4, 3], dtype: "int32" },
        { shape: [], dtype: "int32" },
      ]),
    { name: "DTypeError", message: /fused: step 1 \(exp\)/ },
  );
});
