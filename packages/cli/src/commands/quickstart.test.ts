import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { deploymentTable, quickstartCommand, type DeploymentRow } from "./quickstart.ts";

test("quickstart: the model deployed from its .pcm file scores exactly the trained accuracy on cpu, then every device gets a row", async () => {
  const dir = await mkdtemp(join(tmpdir(), "polychip-quickstart-"));
  try {
    const result = await quickstartCommand({ model: "mlp", epochs: 1, subset: true, maxSteps: 20, outDir: dir, quiet: true, deployImages: 500 });
    assert.equal(result.data, "embedded");
    assert.ok(result.testAccuracy > 0.3, `trained accuracy ${result.testAccuracy}`);
    assert.equal(result.deployedAccuracy, result.testAccuracy);
    assert.ok(result.modelBytes > 400_000);

    // The final table: every device, on the same 500 test images.
    assert.equal(result.deployImages, 500);
    assert.deepEqual(
      result.deployments.map((r) => `${r.device} ${r.precision}`),
      ["cpu fp32", "webgpu fp32", "npu-sim fp16", "npu-sim int8", "npu-sim-edge int8"],
    );
    const [cpu, webgpu, fp16, int8, edge] = result.deployments as [DeploymentRow, DeploymentRow, DeploymentRow, DeploymentRow, DeploymentRow];
    assert.equal(cpu.simulated, false);
    assert.ok(webgpu.unavailable !== undefined ? webgpu.unavailable.length > 0 : Math.abs(webgpu.accuracy! - cpu.accuracy!) <= 0.004, JSON.stringify(webgpu));
    for (const npu of [fp16, int8, edge]) {
      assert.equal(npu.simulated, true);
      assert.deepEqual(npu.fallbacks, []);
    }
    assert.ok(Math.abs(fp16.accuracy! - cpu.accuracy!) <= 0.004, `fp16 ${fp16.accuracy} vs fp32 ${cpu.accuracy}`);
    assert.ok(Math.abs(int8.accuracy! - cpu.accuracy!) <= 0.02, `int8 ${int8.accuracy} vs fp32 ${cpu.accuracy}`);
    assert.ok(int8.latencyMs! < fp16.latencyMs!, `int8 ${int8.latencyMs} vs fp16 ${fp16.latencyMs} ms per image`);
    // The edge profile runs the same int8 model to the same answers, slower: one narrow core.
    assert.equal(edge.accuracy, int8.accuracy);
    assert.ok(edge.latencyMs! > 4 * int8.latencyMs!, `edge ${edge.latencyMs} vs mlu-class ${int8.latencyMs} ms per image`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the deployment table pads its columns and says why a device is unavailable", () => {
  const lines = deploymentTable([
    { device: "cpu", precision: "fp32", accuracy: 0.8512, latencyMs: 0.0123, simulated: false, fallbacks: [] },
    { device: "webgpu", precision: "fp32", fallbacks: [], unavailable: "no WebGPU adapter" },
    { device: "npu-sim", precision: "int8", accuracy: 0.85, latencyMs: 0.0004, simulated: true, fallbacks: ["gather (float32)"] },
  ]);
  assert.deepEqual(lines.slice(1), [
    "device   precision  accuracy  latency / image (batch 64)  fell back to cpu",
    "-------  ---------  --------  --------------------------  ----------------",
    "cpu      fp32       85.12%    12.3 µs (measured)          none",
    "webgpu   fp32       —         unavailable: no WebGPU adapter",
    "npu-sim  int8       85.00%    400 ns (simulated)          gather (float32)",
  ]);
});
