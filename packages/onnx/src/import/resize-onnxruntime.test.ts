import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, test } from "node:test";
import "@polychip/devices";
import { removeDevice, useDevice } from "@polychip/engine";
import { execute } from "@polychip/engine/runtime";
import { RESIZE_CASES, resizeCaseInput, resizeCaseModel } from "../testing/resize-cases.ts";
import { importOnnx } from "./importer.ts";

/** onnxruntime-node's outputs for RESIZE_CASES (scripts/generate-resize-fixtures.ts). */
const fixture = JSON.parse(readFileSync(new URL("../../fixtures/resize-onnxruntime.json", import.meta.url), "utf8")) as {
  outputs: Record<string, { shape: number[]; y: string }>;
};

const webgpu: string | false = await useDevice("webgpu").then(
  () => false as const,
  (err: Error) => `no WebGPU adapter here: ${err.message}`,
);
after(() => removeDevice("webgpu"));

function expected(name: string): { shape: number[]; bits: Uint32Array } {
  const entry = fixture.outputs[name];
  assert.ok(entry, `the fixture has no output for '${name}': rerun scripts/generate-resize-fixtures.ts`);
  const bytes = Buffer.from(entry.y, "base64");
  return { shape: entry.shape, bits: new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) };
}

/** Distance in float32 steps (same-sign values; a sign change counts as far apart). */
const ulps = (a: number, b: number) => ((a ^ b) >>> 31 ? Infinity : Math.abs(a - b));

// The lowering is shared, so every device computes onnxruntime's sum; WGSL compilers may contract
// a mul and the following add into a fused multiply-add, which can move a result by one ulp.
const DEVICES: readonly { device: string; maxUlp: number; skip: string | false }[] = [
  { device: "cpu", maxUlp: 0, skip: false },
  { device: "npu-sim", maxUlp: 0, skip: false },
  { device: "webgpu", maxUlp: 1, skip: webgpu },
];

for (const { device, maxUlp, skip } of DEVICES) {
  test(`linear Resize equals onnxruntime on ${device} (at most ${maxUlp} ulp) in every case`, { skip }, async () => {
    const failures: string[] = [];
    for (const c of RESIZE_CASES) {
      const want = expected(c.name);
      const { y } = await execute(importOnnx(resizeCaseModel(c)), { x: { data: resizeCaseInput(c), shape: [...c.shape] } }, { device });
      assert.deepEqual(y!.shape, want.shape, c.name);
      const got = new Uint32Array(Float32Array.from(y!.data as Float32Array).buffer);
      const off = [...got.keys()].filter((i) => ulps(got[i]!, want.bits[i]!) > maxUlp);
      const show = (bits: number) => new Float32Array(Uint32Array.of(bits).buffer)[0];
      if (off.length > 0)
        failures.push(`${c.name}: ${off.length} of ${got.length} differ, e.g. [${off[0]}] ${show(got[off[0]!]!)} vs ${show(want.bits[off[0]!]!)}`);
    }
    assert.deepEqual(failures, []);
  });
}
