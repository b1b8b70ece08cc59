import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import "@polychip/devices";
import type { HostOutput } from "@polychip/engine/runtime";
import { OnnxSession } from "./session.ts";
import { expectLikeOnnxruntime, ort } from "./testing/onnxruntime.ts";

/**
 * A small 3-D CNN exported by torch.onnx.export with a dynamic batch (fixtures/pytorch/video-cnn.onnx,
 * written by scripts/export-conv3d-model.py: strided, padded, grouped, dilated and depthwise
 * Conv3d, batch norm, MaxPool3d, AdaptiveAvgPool3d, Linear). One session runs batches 1 and 3;
 * both outputs (the logits and the last feature map) must match PyTorch's own outputs, stored
 * beside the model, and onnxruntime-node.
 */
const fixture = (name: string) => readFileSync(new URL(`../fixtures/pytorch/${name}`, import.meta.url));
const model = new Uint8Array(fixture("video-cnn.onnx"));
type Stored = { shape: number[]; data: number[] };
const pytorch = JSON.parse(fixture("video-cnn-outputs.json").toString("utf8")) as {
  inputShape: number[];
  outputs: Record<string, { logits: Stored; features: Stored }>;
};

/** The script's MINSTD sequence seeded with the batch size (exact in doubles): the clips PyTorch ran. */
function clip(batch: number): Float32Array {
  let s = batch;
  const count = batch * pytorch.inputShape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: count }, () => ((s = (s * 48271) % 2147483647) / 2147483647) * 2 - 1);
}

function expectLikePytorch(got: HostOutput, want: Stored, what: string): void {
  assert.deepEqual(got.shape, want.shape, `${what} shape`);
  want.data.forEach((v, i) => assert.ok(Math.abs(got.data[i]! - v) <= 1e-4 * (1 + Math.abs(v)), `${what}[${i}]: polychip ${got.data[i]}, PyTorch ${v}`));
}

for (const device of ["cpu", "npu-sim"]) {
  test(`a PyTorch 3-D CNN export on ${device} matches PyTorch and onnxruntime at batches 1 and 3`, async () => {
    const session = await OnnxSession.create(model, { device });
    try {
      for (const batch of [1, 3]) {
        const shape = [batch, ...pytorch.inputShape];
        const data = clip(batch);
        const got = await session.run({ clip: { data, shape } });
        const want = pytorch.outputs[String(batch)]!;
        expectLikePytorch(got.logits!, want.logits, `batch ${batch} logits`);
        expectLikePytorch(got.features!, want.features, `batch ${batch} features`);
        if (ort) await expectLikeOnnxruntime(model, { clip: { data, shape, type: "float32" } }, got, 1e-5);
      }
    } finally {
      session.dispose();
    }
  });
}
