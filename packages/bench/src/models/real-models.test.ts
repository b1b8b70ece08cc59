import assert from "node:assert/strict";
import { test } from "node:test";
import { AGREEMENT_TOLERANCE, runPass } from "../pass.ts";
import { createRunner } from "../runners/index.ts";
import { SMOKE_SAMPLING } from "../sampling.ts";
import { realModelCases } from "./real-models.ts";

// The suite's models come from npm packages through @polychip/onnx's cache (offline: a cache hit or nothing).
const skip = process.env.POLYCHIP_SKIP_REAL_MODELS === "1" ? "POLYCHIP_SKIP_REAL_MODELS=1" : false;

test("--models lists every model of the suite that has inputs, with its input shape", () => {
  const ids = realModelCases().map((c) => c.id);
  assert.ok(ids.includes("model-ppocr-v4-det") && ids.includes("model-silero-vad-lstm"), ids.join(", "));
  assert.match(realModelCases().find((c) => c.id === "model-ppocr-v4-det")!.title, /\[1×3×96×128\]/);
});

test("a real model runs on Polychip, onnxruntime-web and onnxruntime-node in one pass, outputs agreeing", { skip }, async () => {
  const cases = realModelCases().filter((c) => c.id === "model-openwakeword-hello-deepa");
  const pass = await runPass({ threads: 1, cases, runners: ["polychip", "ort-web", "ort-node", "tfjs-wasm"].map(createRunner), sampling: SMOKE_SAMPLING });
  const entries = pass.cases[0]!.entries;
  assert.equal(entries["tfjs-wasm"], undefined, "tfjs reads no ONNX: not a runner of the model cases");
  for (const id of ["polychip", "ort-web"]) {
    const e = entries[id]!;
    assert.equal(e.status, "ok", `${id}: ${JSON.stringify(e)}`);
    if (e.status !== "ok") continue;
    assert.equal(e.agreement?.vs, "ort-node");
    assert.ok(e.agreement!.relativeDifference < AGREEMENT_TOLERANCE, `${id}: ${e.agreement!.relativeDifference}`);
  }
  assert.equal(entries["ort-node"]!.status, "ok");
});
