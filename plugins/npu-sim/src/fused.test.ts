import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { roundToFloat16, type Attrs, type DType } from "@polychip/hal";
import { executorFor, referenceExecutor, type OpExecutor } from "@polychip/plugin-sdk/kit";
import type { NpuSimDevice } from "./device.ts";
import npuSimPlugin from "./index.ts";
import { assertClose, ramp, runAllOutputs, tensor, type HostTensor } from "./test-support.ts";

let cpu: OpExecutor<any>;
let npu: OpExecutor<any>;
let oneByOne: OpExecutor<any>;
before(async () => {
  cpu = await referenceExecutor();
  npu = await executorFor(npuSimPlugin);
  // The same chip without a `fused` kernel: the program's ops launch one by one (the HAL decomposition).
  oneByOne = await executorFor({ ...npuSimPlugin, kernels: npuSimPlugin.kernels.filter((k) => k.op !== "fused") }, { decompose: true });
});
after(async () => {
  for (const e of [cpu, npu, oneByOne]) await e.dispose();
});

const program = (steps: unknown[], outputs: number[]): Attrs => ({ program: JSON.stringify(steps), outputs });
const constant = (value: number, to: DType = "float32") => ({ op: "const", args: [], value, to });
const values = (dtype: DType, shape: number[], seed: number, lo = -2, hi = 2): HostTensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  const vs = ramp(n, lo, hi, seed);
  return tensor(dtype, shape, dtype === "float16" ? vs.map(roundToFloat16) : dtype === "float32" ? vs.map(Math.fround) : vs.map(Math.round));
};

/** tanh-GELU of (x + bias[row]): 11 steps over a [8, 16] input and a broadcast [16] bias. */
const gelu = (to: DType) =>
  program(
    [
      { op: "add", args: [0, 1] }, // 2
      { op: "mul", args: [2, 2] }, // 3
      { op: "mul", args: [3, 2] }, // 4: x³
      constant(0.044715, to), // 5
      { op: "mul", args: [4, 5] }, // 6
      { op: "add", args: [2, 6] }, // 7
      constant(Math.sqrt(2 / Math.PI), to), // 8
      { op: "mul", args: [7, 8] }, // 9
      { op: "tanh", args: [9] }, // 10
      constant(1, to), // 11
      { op: "add", args: [10, 11] }, // 12
      { op: "mul", args: [2, 12] }, // 13
      constant(0.5, to), // 14
      { op: "mul", args: [13, 14] }, // 15
    ],
    [15],
  );

/** One Adam update (param, grad, m, v) → (param', m', v'): three outputs. */
const adam = program(
  [
    constant(0.9), // 4
    { op: "mul", args: [2, 4] }, // 5
    constant(0.1), // 6
    { op: "mul", args: [1, 6] }, // 7
    { op: "add", args: [5, 7] }, // 8: m'
    constant(0.999), // 9
    { op: "mul", args: [3, 9] }, // 10
    { op: "mul", args: [1, 1] }, // 11
    constant(0.001), // 12
    { op: "mul", args: [11, 12] }, // 13
    { op: "add", args: [10, 13] }, // 14: v'
    { op: "sqrt", args: [14] }, // 15
    constant(1e-8), // 16
    { op: "add", args: [15, 16] }, // 17
    { op: "div", args: [8, 17] }, // 18
    constant(0.01), // 19
    { op: "mul", args: [18, 19] }, // 20
    { op: "sub", args: [0, 20] }, // 21: param'
  ],
  [21, 8, 14],
);

/** The kernel log entries a run on `exec`'s chip added. */
async function launches(exec: OpExecutor<any>, run: () => Promise<Float64Array[]>) {
  const device = exec.device as NpuSimDevice;
  device.resetStats();
  const outputs = await run();
  return { outputs, log: [...device.kernelLog], ms: device.kernelTimeMs };
}

