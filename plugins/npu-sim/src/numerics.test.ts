import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { KernelError, roundToFloat16 } from "@polychip/hal";
import { referenceExecutor, runOp, type OpExecutor } from "@polychip/plugin-sdk/kit";
import { chip, ramp, runNpu, tensor } from "./test-support.ts";

// One CPU reference for the file; disposing it stops its worker threads.
let ref: OpExecutor<any>;
before(async () => {
  ref = await referenceExecutor();
});
after(() => ref.dispose());

const f32 = Math.fround;

test("an fp16 matmul differs from the float32 CPU result by fp16 rounding, and equals the fp32-accumulated fp16 product", async () => {
  const a = ramp(4 * 16, -2, 2, 11);
  const b = ramp(16 * 3, -2, 2, 12);
  const npu = await runNpu(chip(), "matmul", [tensor("float16", [4, 16], a), tensor("float16", [16, 3], b)]);
  const cpu = await runOp(ref, "matmul", [tensor("float32", [4, 16], a), tensor("float32", [16, 3], b)]);
  const hardware = new Float64Array(12);
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 3; j++) {
      let acc = 0;
      for (let k = 0; k < 16; k++) acc = f32(acc + roundToFloat16(a[i * 16 + k]!) * roundToFloat16(b[k * 3 + j]!));
      hardware[i * 3 + j] = roundToFloat16(acc);
    }
  }
  assert.deepEqual([...npu.values], [...hardware]);
  const maxDiff = Math.max(...[...npu.values].map((v, i) => Math.abs(v - cpu.values[i]!)));
  assert.ok(maxDiff > 1e-4 && maxDiff < 0.05, `the fp16 path should differ visibly but slightly from float32: ${maxDiff}`);
});

test("fp16 matmul accumulates in fp32: 4096 products of 1 sum to 4096, where an fp16 accumulator stalls at 2048", async () => {
  const r = await runNpu(chip(), "matmul", [tensor("float16", [1, 4096], new Array(4096).fill(1)), tensor("float16", [4096, 1], new Array(4096).fill(1))]);
  assert.deepEqual([...r.values], [4096]);
});

test("float16 add rounds its output to the nearest half", async () => {
  const r = await runNpu(chip(), "add", [tensor("float16", [2], [1, 2048]), tensor("float16", [2], [0.0004, 1])]);
  assert.deepEqual([...r.values], [roundToFloat16(1.0004), 2048]);
});

test("float32 add on the vector unit is exact float32 arithmetic", async () => {
  const r = await runNpu(chip(), "add", [tensor("float32", [1], [f32(0.1)]), tensor("float32", [1], [f32(0.2)])]);
  assert.deepEqual([...r.values], [f32(f32(0.1) + f32(0.2))]);
});

test("conv2d with activation relu fuses ReLU after the bias", async () => {
  const x = tensor("float16", [1, 1, 3, 3], [1, -2, 3, -4, 5, -6, 7, -8, 9]);
  const w = tensor("float16", [2, 1, 1, 1], [1, -1]);
  const bias = tensor("float16", [2], [0.5, 0]);
  const plain = await runNpu(chip(), "conv2d", [x, w, bias]);
  const fused = await runNpu(chip(), "conv2d", [x, w, bias], { activation: "relu" });
  assert.deepEqual([...plain.values], [1.5, -1.5, 3.5, -3.5, 5.5, -5.5, 7.5, -7.5, 9.5, -1, 2, -3, 4, -5, 6, -7, 8, -9]);
  assert.deepEqual(
    [...fused.values],
    [...plain.values].map((v) => Math.max(v, 0)),
  );
});

test("conv2d without an activation attribute is plain conv2d, matching the CPU", async () => {
  const xs = ramp(2 * 3 * 6 * 6, -1, 1, 21);
  const ws = ramp(4 * 3 * 3 * 3, -1, 1, 22);
  const attrs = { pads: [1, 1, 1, 1], strides: [2, 2] };
  const npu = await runNpu(chip(), "conv2d", [tensor("float16", [2, 3, 6, 6], xs), tensor("float16", [4, 3, 3, 3], ws)], attrs);
  const cpu = await runOp(ref, "conv2d", [tensor("float16", [2, 3, 6, 6], xs), tensor("float16", [4, 3, 3, 3], ws)], attrs);
  assert.ok(
    npu.values.some((v) => v < 0),
    "no ReLU applied",
  );
  npu.values.forEach((v, i) =>
    assert.ok(Math.abs(v - cpu.values[i]!) <= 2e-3 * Math.max(1, Math.abs(cpu.values[i]!)), `element ${i}: ${v} vs ${cpu.values[i]}`),
  );
});

test("conv2d refuses an activation it cannot fuse", async () => {
  await assert.rejects(
    runNpu(chip(), "conv2d", [tensor("float16", [1, 1, 2, 2], [1, 2, 3, 4]), tensor("float16", [1, 1, 1, 1], [1])], { activation: "gelu" }),
    (err: unknown) => err instanceof KernelError && /activation "gelu" is not supported/.test((err as Error).message),
  );
});

test("float16 softmax computes in fp32 and rounds only its output", async () => {
  const x = [0.1, 0.2, 0.3, 0.4, 5, -3];
  const r = await runNpu(chip(), "softmax", [tensor("float16", [1, 6], x)], { axis: 1 });
  const xs = x.map(roundToFloat16);
  const m = Math.max(...xs);
  const e = xs.map((v) => Math.exp(v - m));
  const s = e.reduce((p, q) => p + q, 0);
  r.values.forEach((v, i) => assert.ok(Math.abs(v - roundToFloat16(e[i]! / s)) <= 2 ** -11 * Math.abs(v) + 1e-7));
});
