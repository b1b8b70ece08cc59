import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { OnnxSession } from "../session.ts";
import { buildModel, initializer, type GraphSpec } from "../testing/model-builder.ts";
import { expectLikeOnnxruntime, ort } from "../testing/onnxruntime.ts";

/** Scan-8 (batch axis, sequence_lens, reversed inputs) against onnxruntime-node. */
const skip = ort ? false : "onnxruntime-node is not installed";
const f32 = (name: string, shape: (number | string)[] = []) => ({ name, type: "float32" as const, shape });
const out32 = (name: string) => ({ name, type: "float32" as const });

// The state is a running max of x; each step also emits state − r and −r, with r read backwards.
const body: GraphSpec = {
  inputs: [f32("s_in", [2]), f32("x_t", [2]), f32("r_t", [2])],
  outputs: [out32("s_out"), out32("y_t"), out32("z_t")],
  nodes: [
    { op: "Max", inputs: ["s_in", "x_t"], outputs: ["s_out"] },
    { op: "Sub", inputs: ["s_out", "r_t"], outputs: ["y_t"] },
    { op: "Neg", inputs: ["r_t"], outputs: ["z_t"] },
  ],
};

function scan8Model(lengths?: number[]) {
  return buildModel({
    opset: 8,
    inputs: [f32("init", [3, 2]), f32("x", [3, 4, 2])],
    outputs: [out32("s"), out32("ys"), out32("zs")],
    nodes: [
      {
        op: "Scan",
        inputs: [lengths ? "lens" : "", "init", "x", "x"],
        outputs: ["s", "ys", "zs"],
        attrs: { num_scan_inputs: 2, directions: [0, 1], body: { graph: body } },
      },
    ],
    initializers: lengths ? [initializer("lens", lengths, [lengths.length], "int64")] : [],
  });
}

const init = Float32Array.from([0.5, -1, 2, 0, -3, 1.5]);
const x = Float32Array.from({ length: 24 }, (_, i) => Math.cos(i * 0.7) * 2 + (i % 3));

for (const [name, lengths] of [
  ["full sequences", undefined],
  ["sequence_lens 4, 2 and 1 (outputs zero past each length)", [4, 2, 1]],
] as const) {
  for (const device of ["cpu", "npu-sim"]) {
    test(`Scan-8 over a batch with ${name} equals onnxruntime on ${device}`, { skip }, async () => {
      const model = scan8Model(lengths ? [...lengths] : undefined);
      const session = await OnnxSession.create(model, { device });
      const got = await session.run({ init: { data: init, shape: [3, 2] }, x: { data: x, shape: [3, 4, 2] } });
      session.dispose();
      await expectLikeOnnxruntime(
        model,
        { init: { data: init, shape: [3, 2], type: "float32" }, x: { data: x, shape: [3, 4, 2], type: "float32" } },
        got,
        1e-6,
      );
    });
  }
}

test("Scan-8 with a sequence length of 0 keeps that element's initial state and writes zeros (onnxruntime refuses 0)", async () => {
  const session = await OnnxSession.create(scan8Model([4, 0, 4]), { device: "cpu" });
  const got = await session.run({ init: { data: init, shape: [3, 2] }, x: { data: x, shape: [3, 4, 2] } });
  assert.deepEqual(Array.from(got.s!.data.slice(2, 4)), [2, 0]);
  assert.deepEqual(Array.from(got.zs!.data.slice(8, 16)), new Array(8).fill(0));
  assert.deepEqual(Array.from(got.ys!.data.slice(8, 16)), new Array(8).fill(0));
  assert.notDeepEqual(Array.from(got.ys!.data.slice(16, 24)), new Array(8).fill(0));
});

test("Scan-8 refuses sequence_lens longer than the sequence, naming them", async () => {
  const session = await OnnxSession.create(scan8Model([4, 5, 1]), { device: "cpu" });
  await assert.rejects(session.run({ init: { data: init, shape: [3, 2] }, x: { data: x, shape: [3, 4, 2] } }), /sequence_lens \[4, 5, 1\]/);
});