for (const [dtype, rtol, atol] of [
  ["float32", 1e-5, 1e-6],
  ["float16", 2e-3, 2e-3],
] as const) {
  test(`a fused GELU program (${dtype}, broadcast bias) on npu-sim equals the cpu reference and its ops one by one`, async () => {
    const inputs = [values(dtype, [8, 16], 11), values(dtype, [16], 12, -0.5, 0.5)];
    const [expected] = await runAllOutputs(cpu, "fused", inputs, gelu(dtype));
    const [actual] = await runAllOutputs(npu, "fused", inputs, gelu(dtype));
    const [unfused] = await runAllOutputs(oneByOne, "fused", inputs, gelu(dtype));
    assertClose(actual!, expected!, rtol, atol, `fused ${dtype}`);
    // Every step rounds to its dtype as its own kernel's store would: the chip's ops one by one give the same bits.
    assert.deepEqual(Array.from(actual!), Array.from(unfused!));
    assert.ok(actual!.some((v) => v > 1) && actual!.some((v) => v < 0), "real values, not zeros");
  });
}

test("a fused Adam update with three outputs equals the cpu reference", async () => {
  const inputs = [
    values("float32", [5, 7], 21),
    values("float32", [5, 7], 22),
    values("float32", [5, 7], 23, -0.1, 0.1),
    values("float32", [5, 7], 24, 0, 0.01),
  ];
  const expected = await runAllOutputs(cpu, "fused", inputs, adam);
  const actual = await runAllOutputs(npu, "fused", inputs, adam);
  assert.equal(actual.length, 3);
  actual.forEach((a, m) => assertClose(a, expected[m]!, 1e-6, 1e-7, `Adam output ${m}`));
});

test("an integer program wraps and saturates as the unfused ops do", async () => {
  const p = program(
    [
      { op: "mul", args: [0, 1] }, // 2: int32 products (wrap)
      constant(100000, "int32"), // 3
      { op: "mul", args: [2, 3] }, // 4
      { op: "greater", args: [4, 0] }, // 5: bool
      { op: "cast", args: [4], to: "int8" }, // 6: saturates
      { op: "cast", args: [1], to: "int8" }, // 7
      { op: "where", args: [5, 6, 7] }, // 8
    ],
    [8, 5, 4],
  );
  const inputs = [values("int32", [6, 5], 31, -5000, 5000), values("int32", [6, 5], 32, -5000, 5000)];
  const expected = await runAllOutputs(cpu, "fused", inputs, p);
  const actual = await runAllOutputs(npu, "fused", inputs, p);
  actual.forEach((a, m) => assert.deepEqual(Array.from(a), Array.from(expected[m]!), `output ${m}`));
  assert.ok(
    expected[2]!.some((v) => Math.abs(v) > 2 ** 31 / 2),
    "the products wrap",
  );
});

test("a fused program is one launch that moves only its inputs and outputs: fewer cycles than its ops one by one", async () => {
  const inputs = [values("float32", [64, 256], 41), values("float32", [256], 42)];
  const fused = await launches(npu, () => runAllOutputs(npu, "fused", inputs, gelu("float32")));
  const unfused = await launches(oneByOne, () => runAllOutputs(oneByOne, "fused", inputs, gelu("float32")));
  assert.equal(fused.log.length, 1);
  const [k] = fused.log;
  assert.equal(k!.op, "fused");
  assert.equal(k!.unit, "vector");
  // The profile names the ops the launch stands for.
  assert.equal(k!.members, "add+mul+mul+mul+add+mul+tanh+add+mul+mul");
  // DRAM traffic: the [64, 256] input and output and the bias once per element, as every stream kernel charges a broadcast operand.
  assert.equal(k!.dmaBytes, 64 * 256 * (4 + 4 + 4));
  // One by one: a launch per non-const step (plus const fills and the result's copy), each intermediate through DRAM.
  assert.ok(unfused.log.length >= 10, `${unfused.log.length} launches`);
  const unfusedBytes = unfused.log.reduce((s, l) => s + l.dmaBytes, 0);
  assert.ok(unfusedBytes > 5 * k!.dmaBytes, `${unfusedBytes} vs ${k!.dmaBytes}`);
  assert.ok(unfused.ms > 3 * fused.ms, `${unfused.ms} ms one by one vs ${fused.ms} ms fused`);
});
