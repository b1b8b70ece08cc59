import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { compareValues, generatorFor, referenceExecutor, runOp, toleranceFor, type OpExecutor } from "@polychip/plugin-sdk/kit";
import { dequantizeLinear, quantizedConv2d, quantizedMatmul, quantizeLinear } from "@polychip/hal";
import { chip, ramp, runNpu, tensor } from "./test-support.ts";

// One CPU reference for the file; disposing it stops its worker threads.
let ref: OpExecutor<any>;
before(async () => {
  ref = await referenceExecutor();
});
after(() => ref.dispose());

const scalar = (dtype: "float32" | "int8" | "uint8", v: number) => tensor(dtype, [], [v]);

test("quantizeLinear rounds half to even, adds the zero point and saturates at the int8 range", async () => {
  const x = tensor("float32", [10], [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 1000, -1000, Infinity, NaN]);
  const r = await runNpu(chip(), quantizeLinear, [x, scalar("float32", 1), scalar("int8", 0)]);
  assert.deepEqual([...r.values], [0, 2, 2, 0, -2, -2, 127, -128, 127, 0]);
  assert.equal(r.meta.dtype, "int8");
});

test("quantizeLinear without a zero point gives uint8, saturating below 0", async () => {
  const r = await runNpu(chip(), quantizeLinear, [tensor("float32", [3], [-5, 25.5, 300]), scalar("float32", 0.1)]);
  assert.equal(r.meta.dtype, "uint8");
  assert.deepEqual([...r.values], [0, 255, 255]);
});

test("quantizeLinear per-axis on the NPU matches the HAL decomposition run on the CPU", async () => {
  const x = tensor("float32", [2, 3, 4], ramp(24, -3, 3, 31));
  const inputs = [x, tensor("float32", [3], [0.02, 0.05, 0.1]), tensor("int8", [3], [0, -5, 7])];
  const npu = await runNpu(chip(), quantizeLinear, inputs, { axis: 1 });
  const cpu = await runOp(ref, quantizeLinear, inputs, { axis: 1 });
  assert.deepEqual([...npu.values], [...cpu.values]);
});

test("quantizeLinear of float16 input divides in fp32, like its decomposition", async () => {
  const inputs = [tensor("float16", [64], ramp(64, -60, 60, 32)), scalar("float32", 0.37), scalar("int8", 3)];
  const npu = await runNpu(chip(), quantizeLinear, inputs);
  const cpu = await runOp(ref, quantizeLinear, inputs);
  assert.deepEqual([...npu.values], [...cpu.values]);
});

test("dequantizeLinear matches the HAL decomposition for int8, uint8 and int32", async () => {
  const cases = [
    [tensor("int8", [2, 3], [-128, -1, 0, 1, 100, 127]), tensor("float32", [3], [0.5, 0.25, 2]), tensor("int8", [3], [1, 0, -3])],
    [tensor("uint8", [4], [0, 128, 200, 255]), scalar("float32", 0.1), scalar("uint8", 128)],
    [tensor("int32", [3], [-70000, 5, 123456]), scalar("float32", 0.001)],
  ];
  for (const inputs of cases) {
    const attrs = { axis: 1 };
    const npu = await runNpu(chip(), dequantizeLinear, inputs, attrs);
    const cpu = await runOp(ref, dequantizeLinear, inputs, attrs);
    assert.deepEqual([...npu.values], [...cpu.values]);
  }
});

test("quantizedMatmul accumulates in int32 and saturates the requantised int8 output", async () => {
  // 16 products of 127·127 = 258064: far beyond int8, well inside int32.
  const a = tensor("int8", [2, 16], [...new Array(16).fill(127), ...new Array(16).fill(-127)]);
  const b = tensor("int8", [16, 1], new Array(16).fill(127));
  const r = await runNpu(chip(), quantizedMatmul, [
    a,
    scalar("float32", 1),
    scalar("int8", 0),
    b,
    scalar("float32", 1),
    scalar("int8", 0),
    scalar("float32", 1000),
    scalar("int8", 0),
  ]);
  // 258064 / 1000 = 258.064 → saturates to 127 and -128.
  assert.deepEqual([...r.values], [127, -128]);
  assert.equal(r.stats.unit, "tensor");
  assert.equal(r.stats.macs, 32);
});

