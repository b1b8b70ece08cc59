import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import "@polychip/devices";
import { fetchModel, REAL_MODELS } from "./real-models/cache.ts";
import { readOnnxModel } from "./read-model.ts";
import { ort } from "./testing/onnxruntime.ts";
import { opCounts, realModelMismatch, saveOptimized } from "./testing/ort-optimize.ts";

/**
 * Real-model suite models (real-models/models.json) optimised by onnxruntime-node at level
 * "extended", as a user who ships the optimised file would: Polychip runs the optimised model and
 * must match onnxruntime-node on the original by the suite's criterion (real-models.test.ts), on
 * cpu and npu-sim.
 * Picked for the fused ops they get and a modest run time on cpu; scripts/ort-optimize-corpus.ts
 * --check extended runs every suite model (all pass). POLYCHIP_SKIP_REAL_MODELS=1 skips them.
 */
const skip = process.env.POLYCHIP_SKIP_REAL_MODELS === "1" ? "POLYCHIP_SKIP_REAL_MODELS=1" : !ort ? "onnxruntime-node is not installed" : false;
const scratch = mkdtempSync(join(tmpdir(), "polychip-ort-optimized-real-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const PICKED: { name: string; fused: string[] }[] = [
  {
    name: "moonshine-tiny-encoder",
    fused: [
      "com.microsoft:DynamicQuantizeMatMul",
      "com.microsoft:MatMulIntegerToFloat",
      "ai.onnx:SimplifiedLayerNormalization",
      "com.microsoft:Gelu",
      "com.microsoft:FusedMatMul",
    ],
  },
  { name: "ppocr-mobile-v2-cls", fused: ["com.microsoft:FusedConv"] },
  { name: "openwakeword-hey-jarvis", fused: ["com.microsoft:FusedGemm"] },
];

for (const { name, fused } of PICKED) {
  for (const device of ["cpu", "npu-sim"]) {
    test(`${name} optimised by onnxruntime (${fused.join(", ")}) matches onnxruntime on the original on ${device}`, { skip, timeout: 600_000 }, async () => {
      const model = REAL_MODELS.find((m) => m.name === name);
      assert.ok(model, `${name} is not in real-models/models.json`);
      const original = await fetchModel(model);
      const saved = join(scratch, device, `${name}.onnx`);
      await saveOptimized(ort!, original, "extended", saved);
      const ops = opCounts(readOnnxModel(saved));
      for (const op of fused) assert.ok(ops.has(op), `onnxruntime wrote no ${op} into ${name}`);
      const mismatch = await realModelMismatch(ort!, model, original, saved, device);
      assert.equal(mismatch, undefined, `${name}: ${mismatch}`);
    });
  }
}
