import assert from "node:assert/strict";
import { test } from "node:test";
import type { Attrs, ProfileEvent } from "@polychip/hal";
import { assertClose, gpuDevice, ints, runGpu, t, values, type HostInput, type HostOutput } from "../testing/harness.ts";
import { fusedOnCpu, unfusedOnGpu } from "../testing/fused-reference.ts";
import { ADAM, adamInputs, c, program, s } from "../testing/fused-programs.ts";

/** float32 within 1e-6 relative (1e-7 absolute near zero) of the CPU; integers and bools exactly. */
function assertMatches(actual: HostOutput[], expected: HostOutput[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: outputs`);
  actual.forEach((a, m) => {
    const e = expected[m]!;
    assert.deepEqual(a.shape, e.shape, `${what}: output ${m} shape`);
    assert.equal(a.dtype, e.dtype, `${what}: output ${m} dtype`);
    if (a.dtype === "float32" || a.dtype === "float16") assertClose(a.values, e.values, { rtol: 1e-6, atol: 1e-7 }, `${what}: output ${m}`);
    else assert.deepEqual(Array.from(a.values), Array.from(e.values), `${what}: output ${m}`);
  });
}

/** The fused kernel against the HAL decomposition on the CPU, and bit for bit against the unfused WebGPU kernels. */
async function check(what: string, inputs: HostInput[], attrs: Attrs): Promise<HostOutput[]> {
  const actual = await runGpu("fused", inputs, attrs);
  assertMatches(actual, fusedOnCpu(inputs, attrs), `${what} vs cpu`);
  const unfused = await unfusedOnGpu(inputs, attrs);
  actual.forEach((a, m) => assert.deepEqual(Array.from(a.values), Array.from(unfused[m]!.values), `${what}: output ${m} vs unfused webgpu`));
  return actual;
}

test("broadcast inputs of three shapes through unary and binary steps", async () => {
  const attrs = program([s("mul", 0, 1), s("add", 3, 2), s("tanh", 4), s("exp", 1), s("sub", 5, 6)], [7]);
  await check("broadcast", [t(values(30, -2, 2, 1), [2, 3, 5]), t(values(5, -1, 1, 2), [5]), t(values(3, -1, 1, 3), [3, 1])], attrs);
});

test("a permuted, offset view and a broadcast (stride 0) view are read in place", async () => {
  const xs = values(40, -3, 3, 4);
  const transposed = t(xs, [4, 6], "float32", { strides: [1, 4], offset: 3 });
  const rows = t(values(6, 0.5, 2, 5), [4, 6], "float32", { strides: [0, 1], offset: 0 });
  const attrs = program([s("div", 0, 1), s("abs", 2), s("sqrt", 3), s("maximum", 4, 0)], [5]);
  await check("permuted", [transposed, rows], attrs);
});

test("int32 programs wrap and follow the integer division rules", async () => {
  const a = t([2147483647, -7, 7, 0, 5, -2147483648, 9], [7], "int32");
  const b = t([1, 2, -2, 0, 0, -1, 3], [7], "int32");
  const attrs = program([s("add", 0, 1), s("div", 0, 1), s("mod", 0, 1), s("fmod", 2, 1), s("mul", 3, 4), s("maximum", 6, 5), s("sign", 7)], [7, 8, 2]);
  await check("int32", [a, b], attrs);
});

test("int8 and float16 steps round as the unfused ops store them", async () => {
  const i8 = t([100, -100, 127, 5, -128], [5], "int8");
  // Division is what tells a wrapped intermediate from an unwrapped one (200 / 3 against -56 / 3).
  await check("int8", [i8], program([s("add", 0, 0), c(3, "int8"), s("div", 1, 2), s("neg", 3)], [1, 4]));
  await check("uint8", [t([200, 100, 255, 0], [4], "uint8")], program([s("add", 0, 0), c(3, "uint8"), s("div", 1, 2)], [3]));
  const h = t(values(9, -4, 4, 6), [9], "float16");
  await check("float16", [h], program([s("exp", 0), c(1 / 3, "float16"), s("mul", 1, 2), s("add", 3, 0)], [4]));
});

test("compare and logical steps give a bool output of odd length, packed four to a word", async () => {
  const x = t([...values(19, -2, 2, 7), NaN, 0], [3, 7]);
  const y = t(values(7, -1, 1, 8), [7]);
  const attrs = program([s("greater", 0, 1), s("isNaN", 0), s("logicalOr", 2, 3), s("equal", 0, 1), s("logicalXor", 4, 5), s("logicalNot", 6)], [7, 4]);
  await check("bool", [x, y], attrs);
});

test("where selects per element from broadcast branches (a leaky relu)", async () => {
  const x = t([...values(14, -3, 3, 9), -Infinity, Infinity], [4, 4]);
  const attrs = program([c(0), s("greater", 0, 1), c(0.01), s("mul", 0, 3), s("where", 2, 0, 4)], [5]);
  await check("where", [x], attrs);
});

test("casts between every kind of dtype inside one program", async () => {
  const x = t([1.7, -1.7, 300.5, -300.5, 0, NaN, 3e9, -0.2], [8]);
  const attrs = program(
    [
      { op: "cast", args: [0], to: "int32" },
      { op: "cast", args: [0], to: "int8" },
      { op: "cast", args: [0], to: "uint8" },
      { op: "cast", args: [0], to: "bool" },
      { op: "cast", args: [1], to: "float32" },
      s("add", 5, 0),
      { op: "cast", args: [4], to: "float16" },
    ],
    [1, 2, 3, 4, 6, 7],
  );
  await check("cast", [x], attrs);
});

test("one program writes outputs of four dtypes at once, an input among them", async () => {
  const x = t(values(13, -2, 2, 10), [13]);
  const attrs = program(
    [s("sigmoid", 0), c(0.5), s("less", 1, 2), { op: "cast", args: [1], to: "float16" }, { op: "cast", args: [0], to: "int32" }],
    [1, 3, 4, 5, 0],
  );
  const outs = await check("multi-output", [x], attrs);
  assert.deepEqual(
    outs.map((o) => o.dtype),
    ["float32", "bool", "float16", "int32", "float32"],
  );
});

test("infinities and NaN made inside a program, and a program with no inputs", async () => {
  const x = t([1, -1, 1e38, NaN, 0], [5]);
  // Constants are finite (JSON has no Infinity); 1/0, -(1/0) and 0/0 make the others.
  const attrs = program(
    [c(1), c(0), s("div", 1, 2), s("neg", 3), s("div", 2, 2), s("minimum", 0, 3), s("maximum", 6, 4), s("add", 0, 5), s("mul", 0, 3)],
    [7, 8, 9],
  );
  const [, nan, inf] = await check("non-finite", [x], attrs);
  assert.ok(Array.from(nan!.values).every(Number.isNaN));
  assert.deepEqual(Array.from(inf!.values), [Infinity, -Infinity, Infinity, NaN, NaN]);
  const [out] = await check("no inputs", [], program([c(2), c(3), s("pow", 0, 1)], [2]));
  assert.deepEqual(out!.shape, []);
  assert.deepEqual(Array.from(out!.values), [8]);
});

test("an Adam update (13 ops, 3 outputs) matches the CPU", async () => {
  await check("adam", adamInputs(257), ADAM);
});

test("a fused program is one dispatch where its unfused ops are one each", async () => {
  const device = await gpuDevice();
  const inputs = adamInputs(64);
  let before = device.stats.dispatches;
  await runGpu("fused", inputs, ADAM);
  const fused = device.stats.dispatches - before;
  before = device.stats.dispatches;
  await unfusedOnGpu(inputs, ADAM);
  const unfused = device.stats.dispatches - before;
  assert.equal(fused, 1);
  assert.equal(unfused, 13);
});

test("integer inputs with a broadcast row and a bool mask", async () => {
  const a = t(ints(12, -50, 50, 15), [3, 4], "int32");
  const row = t(ints(4, 1, 9, 16), [4], "int32");
  const mask = t([1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 0], [3, 4], "bool");
  await check("int where", [a, row, mask], program([s("mul", 0, 1), s("neg", 0), s("where", 2, 3, 4), s("abs", 5)], [6]));
});

test("the profiler shows a fused program as one kernel event naming its member ops", async () => {
  const device = await gpuDevice();
  const events: ProfileEvent[] = [];
  device.setEventSink((e) => events.push(e));
  try {
    await runGpu("fused", adamInputs(16), ADAM);
    await device.sync();
  } finally {
    device.setEventSink(undefined);
  }
  const kernels = events.filter((e) => e.category === "kernel");
  assert.deepEqual(
    kernels.map((e) => [e.name, e.args?.ops, e.args?.outputs]),
    [["fused", "mul mul add mul mul mul add mul sqrt add mul div sub", 3]],
  );
});
