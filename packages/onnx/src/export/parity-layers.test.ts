/**
 * Models built from the engine's PyTorch-parity layers (issue: SiLU, AdaptiveAvgPool2d,
 * InstanceNorm2d, PReLU and the other activations) trace, export to ONNX as compositions of
 * standard ONNX ops, and give the eager numbers in onnxruntime and after re-import.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as E from "@polychip/engine";
import { manualSeed, nn, randn, setDefaultDevice, type Tensor } from "@polychip/engine";
import { trace } from "@polychip/engine/graph";
import { execute } from "@polychip/engine/runtime";
import { importOnnx } from "../import/importer.ts";
import { expectLikeOnnxruntime, ort } from "../testing/onnxruntime.ts";
import { exportOnnx } from "./exporter.ts";

setDefaultDevice("cpu");
const noOrt = ort ? false : "onnxruntime-node is not installed";

/** Exports `fn` traced on `x`, then checks re-import and onnxruntime against the eager output. */
async function exportsLikeEager(fn: (x: Tensor) => Tensor, x: Tensor, atol = 1e-4) {
  const eager = Array.from(await fn(x).data());
  const bytes = exportOnnx(await trace(fn, [x]));
  const data = (await x.data()) as Float32Array;
  const back = await execute(importOnnx(bytes), { input: { data, shape: x.shape } }, { device: "cpu" });
  Array.from(back.output!.data).forEach((v, i) => assert.ok(Math.abs(v - eager[i]!) <= atol, `re-imported [${i}]: ${v} vs eager ${eager[i]}`));
  await expectLikeOnnxruntime(
    bytes,
    { input: { data, shape: x.shape, type: "float32" } },
    { output: { ...back.output!, data: Float32Array.from(eager) } },
    atol,
  );
}

test("a CNN with InstanceNorm2d, PReLU, SiLU and an uneven AdaptiveAvgPool2d exports and runs in onnxruntime", { skip: noOrt }, async () => {
  manualSeed(4);
  const model = new nn.Sequential(
    new nn.Conv2d(2, 4, 3, { padding: 1 }),
    new nn.InstanceNorm2d(4, 1e-5, 0.1, { affine: true }),
    new nn.PReLU(4),
    new nn.SiLU(),
    new nn.AdaptiveAvgPool2d([3, 2]),
    new nn.Flatten(),
    new nn.Linear(24, 5),
  );
  model.eval();
  await exportsLikeEager((x) => model.call(x), randn([2, 2, 7, 5]));
});

test("the other activations, adaptive max pooling, reflection padding, pixel shuffle and RMSNorm export too", { skip: noOrt }, async () => {
  manualSeed(5);
  const rms = new nn.RMSNorm(6);
  const fn = (x: Tensor) => {
    let y = E.padTrailing(x, [1, 1, 1, 0], "reflect");
    y = E.pixelShuffle(E.adaptiveMaxPool2d(y, [3, 3]), 2); // [2, 2, 6, 6]
    const acts = [
      E.leakyRelu(y, 0.1),
      E.elu(y, 0.5),
      E.selu(y),
      E.celu(y, 0.7),
      E.hardswish(y),
      E.hardsigmoid(y),
      E.mish(y),
      E.relu6(y),
      E.softsign(y),
      E.logSigmoid(y),
    ];
    const summed = acts.reduce((a, b) => E.add(a, b));
    return rms.call(E.glu(E.cat([summed, E.hardtanh(summed, -0.5, 0.5)], 3), 3));
  };
  await exportsLikeEager(fn, E.mul(randn([2, 8, 5, 6]), 3));
});
