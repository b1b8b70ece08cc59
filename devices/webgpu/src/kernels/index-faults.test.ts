import assert from "node:assert/strict";
import { test } from "node:test";
import { runOp as runCpu } from "@polychip/device-cpu";
import { contiguousStrides, ShapeError, type Attrs } from "@polychip/hal";
import { gpuDevice, kernelFor, matchesCpu, runGpu, t, uploadView, values, type HostInput } from "../testing/harness.ts";

/** The error the CPU device throws for these inputs (the WebGPU device must throw the same). */
function cpuError(op: string, inputs: readonly HostInput[], attrs: Attrs): Error {
  try {
    runCpu(op, inputs, attrs);
  } catch (err) {
    return err as Error;
  }
  throw new Error(`the CPU device accepted ${op}`);
}

async function rejectsLikeCpu(op: string, inputs: readonly HostInput[], attrs: Attrs, message: string): Promise<void> {
  const expected = cpuError(op, inputs, attrs);
  assert.equal(expected.message, message);
  await assert.rejects(runGpu(op, inputs, attrs), (err: Error) => {
    assert.ok(err instanceof ShapeError, `${err.constructor.name}: ${err.message}`);
    assert.equal(err.message, expected.message);
    return true;
  });
}

const table = t(values(6), [3, 2]);

test("gather with an index past the end rejects with the CPU device's error", async () => {
  await rejectsLikeCpu("gather", [table, t([0, 5, 1], [3], "int32")], { axis: 0 }, "gather: index 5 is out of range for dim 0 of size 3");
});

test("gather with a negative index rejects as on the CPU device (importers make ONNX's negative indices positive first)", async () => {
  await rejectsLikeCpu("gather", [table, t([-1], [1], "int32")], { axis: 0 }, "gather: index -1 is out of range for dim 0 of size 3");
});

test("gather along an inner axis names that axis and size", async () => {
  await rejectsLikeCpu("gather", [table, t([2], [1], "int32")], { axis: 1 }, "gather: index 2 is out of range for dim 1 of size 2");
});

test("gather checks its indices even when the output is empty, as the CPU device does", async () => {
  await rejectsLikeCpu("gather", [t([], [0, 3]), t([5], [1], "int32")], { axis: 1 }, "gather: index 5 is out of range for dim 1 of size 3");
});

test("gatherElements with an index out of range rejects with the CPU device's error", async () => {
  await rejectsLikeCpu(
    "gatherElements",
    [t(values(12), [3, 4]), t([0, 1, 3, 2], [1, 4], "int32")],
    { axis: 0 },
    "gatherElements: index 3 is out of range for dim 0 of size 3",
  );
});

test("scatterAdd with an index out of range rejects instead of dropping the update", async () => {
  await rejectsLikeCpu(
    "scatterAdd",
    [t([1, 2, 3, 4], [4], "int32"), t([1, 4], [2], "int32"), t([10, 20], [2], "int32")],
    { axis: 0 },
    "scatterAdd: index 4 is out of range for dim 0 of size 4",
  );
});

test("gatherElements and scatterAdd reject an index larger than the input, as the CPU device does", async () => {
  const x = t(values(6), [2, 3]);
  const wide = t([0, 0, 0, 0], [1, 4], "int32");
  assert.throws(() => runCpu("gatherElements", [x, wide], { axis: 0 }), /index shape \[1, 4\] exceeds input shape \[2, 3\] in dim 1/);
  await assert.rejects(runGpu("gatherElements", [x, wide], { axis: 0 }), /gatherElements: index shape \[1, 4\] exceeds input shape \[2, 3\] in dim 1/);
  const src = t(values(4), [1, 4]);
  await assert.rejects(runGpu("scatterAdd", [x, wide, src], { axis: 0 }), /scatterAdd: index shape \[1, 4\] exceeds input shape \[2, 3\] in dim 1/);
});

test("after a fault the device works and the next clean run does not throw again", async () => {
  const device = await gpuDevice();
  await assert.rejects(runGpu("gather", [table, t([3], [1], "int32")], { axis: 0 }), ShapeError);
  await matchesCpu("gather", [table, t([2, 0, 1, 2], [4], "int32")], { axis: 0 }, { rtol: 0, atol: 0 });
  await matchesCpu("gatherElements", [table, t([2, 0, 1, 1], [2, 2], "int32")], { axis: 0 }, { rtol: 0, atol: 0 });
  await matchesCpu("scatterAdd", [t([1, 2, 3], [3], "int32"), t([2, 2, 0], [3], "int32"), t([5, 6, 7], [3], "int32")], { axis: 0 });
  await device.sync();
});

test("a fault survives later batches and is thrown by sync; the first faulting dispatch wins", async () => {
  const device = await gpuDevice();
  const x = uploadView(device, table);
  const bad = uploadView(device, t([7], [1], "int32"));
  const worse = uploadView(device, t([9], [1], "int32"));
  const good = uploadView(device, t([1], [1], "int32"));
  const y = { buffer: device.alloc(8), dtype: "float32" as const, shape: [1, 2], strides: contiguousStrides([1, 2]), offset: 0 };
  const gather = kernelFor("gather", "float32");
  const submits = device.stats.submits;
  device.launch(gather, { op: "gather", inputs: [x, bad], outputs: [y], attrs: { axis: 0 } });
  device.launch(gather, { op: "gather", inputs: [x, worse], outputs: [y], attrs: { axis: 0 } });
  for (let i = 0; i < 100; i++) device.launch(gather, { op: "gather", inputs: [x, good], outputs: [y], attrs: { axis: 0 } });
  assert.ok(device.stats.submits > submits, "the launches spanned more than one batch");
  await assert.rejects(device.sync(), { name: "ShapeError", message: "gather: index 7 is out of range for dim 0 of size 3" });
  await device.sync();
  for (const v of [x, bad, worse, good, y]) device.free(v.buffer);
});

test("in range, every index gives the exact element (no clamping of valid indices)", async () => {
  const x = t(values(40), [10, 4]);
  await matchesCpu("gather", [x, t([9, 0, 9, 5, 1], [5], "int32")], { axis: 0 }, { rtol: 0, atol: 0 });
  await matchesCpu("gather", [x, t([3, 0], [2], "int32")], { axis: -1 }, { rtol: 0, atol: 0 });
});

test("reads copy the fault record back only after a kernel that can fault", async () => {
  const device = await gpuDevice();
  await device.sync();
  const before = device.stats.faultChecks;
  await runGpu("add", [t([1, 2], [2]), t([3, 4], [2])]);
  await device.sync();
  assert.equal(device.stats.faultChecks, before);
  await runGpu("gather", [table, t([1], [1], "int32")], { axis: 0 });
  assert.equal(device.stats.faultChecks, before + 1);
  await device.sync();
  assert.equal(device.stats.faultChecks, before + 1);
});

test("gathers with different dims and axes share one pipeline (the fault's code is a parameter)", async () => {
  const device = await gpuDevice();
  await runGpu("gather", [t(values(8), [4, 2]), t([3], [1], "int32")], { axis: 0 });
  const misses = device.pipelines.stats.misses;
  await runGpu("gather", [t(values(10), [5, 2]), t([4, 1], [2], "int32")], { axis: 0 });
  await runGpu("gather", [t(values(10), [5, 2]), t([1], [1], "int32")], { axis: 1 });
  await assert.rejects(runGpu("gather", [t(values(10), [5, 2]), t([5], [1], "int32")], { axis: 0 }), /index 5 is out of range for dim 0 of size 5/);
  assert.equal(device.pipelines.stats.misses, misses);
});
