/**
 * The Fashion-MNIST MLP (784-128-10, `polychip train --model mlp`) trained for 100 steps on webgpu
 * and on cpu from the same initial weights, over the same batches, through the CLI's own training
 * loop: the two loss curves agree step by step within 1e-3 relative. In CI webgpu is Dawn on
 * SwiftShader (about 0.5-1 s of CPU per step there), so this is the slowest webgpu test.
 *
 * It lives in the CLI package because the model, the loop and the data belong to the CLI and
 * @polychip/datasets.
 */
import { after, before, test } from "node:test";
import "@polychip/devices";
import assert from "node:assert/strict";
import { isWebGpuAvailable } from "@polychip/device-webgpu";
import { fallbackReport, manualSeed, removeDevice, setDefaultDevice, useDevice } from "@polychip/engine";
import { loadFashionMnist } from "@polychip/datasets";
import { mlp } from "./models.ts";
import { train } from "./training.ts";

const NO_WEBGPU = (await isWebGpuAvailable()) ? false : "no WebGPU adapter: install chromium and libvulkan1 (Dawn then runs on Chromium's SwiftShader)";

const STEPS = 100;
const BATCH = 64;
const LR = 1e-3;
const SEED = 1;
/**
 * The bound. The curves agree to ~1e-7 until step 61, then part by up to 8.0e-4. That is
 * float32 sensitivity of this run, not a webgpu error: flipping the last bit of 1% of the cpu's
 * initial weights makes the cpu curve part from itself the same way at the same step, and the
 * webgpu curve stays within 6e-7 of that perturbed cpu curve over all 100 steps.
 */
const RELATIVE = 1e-3;

before(async () => {
  if (!NO_WEBGPU) await useDevice("webgpu");
});
after(() => removeDevice("webgpu"));

test("the Fashion-MNIST MLP trains for 100 steps on webgpu with the cpu's loss curve", { skip: NO_WEBGPU }, async () => {
  const data = await loadFashionMnist({ subset: true });
  manualSeed(SEED);
  const onCpu = mlp();
  // Built on webgpu (its own random init), then overwritten with the cpu weights.
  setDefaultDevice("webgpu");
  const onGpu = mlp();
  setDefaultDevice("cpu");
  onGpu.loadStateDict(onCpu.stateDict());
  for (const [name, p] of onGpu.stateDict()) {
    assert.equal(p.device, "webgpu", name);
    assert.deepEqual(await p.data(), await onCpu.stateDict().get(name)!.data(), `${name} copied from cpu`);
  }

  const curve = async (model: typeof onCpu, device: string) => {
    const losses: number[] = [];
    const options = { epochs: 1, batchSize: BATCH, lr: LR, device, seed: SEED, progress: false, maxSteps: STEPS };
    await train(model, data.train, { ...options, onStep: (_step, loss) => void losses.push(loss) });
    return losses;
  };
  const cpuLosses = await curve(onCpu, "cpu");
  const gpuLosses = await curve(onGpu, "webgpu");
  onCpu.dispose();
  onGpu.dispose();

  assert.equal(cpuLosses.length, STEPS);
  assert.equal(gpuLosses.length, STEPS);
  const relative = gpuLosses.map((l, i) => Math.abs(l - cpuLosses[i]!) / Math.abs(cpuLosses[i]!));
  const worst = relative.indexOf(Math.max(...relative));
  // Read in the test log: the figure the issue asks for.
  console.log(`webgpu vs cpu loss over ${STEPS} steps: max relative difference ${relative[worst]!.toExponential(2)} at step ${worst + 1}`);
  assert.ok(relative[worst]! <= RELATIVE, `step ${worst + 1}: webgpu loss ${gpuLosses[worst]}, cpu loss ${cpuLosses[worst]} (relative ${relative[worst]})`);
  // The run learned something, so agreeing curves are not two flat lines.
  assert.ok(cpuLosses.at(-1)! < cpuLosses[0]! * 0.6, `loss went from ${cpuLosses[0]} to ${cpuLosses.at(-1)}`);
  assert.deepEqual(
    fallbackReport().filter((r) => r.device === "webgpu"),
    [],
    "every training op ran on webgpu",
  );
});
