import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { roundToFloat16, type Attrs, type DType } from "@polychip/hal";
import { executorFor, referenceExecutor, type OpExecutor } from "@polychip/plugin-sdk/kit";
import type { NpuSimDevice } from "./device.ts";
import npuSimPlugin, { npuSimEdgePlugin } from "./index.ts";
import { assertClose, ramp, runAllOutputs, tensor, type HostTensor } from "./test-support.ts";

let cpu: OpExecutor<any>;
let npu: OpExecutor<any>;
let oneByOne: OpExecutor<any>;
before(async () => {
  cpu = await referenceExecutor();
  npu = await executorFor(npuSimPlugin, { decompose: true });
  // The same chip without epilogue kernels: the GEMM, then the program as a `fused` launch (the HAL decomposition).
  oneByOne = await executorFor({ ...npuSimPlugin, kernels: npuSimPlugin.kernels.filter((k) => !k.op.endsWith("Epilogue")) }, { decompose: true });
});
after(async () => {
  for (const e of [cpu, npu, oneByOne]) await e.dispose();
});

const values = (dtype: DType, shape: number[], seed: number, lo = -1, hi = 1): HostTensor => {
  const vs = ramp(
    shape.reduce((a, b) => a * b, 1),
    lo,
    hi,
    seed,
  );
  return tensor(dtype, shape, vs.map(dtype === "float16" ? roundToFloat16 : Math.fround));
};

/** relu(product + bias) and the product itself (the pre-activation a backward pass reads): outputs [relu, product]. */
const biasRelu = (base: Attrs, baseInputs: number): Attrs => ({
  ...base,
  baseInputs,
  program: JSON.stringify([
    { op: "add", args: [0, 1] }, // 2
    { op: "relu", args: [2] }, // 3
  ]),
  outputs: [3, 0],
});

/** relu(product + residual) · scale: the residual block's tail. */
const residualRelu = (base: Attrs, baseInputs: number, to: DType): Attrs => ({
  ...base,
  baseInputs,
  program: JSON.stringify([
    { op: "add", args: [0, 1] }, // 2
    { op: "relu", args: [2] }, // 3
    { op: "const", args: [], value: 0.5, to }, // 4
    { op: "mul", args: [3, 4] }, // 5
  ]),
  outputs: [5],
});

async function run(exec: OpExecutor<any>, op: string, inputs: HostTensor[], attrs: Attrs) {
  const device = exec.device as NpuSimDevice;
  device.resetStats();
  const outputs = await runAllOutputs(exec, op, inputs, attrs);
  return { outputs, log: [...device.kernelLog] };
}

/** The epilogue on npu-sim equals the cpu reference within `tol`, the chip's GEMM-then-fused launches bit for bit, in one launch that moves fewer bytes. */
async function checkEpilogue(op: string, inputs: HostTensor[], attrs: Attrs, tol: [number, number], unit: "tensor" | "vector") {
  const expected = await runAllOutputs(cpu, op, inputs, attrs);
  const fused = await run(npu, op, inputs, attrs);
  const unfused = await run(oneByOne, op, inputs, attrs);
  fused.outputs.forEach((a, m) => {
    assertClose(a, expected[m]!, tol[0], tol[1], `${op} output ${m}`);
    assert.deepEqual(Array.from(a), Array.from(unfused.outputs[m]!), `${op} output ${m} against the chip's unfused launches`);
  });
  assert.ok(expected[0]!.some((v) => v > 0.1) && expected[0]!.some((v) => v === 0), "real values through the relu");
  assert.deepEqual(
    fused.log.map((l) => [l.op, l.unit]),
    [[op, unit]],
  );
  assert.ok(unfused.log.length >= 2, `${unfused.log.length} launches unfused`);
  const bytes = (log: typeof fused.log) => log.reduce((s, l) => s + l.dmaBytes, 0);
  assert.ok(bytes(fused.log) < bytes(unfused.log), `${bytes(fused.log)} bytes fused vs ${bytes(unfused.log)} unfused`);
  return fused.log[0]!;
}

test("matmulEpilogue (float32, vector unit): relu(a·b + bias) and the product, in one launch", async () => {
  const inputs = [values("float32", [12, 20], 1), values("float32", [20, 9], 2), values("float32", [9], 3, -0.3, 0.3)];
  await checkEpilogue("matmulEpilogue", inputs, biasRelu({}, 2), [1e-5, 1e-6], "vector");
});

test("matmulEpilogue (float16, tensor unit, transposed b): the product rounds to fp16 before the program, as its store would", async () => {
  const inputs = [values("float16", [10, 24], 4), values("float16", [8, 24], 5), values("float16", [8], 6, -0.3, 0.3)];
  const k = await checkEpilogue("matmulEpilogue", inputs, biasRelu({ transposeB: true }, 2), [1e-2, 2e-3], "tensor");
  assert.equal(k.macs, 10 * 8 * 24);
});

test("conv2dEpilogue (float16, tensor unit): conv with bias, residual add, relu, scale in one launch", async () => {
  const x = values("float16", [2, 3, 7, 7], 7);
  const w = values("float16", [4, 3, 3, 3], 8, -0.4, 0.4);
  const b = values("float16", [4], 9, -0.2, 0.2);
  const residual = values("float16", [2, 4, 7, 7], 10);
  const k = await checkEpilogue("conv2dEpilogue", [x, w, b, residual], residualRelu({ pads: [1, 1, 1, 1] }, 3, "float16"), [1e-2, 2e-3], "tensor");
  assert.equal(k.macs, 2 * 4 * 7 * 7 * 3 * 9);
  assert.equal(k.members, "conv2d+add+relu+mul");
});