test("quantizedMatmul requantises with round half to even", async () => {
  // acc = 1·k for k = 1..5 (one product each); multiplier 0.5 → 0.5, 1, 1.5, 2, 2.5 → 0, 1, 2, 2, 2.
  const a = tensor("int8", [5, 1], [1, 2, 3, 4, 5]);
  const b = tensor("int8", [1, 1], [1]);
  const r = await runNpu(chip(), quantizedMatmul, [
    a,
    scalar("float32", 0.5),
    scalar("int8", 0),
    b,
    scalar("float32", 1),
    scalar("int8", 0),
    scalar("float32", 1),
    scalar("int8", 0),
  ]);
  assert.deepEqual([...r.values], [0, 1, 2, 2, 2]);
});

test("quantizedMatmul uses the int8 MAC rate, four times the fp16 rate on the default chip", async () => {
  const a = ramp(64 * 128, -100, 100, 41).map(Math.round);
  const b = ramp(128 * 64, -100, 100, 42).map(Math.round);
  const compute = { cores: 1, dramBandwidthGBps: 10000 };
  const q = await runNpu(chip(compute), quantizedMatmul, [
    tensor("int8", [64, 128], a),
    scalar("float32", 0.01),
    scalar("int8", 0),
    tensor("int8", [128, 64], b),
    scalar("float32", 0.01),
    scalar("int8", 0),
    scalar("float32", 1),
    scalar("int8", 0),
  ]);
  const h = await runNpu(chip(compute), "matmul", [tensor("float16", [64, 128], a), tensor("float16", [128, 64], b)]);
  assert.ok(Math.abs(h.stats.computeCycles / q.stats.computeCycles - 4) < 0.1, `${h.stats.computeCycles} vs ${q.stats.computeCycles}`);
});

test("quantizedConv2d with per-channel weights, bias and fused ReLU agrees with its decomposition to one unit", async () => {
  const x = tensor("uint8", [1, 3, 6, 6], ramp(108, 0, 255, 51).map(Math.round));
  const w = tensor("int8", [4, 3, 3, 3], ramp(108, -127, 127, 52).map(Math.round));
  const inputs = [
    x,
    scalar("float32", 0.02),
    scalar("uint8", 128),
    w,
    tensor("float32", [4], [0.01, 0.02, 0.005, 0.03]),
    tensor("int8", [4], [0, 0, 0, 0]),
    scalar("float32", 0.05),
    scalar("uint8", 10),
    tensor("int32", [4], [100, -2000, 0, 5000]),
  ];
  const attrs = { pads: [1, 1, 1, 1], activation: "relu" };
  const npu = await runNpu(chip(), quantizedConv2d, inputs, attrs);
  const cpu = await runOp(ref, quantizedConv2d, inputs, attrs);
  assert.equal(npu.meta.dtype, "uint8");
  assert.ok(
    npu.values.every((v) => v >= 10),
    "ReLU clamps at the output zero point",
  );
  const maxDiff = Math.max(...[...npu.values].map((v, i) => Math.abs(v - cpu.values[i]!)));
  assert.ok(maxDiff <= 1, `max difference ${maxDiff}`);
  assert.ok(new Set(npu.values).size > 10, "the output uses the int8 range");
});

test("the conformance kit's quantizeLinear and dequantizeLinear cases pass on npu-sim against the proposed decompositions", async () => {
  const failures: string[] = [];
  let cases = 0;
  for (const def of [quantizeLinear, dequantizeLinear]) {
    for (const dtype of chip().capabilities.dtypes) {
      const all = generatorFor(def)!({ op: def, dtype, deviceDTypes: ["float32", "float16", "int32", "int8", "uint8"], stridedInputs: false });
      // Views at an offset are the kit's own business (conformance.test.ts runs them); these run as host arrays.
      for (const c of all.filter((c) => c.inputs.every((t) => t.layout === "contiguous"))) {
        const inputs = c.inputs.map((t) => tensor(t.dtype, t.shape, t.storage));
        const npu = await runNpu(chip(), def, inputs, c.attrs);
        const cpu = await runOp(ref, def, inputs, c.attrs);
        const cmp = compareValues(npu.meta.dtype, npu.values, cpu.values, toleranceFor(npu.meta.dtype));
        if (!cmp.ok) failures.push(`${def.name} ${dtype} ${c.name}: got ${cmp.first!.got}, want ${cmp.first!.want}`);
        cases++;
      }
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(cases > 20, `${cases} cases`);
});
