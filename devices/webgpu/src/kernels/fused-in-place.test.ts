import assert from "node:assert/strict";
import { test } from "node:test";
import { contiguousStrides } from "@polychip/hal";
import { download, gpuDevice, kernelFor, uploadView } from "../testing/harness.ts";

test("a fused program split over dispatches, writing an output over an input a later dispatch reads, reads the input's old values", async () => {
  const device = await gpuDevice();
  const count = device.maxStorageBuffersPerStage - 1; // output 1 alone reads every input: it needs a dispatch of its own
  const n = 6;
  const inputs = Array.from({ length: count }, (_, k) => uploadView(device, { values: Array.from({ length: n }, (_, i) => i + 10 * k), shape: [n] }));
  const steps = [
    { op: "const", args: [], value: 2 },
    { op: "mul", args: [0, count] },
  ];
  for (let k = 1; k < count; k++) steps.push({ op: "add", args: [k === 1 ? 0 : count + k, k] });
  const attrs = { program: JSON.stringify(steps), outputs: [count + 1, count + steps.length - 1] };
  // Output 0 is written in place over input 0 (as compile's runInPlace does); output 1 is a fresh buffer.
  const out1 = { ...inputs[0]!, buffer: device.alloc(n * 4), strides: contiguousStrides([n]) };
  device.launch(kernelFor("fused", "float32"), { op: "fused", inputs, outputs: [inputs[0]!, out1], attrs });
  const doubled = Array.from(await download(device, inputs[0]!.buffer, "float32", n));
  const sum = Array.from(await download(device, out1.buffer, "float32", n));
  assert.deepEqual(doubled, [0, 2, 4, 6, 8, 10]);
  // Each element: i + sum over k of (i + 10 k), read from the original input 0.
  assert.deepEqual(
    sum,
    Array.from({ length: n }, (_, i) => count * i + (10 * count * (count - 1)) / 2),
  );
  for (const v of [...inputs, out1]) device.free(v.buffer);
});
