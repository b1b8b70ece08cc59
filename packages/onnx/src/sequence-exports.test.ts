import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, test } from "node:test";
import "@polychip/devices";
import { PolychipError } from "@polychip/hal";
import { removeDevice, useDevice } from "@polychip/engine";
import type { HostOutput } from "@polychip/engine/runtime";
import { OnnxSession } from "./session.ts";
import { ort } from "./testing/onnxruntime.ts";

/**
 * torch.jit.script modules working on Python lists (fixtures/pytorch, written by
 * scripts/export-pytorch-lists.py). lists.onnx: torch.split → SplitToSequence, a for loop
 * appending to a list → a Loop carrying a sequence, torch.cat → ConcatFromSequence, the list itself
 * → a sequence output. One session per device runs several row counts (odd ones leave a short last
 * chunk), and must match onnxruntime-node. onnxruntime-node cannot return a sequence, so the list
 * output is checked against its rows of onnxruntime's concatenated `y` (torch.split(x, 2) then cat).
 * list-filter.onnx keeps the rows whose sum is positive (an If on data in the Loop), so the list's
 * length depends on the values: OnnxSession computes each condition per run.
 */
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/pytorch/${name}`, import.meta.url)));
const bytes = fixture("lists.onnx");
const ROWS = [5, 8, 1];

function inputOf(rows: number, width = 4): { data: Float32Array; shape: number[] } {
  return { data: Float32Array.from({ length: rows * width }, (_, i) => Math.sin(i * 0.7 + rows)), shape: [rows, width] };
}

function assertClose(got: HostOutput, want: { dims: readonly number[]; data: ArrayLike<number> }, what: string, offset = 0): void {
  assert.deepEqual(got.shape, [...want.dims], `${what} shape`);
  got.data.forEach((v, i) => {
    const w = want.data[offset + i]!;
    assert.ok(Math.abs(v - w) <= 1e-5 * (1 + Math.abs(w)), `${what}[${i}]: polychip ${v}, onnxruntime ${w}`);
  });
}

const webgpu = await useDevice("webgpu").then(
  () => undefined,
  (err: Error) => `no WebGPU adapter here: ${err.message}`,
);
after(() => removeDevice("webgpu"));

for (const device of ["cpu", "npu-sim", "webgpu"]) {
  const skip = !ort ? "onnxruntime-node is not installed" : device === "webgpu" ? (webgpu ?? false) : false;
  test(`PyTorch's list program runs ${ROWS.join(", ")} rows in one ${device} session, matching onnxruntime-node`, { skip }, async () => {
    const session = await OnnxSession.create(bytes, { device });
    const reference = await ort!.InferenceSession.create(bytes);
    try {
      for (const rows of ROWS) {
        const x = inputOf(rows);
        const want = await reference.run({ x: new ort!.Tensor("float32", x.data, x.shape) }, ["y", "total"]);
        const got = await session.runValues({ x });
        assertClose(got.y as HostOutput, want.y as never, `y at ${rows} rows`);
        assertClose(got.total as HostOutput, want.total as never, `total at ${rows} rows`);
        const parts = got.parts as HostOutput[];
        assert.ok(Array.isArray(parts), "parts is returned as an array");
        assert.equal(parts.length, Math.ceil(rows / 2), `parts at ${rows} rows`);
        parts.forEach((p, i) => {
          const n = Math.min(2, rows - 2 * i);
          assertClose(p, { dims: [n, 4], data: (want.y as { data: Float32Array }).data }, `parts[${i}] at ${rows} rows`, 2 * i * 4);
        });
      }
    } finally {
      session.dispose();
      await reference.release();
    }
  });
}

for (const device of ["cpu", "npu-sim", "webgpu"]) {
  const skip = !ort ? "onnxruntime-node is not installed" : device === "webgpu" ? (webgpu ?? false) : false;
  test(`PyTorch's list filter (a list as long as the data says) matches onnxruntime-node on ${device}`, { skip }, async () => {
    const model = fixture("list-filter.onnx");
    // Each row's If condition is a value computed per run: one prefix plan per condition, kept for the next run.
    const session = await OnnxSession.create(model, { device, maxPlans: 32 });
    const reference = await ort!.InferenceSession.create(model);
    try {
      for (const rows of [5, 7, 5]) {
        const x = inputOf(rows, 3);
        const want = await reference.run({ x: new ort!.Tensor("float32", x.data, x.shape) });
        assertClose((await session.run({ x })).y!, want.y as never, `y at ${rows} rows`);
      }
    } finally {
      session.dispose();
      await reference.release();
    }
  });
}

test("run() refuses a model with a sequence output, pointing to runValues", async () => {
  const session = await OnnxSession.create(bytes, { device: "cpu" });
  try {
    // Also after runValues planned the same shapes (the last-run shortcut must not hand out the bare tensors).
    await session.runValues({ x: inputOf(3) });
    await assert.rejects(session.run({ x: inputOf(3) }), (err: Error) => err instanceof PolychipError && /'parts' is a sequence.*runValues/.test(err.message));
  } finally {
    session.dispose();
  }
});
