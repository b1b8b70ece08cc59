import assert from "node:assert/strict";
import { after, test } from "node:test";
import "@polychip/devices";
import { removeDevice, useDevice } from "@polychip/engine";
import { OnnxSession } from "../session.ts";
import { buildModel, initializer } from "../testing/model-builder.ts";

/**
 * A Gather whose indices arrive at run time: the webgpu device cannot stop its shader, so it records
 * an index out of range as a fault and the run rejects with the cpu device's ShapeError, where it
 * used to clamp the index and answer with the last row.
 */
const skip: string | false = await useDevice("webgpu").then(
  () => false as const,
  (err: Error) => `no WebGPU adapter here: ${err.message}`,
);
after(() => removeDevice("webgpu"));

const model = buildModel({
  opset: 13,
  inputs: [{ name: "ids", type: "int64", shape: [2] }],
  outputs: [{ name: "y", type: "float32" }],
  initializers: [initializer("table", [1, 2, 3, 4, 5, 6], [3, 2])],
  nodes: [
    { op: "Gather", inputs: ["table", "ids"], outputs: ["rows"], attrs: { axis: 0 } },
    { op: "Relu", inputs: ["rows"], outputs: ["y"] },
  ],
});

async function withSession(device: string, fn: (run: (ids: number[]) => Promise<number[]>) => Promise<void>): Promise<void> {
  const session = await OnnxSession.create(model, { device });
  try {
    await fn(async (ids) => Array.from((await session.run({ ids: { data: ids, shape: [2] } })).y!.data as Float32Array));
  } finally {
    session.dispose();
  }
}

test("an index past the end rejects on webgpu with the cpu device's error", { skip }, async () => {
  for (const device of ["cpu", "webgpu"]) {
    await withSession(device, async (run) => {
      await assert.rejects(run([0, 5]), { name: "ShapeError", message: /gather: index 5 is out of range for dim 0 of size 3/ }, device);
    });
  }
});

test("an index below -dim rejects (the importer adds dim to a negative index; the device sees -1)", { skip }, async () => {
  await withSession("webgpu", async (run) => {
    await assert.rejects(run([1, -4]), { name: "ShapeError", message: /gather: index -1 is out of range for dim 0 of size 3/ });
  });
});

test("in-range indices, negative ones too, give the rows; a run after a fault is clean", { skip }, async () => {
  await withSession("webgpu", async (run) => {
    assert.deepEqual(await run([2, -3]), [5, 6, 1, 2]);
    await assert.rejects(run([3, 0]), /index 3 is out of range/);
    assert.deepEqual(await run([-1, 1]), [5, 6, 3, 4]);
    assert.deepEqual(await run([0, 0]), [1, 2, 1, 2]);
  });
});
