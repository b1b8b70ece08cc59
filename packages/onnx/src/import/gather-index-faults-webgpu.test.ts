import assert from "node:assert/strict";
import { after, test } from "node:test";
import "@polychip/devices";
import { removeDevice, useDevice } from "@polychip/engine";
import { getDeviceEntry } from "@polychip/engine/core";
import { createSession, execute } from "@polychip/engine/runtime";
import type { WebGpuDevice } from "@polychip/device-webgpu";
import { OnnxSession } from "../session.ts";
import { importOnnx } from "./importer.ts";
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
    { op: "Gather", name: "pick", inputs: ["table", "ids"], outputs: ["rows"], attrs: { axis: 0 } },
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

/** The error a run rejects with, on `device`. */
async function rejection(device: string, run: (device: string) => Promise<unknown>): Promise<Error> {
  try {
    await run(device);
  } catch (err) {
    return err as Error;
  }
  throw new Error(`${device}: the run did not reject`);
}

const node = "node 1 (gather 'pick' → %rows)";

test("the fault names the ONNX node as the cpu device's launch-time error does (OnnxSession, every run)", { skip }, async () => {
  const messages: Record<string, string[]> = { cpu: [], webgpu: [] };
  for (const device of ["cpu", "webgpu"]) {
    // Three runs of one signature: node by node, then from a plan.
    await withSession(device, async (run) => {
      for (let k = 0; k < 3; k++) {
        const err = await rejection(device, () => run([0, 5]));
        assert.equal(err.name, "ShapeError", device);
        messages[device]!.push(err.message);
      }
    });
  }
  assert.deepEqual(messages.cpu, Array(3).fill(`${node}: gather: index 5 is out of range for dim 0 of size 3`));
  assert.deepEqual(messages.webgpu, messages.cpu);
});

test("importOnnx + execute: the fault names the node alike on cpu and webgpu", { skip }, async () => {
  const graph = importOnnx(model);
  const run = (device: string) => execute(graph, { ids: { data: [3, 1], shape: [2], dtype: "int32" } }, { device });
  const [cpu, webgpu] = [await rejection("cpu", run), await rejection("webgpu", run)];
  assert.equal(cpu.message, `${node}: gather: index 3 is out of range for dim 0 of size 3`);
  assert.equal(webgpu.message, cpu.message);
  assert.equal(webgpu.name, cpu.name);
});

test("many planned runs without a read keep one fault code for the node; a read after them is clean", { skip }, async () => {
  const device = getDeviceEntry("webgpu").device as WebGpuDevice;
  const session = await createSession(importOnnx(model), { device: "webgpu" });
  try {
    await device.sync();
    for (let k = 0; k < 40; k++) {
      const outputs = await session.runViews({ ids: { data: [k % 3, 2], shape: [2], dtype: "int32" } });
      for (const v of Object.values(outputs)) v.storage.release();
    }
    assert.ok(session.planCount >= 1, "the runs used a plan");
    assert.equal(device.faultCodes, 1);
    const out = await session.run({ ids: { data: [1, 0], shape: [2], dtype: "int32" } });
    assert.deepEqual(Array.from(out.y!.data as Float32Array), [3, 4, 1, 2]);
    assert.equal(device.faultCodes, 0);
  } finally {
    session.dispose();
  }
});

test("a known index below -dim is reported as the model gave it, on cpu and webgpu alike", { skip }, async () => {
  const fixedIds = buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: [3, 2] }],
    outputs: [{ name: "y", type: "float32" }],
    initializers: [initializer("ids", [-4, -1], [2], "int64")],
    nodes: [{ op: "Gather", name: "pick", inputs: ["x", "ids"], outputs: ["y"], attrs: { axis: 0 } }],
  });
  const graph = importOnnx(fixedIds);
  const run = (device: string) => execute(graph, { x: { data: [1, 2, 3, 4, 5, 6], shape: [3, 2] } }, { device });
  const [cpu, webgpu] = [await rejection("cpu", run), await rejection("webgpu", run)];
  assert.match(cpu.message, /^node \d+ \(gather 'pick' → %y\): gather: index -4 is out of range for dim 0 of size 3$/);
  assert.equal(webgpu.message, cpu.message);
});