test("conv2dEpilogue (float32, vector unit): the fp32 convolution with its epilogue in one launch", async () => {
  const x = values("float32", [2, 3, 7, 7], 14);
  const w = values("float32", [5, 3, 3, 3], 15, -0.4, 0.4);
  const residual = values("float32", [2, 5, 4, 4], 16);
  const k = await checkEpilogue(
    "conv2dEpilogue",
    [x, w, residual],
    residualRelu({ pads: [1, 1, 1, 1], strides: [2, 2] }, 2, "float32"),
    [1e-5, 1e-6],
    "vector",
  );
  assert.equal(k.macs, 2 * 5 * 4 * 4 * 3 * 9);
});

/** The backward of conv → relu: the input gradient, masked where the forward input was not positive. */
const reluMaskBackward = (base: Attrs): Attrs => ({
  ...base,
  baseInputs: 2,
  program: JSON.stringify([
    { op: "const", args: [], value: 0, to: "float32" }, // 2
    { op: "greater", args: [1, 2] }, // 3
    { op: "const", args: [], value: 0, to: "float32" }, // 4
    { op: "where", args: [3, 0, 4] }, // 5
  ]),
  outputs: [5],
});

test("conv2dGradInputEpilogue (float32, vector unit, stride 2): a transposed conv with its relu mask in one launch", async () => {
  const gradOut = values("float32", [2, 4, 3, 3], 17);
  const w = values("float32", [4, 3, 3, 3], 18, -0.4, 0.4);
  const forwardInput = values("float32", [2, 3, 6, 6], 19);
  const attrs = reluMaskBackward({ pads: [1, 1, 1, 1], strides: [2, 2], inputShape: [2, 3, 6, 6] });
  const expected = await runAllOutputs(cpu, "conv2dGradInputEpilogue", [gradOut, w, forwardInput], attrs);
  const fused = await run(npu, "conv2dGradInputEpilogue", [gradOut, w, forwardInput], attrs);
  assertClose(fused.outputs[0]!, expected[0]!, 1e-5, 1e-6, "conv2dGradInputEpilogue float32");
  assert.ok(expected[0]!.some((v) => Math.abs(v) > 0.1) && expected[0]!.some((v) => v === 0), "real values through the mask");
  assert.deepEqual(
    fused.log.map((l) => [l.op, l.unit, l.members]),
    [["conv2dGradInputEpilogue", "vector", "conv2dGradInput+greater+where"]],
  );
});

test("conv2dGradInput (float16, tensor unit, groups and dilation) equals the cpu reference", async () => {
  const gradOut = values("float16", [1, 4, 5, 5], 20);
  const w = values("float16", [4, 1, 3, 3], 21, -0.5, 0.5);
  const attrs = { pads: [2, 2, 2, 2], dilations: [2, 2], groups: 2, inputShape: [1, 2, 5, 5] };
  const [expected] = await runAllOutputs(cpu, "conv2dGradInput", [gradOut, w], attrs);
  const actual = await run(npu, "conv2dGradInput", [gradOut, w], attrs);
  assertClose(actual.outputs[0]!, expected!, 1e-2, 2e-3, "conv2dGradInput float16");
  assert.deepEqual(
    actual.log.map((l) => [l.op, l.unit]),
    [["conv2dGradInput", "tensor"]],
  );
});

test("epilogues a chip has no program for are refused by its registrations, so the engine runs their decomposition", async () => {
  const has = (plugin: typeof npuSimPlugin, op: string, dtype: DType) =>
    plugin.kernels.some((k) => k.op === op && k.dtypes !== "*" && k.dtypes.includes(dtype));
  for (const op of ["conv2dEpilogue", "conv2dGradInputEpilogue", "matmulEpilogue"]) {
    assert.ok(has(npuSimPlugin, op, "float16") && has(npuSimPlugin, op, "float32"), op);
  }
  // The int8-only edge part has no fp16 tensor unit: its fp16 convolutions and their epilogues decompose.
  assert.ok(!has(npuSimEdgePlugin, "conv2dEpilogue", "float16") && !has(npuSimEdgePlugin, "conv2dGradInputEpilogue", "float16"));
  assert.ok(has(npuSimEdgePlugin, "matmulEpilogue", "float16"), "its vector unit runs fp16 matmul epilogues");
  const edge = await executorFor(npuSimEdgePlugin, { decompose: true });
  try {
    const x = values("float16", [1, 2, 5, 5], 11);
    const w = values("float16", [3, 2, 3, 3], 12, -0.4, 0.4);
    const residual = values("float16", [1, 3, 5, 5], 13);
    const attrs = residualRelu({ pads: [1, 1, 1, 1] }, 2, "float16");
    const expected = await runAllOutputs(cpu, "conv2dEpilogue", [x, w, residual], attrs);
    const decomposed = await run(edge, "conv2dEpilogue", [x, w, residual], attrs);
    assertClose(decomposed.outputs[0]!, expected[0]!, 1e-2, 2e-3, "conv2dEpilogue float16 decomposed on the edge chip");
    const ops = decomposed.log.map((l) => l.op);
    assert.ok(ops.includes("matmul") && ops.includes("fused") && !ops.includes("conv2dEpilogue"), ops.join(", "));
  } finally {
    await edge.dispose();
  }
});
