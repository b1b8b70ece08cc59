import assert from "node:assert/strict";
import { test } from "node:test";
import { contiguousStrides, type TensorView } from "@polychip/hal";
import type { WebGpuBuffer } from "../runtime/buffer.ts";
import { gpuDevice, kernelFor, t, uploadView, values } from "../testing/harness.ts";

/**
 * A launch's origin (KernelCall.origin: the graph node, as the engine names it) comes back on the
 * fault its kernel records, so an error thrown by a later read names the node as a throw at launch
 * would; and the fault table holds one code per origin and kind of fault until the next check.
 */
async function gathering() {
  const device = await gpuDevice();
  await device.sync();
  const x = uploadView(device, t(values(6), [3, 2]));
  const y: TensorView<WebGpuBuffer> = { buffer: device.alloc(8), dtype: "float32", shape: [1, 2], strides: contiguousStrides([1, 2]), offset: 0 };
  const gather = kernelFor("gather", "float32");
  const launch = (index: number, origin?: string) => {
    const idx = uploadView(device, t([index], [1], "int32"));
    device.launch(gather, { op: "gather", inputs: [x, idx], outputs: [y], attrs: { axis: 0 }, origin });
    device.free(idx.buffer);
  };
  const done = () => [x, y].forEach((v) => device.free(v.buffer));
  return { device, launch, done };
}

test("a fault names the origin of the launch that recorded it, keeping the error's class", async () => {
  const { device, launch, done } = await gathering();
  launch(1, "node 2 (gather 'pick' → %rows)");
  launch(5, "node 7 (gather 'embed' → %e)");
  launch(4, "node 9 (gather → %z)");
  await assert.rejects(device.sync(), {
    name: "ShapeError",
    message: "node 7 (gather 'embed' → %e): gather: index 5 is out of range for dim 0 of size 3",
  });
  launch(2, "node 7 (gather 'embed' → %e)");
  await device.sync();
  launch(3);
  await assert.rejects(device.sync(), { name: "ShapeError", message: "gather: index 3 is out of range for dim 0 of size 3" });
  done();
});

test("the fault table holds one code per origin and kind of fault until the next check, however many launches", async () => {
  const { device, launch, done } = await gathering();
  for (let i = 0; i < 300; i++) launch(i % 3, "node 1 (gather → %a)");
  assert.equal(device.faultCodes, 1);
  for (let i = 0; i < 300; i++) launch(i % 3, i % 2 ? "node 1 (gather → %a)" : "node 4 (gather → %b)");
  launch(0);
  assert.equal(device.faultCodes, 3);
  await device.sync();
  assert.equal(device.faultCodes, 0);
  for (let run = 0; run < 50; run++) {
    launch(run % 3, "node 1 (gather → %a)");
    await device.sync();
  }
  assert.equal(device.faultCodes, 0);
  launch(0, "node 1 (gather → %a)");
  assert.equal(device.faultCodes, 1);
  await device.sync();
  done();
});
