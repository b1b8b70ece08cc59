import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeHost } from "../core/host.ts";
import { tensor } from "../ops/creation.ts";
import { graph, info, init, node } from "../graph/testing.ts";
import { loadCheckpoint, saveCheckpoint } from "../checkpoint/checkpoint.ts";
import { parseModel, serializeModel } from "./model-file.ts";

/**
 * Node hands file contents out as Buffers carved from a shared pool (readFileSync of a small file,
 * Buffer.from): the bytes start at a non-zero byteOffset of a larger ArrayBuffer. Every loader must
 * read from the view it was given, never from offset 0 of `.buffer`.
 */
function byteSources(bytes: Uint8Array): [string, ArrayBufferView][] {
  Buffer.from("shift the pool so the next Buffer starts mid-slab");
  const pooled = Buffer.from(bytes);
  const padded = new Uint8Array(bytes.byteLength + 13);
  padded.set(bytes, 13);
  const aligned = new Uint8Array(bytes.byteLength + 64);
  aligned.set(bytes, 64);
  return [
    ["a pool-backed Buffer", pooled],
    ["a Buffer view at an odd offset", Buffer.from(padded.buffer, 13, bytes.byteLength)],
    ["a Uint8Array subarray at an odd offset", padded.subarray(13)],
    ["a DataView at an aligned offset", new DataView(aligned.buffer, 64, bytes.byteLength)],
  ];
}

test("the byte sources under test really are views that do not start at offset 0", () => {
  for (const [what, view] of byteSources(new Uint8Array(100))) assert.ok(view.byteOffset > 0, what);
});

test("loadCheckpoint reads the right weights from every kind of byte view", async () => {
  const weights = [0.019, -2.5, 3.25, 1e-3];
  const bytes = await saveCheckpoint(
    new Map([
      ["w", tensor(weights)],
      ["i", tensor([7, -8], { dtype: "int32" })],
      ["h", tensor([0.5, 2], { dtype: "float16" })],
    ]),
  );
  for (const [what, view] of byteSources(bytes)) {
    const { state } = loadCheckpoint(view);
    assert.deepEqual(Array.from(await state.get("w")!.data()), Array.from(Float32Array.from(weights)), what);
    assert.deepEqual(Array.from(await state.get("i")!.data()), [7, -8], what);
    assert.deepEqual(Array.from(await state.get("h")!.data()), [0.5, 2], what);
  }
});

test("parseModel reads the right initializers from every kind of byte view", () => {
  const g = graph({
    name: "tiny",
    inputs: [info("x", [2])],
    outputs: [info("y", [2])],
    initializers: [init("w", [2], [0.019, -4]), init("k", [2], [3, 1], "int32")],
    nodes: [node("mul", ["x", "w"], "y")],
  });
  for (const [what, view] of byteSources(serializeModel(g))) {
    const back = parseModel(view);
    assert.deepEqual(Array.from(back.initializers[0]!.data), Array.from(Float32Array.from([0.019, -4])), what);
    assert.deepEqual(Array.from(back.initializers[1]!.data), [3, 1], what);
  }
});

test("decodeHost decodes a pool-backed Buffer from its own offset", () => {
  const floats = Float32Array.from([1.5, -2, 0.25]);
  for (const [what, view] of byteSources(new Uint8Array(floats.buffer))) {
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    // @types/node 20.9's Buffer does not type-check as a Uint8Array under TS 5.9; at run time it is one.
    const asBuffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as unknown as Uint8Array;
    assert.deepEqual(Array.from(decodeHost(asBuffer, "float32", 3)), [1.5, -2, 0.25], what);
  }
});
