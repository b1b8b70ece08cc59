import assert from "node:assert/strict";
import { test } from "node:test";
import type { TensorMeta } from "@polychip/hal";
import type { NpuSimDevice } from "./device.ts";
import npuSimPlugin, { npuSimEdgePlugin } from "./index.ts";

const meta = (dtype: TensorMeta["dtype"], shape: number[]): TensorMeta => ({ dtype, shape });
const residualRelu = (baseInputs: number) => ({
  baseInputs,
  pads: [1, 1, 1, 1],
  program: JSON.stringify([
    { op: "add", args: [0, 1] },
    { op: "relu", args: [2] },
  ]),
  outputs: [3],
});

test("the compile report's listing of a fused group is the lane program the vector unit runs", async () => {
  const npu = (await npuSimPlugin.create()) as NpuSimDevice;
  const attrs = {
    program: JSON.stringify([
      { op: "add", args: [0, 1] },
      { op: "const", args: [], value: 0.5, to: "float16" },
      { op: "mul", args: [2, 3] },
      { op: "greater", args: [4, 1] },
    ]),
    outputs: [4, 5],
  };
  const listing = npu.kernelSource!("fused", [meta("float16", [4, 6]), meta("float16", [6])], attrs)!;
  assert.deepEqual(listing.split("\n"), [
    "// npu-sim fused: one vector-unit tile stream over [4, 6] (24 elements); per element, in lane registers:",
    "  v0 = load in0 float16[4, 6]",
    "  v1 = load in1 float16[6]",
    "  v2 = add.f16 v0, v1",
    "  v3 = const.f16 0.5",
    "  v4 = mul.f16 v2, v3",
    "  v5 = greater.b8 v4, v1",
    "  store out0 float16 <- v4",
    "  store out1 bool <- v5",
    "// 3 lane-ops per element at the 16-bit rate; nothing in between goes to DRAM",
  ]);
  const epilogue = npu.kernelSource!(
    "conv2dEpilogue",
    [meta("float32", [1, 2, 5, 5]), meta("float32", [3, 2, 3, 3]), meta("float32", [1, 3, 5, 5])],
    residualRelu(2),
  )!;
  assert.match(epilogue, /^\/\/ npu-sim conv2dEpilogue: conv2d float32\[1, 3, 5, 5\] on the vector unit/);
  assert.match(epilogue, /v0 = conv2d result, rounded to float32\n {2}v1 = load in2 float32\[1, 3, 5, 5\]\n {2}v2 = add.f32 v0, v1\n {2}v3 = relu.f32 v2/);
});

test("no listing for a group the chip does not run natively", async () => {
  const npu = (await npuSimPlugin.create()) as NpuSimDevice;
  const edge = (await npuSimEdgePlugin.create()) as NpuSimDevice;
  const gradInput = [meta("float16", [1, 3, 5, 5]), meta("float16", [3, 2, 3, 3]), meta("float16", [1, 2, 5, 5])];
  assert.equal(edge.kernelSource!("conv2dGradInputEpilogue", gradInput, { ...residualRelu(2), inputShape: [1, 2, 5, 5] }), undefined);
  const half = [meta("float16", [1, 2, 5, 5]), meta("float16", [3, 2, 3, 3]), meta("float16", [1, 3, 5, 5])];
  assert.ok(npu.kernelSource!("conv2dEpilogue", half, residualRelu(2)));
  assert.equal(edge.kernelSource!("conv2dEpilogue", half, residualRelu(2)), undefined, "the edge part has no fp16 tensor unit");
  assert.equal(npu.kernelSource!("matmul", [meta("float32", [2, 2]), meta("float32", [2, 2])], {}), undefined);
});
