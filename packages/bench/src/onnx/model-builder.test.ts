import assert from "node:assert/strict";
import { test } from "node:test";
import * as ort from "onnxruntime-node";
import { cnnParams, syntheticBatch } from "../models/params.ts";
import { cnnOnnx, conv2dOnnx, matmulOnnx } from "./bench-models.ts";
import { ProtoWriter } from "./protobuf-writer.ts";

test("ProtoWriter encodes varints, floats and nested messages in protobuf wire format", () => {
  const bytes = new ProtoWriter()
    .int(1, 300)
    .float(2, 1)
    .message(3, (m) => m.string(1, "a"))
    .finish();
  assert.deepEqual([...bytes], [0x08, 0xac, 0x02, 0x15, 0, 0, 0x80, 0x3f, 0x1a, 3, 0x0a, 1, 0x61]);
});

test("a negative int64 is written as ten bytes", () => {
  assert.equal(new ProtoWriter().int(1, -1).finish().length, 11);
});

test("the matmul model runs in onnxruntime-node and multiplies", async () => {
  const session = await ort.InferenceSession.create(matmulOnnx(2));
  const a = new ort.Tensor("float32", Float32Array.of(1, 2, 3, 4), [2, 2]);
  const b = new ort.Tensor("float32", Float32Array.of(5, 6, 7, 8), [2, 2]);
  const out = await session.run({ a, b });
  assert.deepEqual([...(out.c!.data as Float32Array)], [19, 22, 43, 50]);
});

test("the conv2d model keeps the spatial size (same padding)", async () => {
  const shape = { batch: 1, channels: 1, size: 3, outChannels: 1, kernel: 3 };
  const session = await ort.InferenceSession.create(conv2dOnnx(shape, new Float32Array(9).fill(1)));
  const out = await session.run({ x: new ort.Tensor("float32", new Float32Array(9).fill(1), [1, 1, 3, 3]) });
  // A 3×3 box sum of ones: 4 at the corners, 6 on the edges, 9 in the middle.
  assert.deepEqual([...(out.y!.data as Float32Array)], [4, 6, 4, 6, 9, 6, 4, 6, 4]);
});

test("the CNN model gives one row of 10 logits per image", async () => {
  const session = await ort.InferenceSession.create(cnnOnnx(cnnParams(), 2));
  const out = await session.run({ x: new ort.Tensor("float32", syntheticBatch(2).images, [2, 1, 28, 28]) });
  assert.deepEqual(out.logits!.dims, [2, 10]);
});
