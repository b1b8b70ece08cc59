import assert from "node:assert/strict";
import { test } from "node:test";
import { setDefaultDevice, sort, tensor, topk, type Tensor } from "@polychip/engine";
import { trace } from "@polychip/engine/graph";
import { execute } from "@polychip/engine/runtime";
import { importOnnx } from "../import/importer.ts";
import { loadOnnxRuntime } from "../testing/onnxruntime.ts";
import { exportOnnx } from "./exporter.ts";

setDefaultDevice("cpu");
const ort = await loadOnnxRuntime();

/** Rows with ties, so the stable order is what is checked. */
const x = Float32Array.from({ length: 3 * 40 }, (_, i) => Math.round(Math.cos(i * 7.3) * 6) / 2);
const sortAndTopk = (t: Tensor) => [...sort(t, 1, true), topk(t, 5, 1, false)[1]];

test("a traced sort and topk export to ONNX TopK and come back, equal to eager and to onnxruntime", async () => {
  const input = tensor(x, { shape: [3, 40] });
  const eager = await Promise.all(sortAndTopk(input).map(async (t) => Array.from(await t.data())));
  const bytes = exportOnnx(await trace(sortAndTopk, [input]));
  const back = await execute(importOnnx(bytes), { input: { data: x, shape: [3, 40] } }, { device: "cpu" });
  ["output0", "output1", "output2"].forEach((name, i) => assert.deepEqual(Array.from(back[name]!.data), eager[i], `${name} after import`));
  if (ort) {
    const session = await ort.InferenceSession.create(bytes);
    const theirs = await session.run({ input: new ort.Tensor("float32", x, [3, 40]) });
    ["output0", "output1", "output2"].forEach((name, i) =>
      assert.deepEqual(Array.from(theirs[name]!.data as ArrayLike<number>, Number), eager[i], `${name} in onnxruntime`),
    );
    await session.release();
  }
});
