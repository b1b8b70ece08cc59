import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { loadFashionMnist } from "@polychip/datasets";
import { fallbackReport, manualSeed, registerPlugin, resetFallbackReport, setDefaultDevice, setDeviceDeadline, setWarningHandler } from "@polychip/engine";
import { DeviceTimeoutError } from "@polychip/hal";
import { mlp } from "./models.ts";
import { runCli, type CliRun } from "./testing/cli-process.ts";
import { faultPlugin } from "./testing/fault-plugin.ts";
import { inTempDir } from "./testing/temp-dir.ts";
import { train } from "./training.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const PRELOAD = here("./testing/fault-preload.ts");
const DEADLINE_MS = 1500;

async function losses(device: string, steps: number): Promise<number[]> {
  manualSeed(11);
  const data = await loadFashionMnist({ subset: true });
  setDefaultDevice(device);
  const model = mlp();
  const out: number[] = [];
  try {
    await train(model, data.train, { epochs: 1, batchSize: 32, lr: 1e-3, device, seed: 11, progress: false, maxSteps: steps, onStep: (_s, l) => out.push(l) });
  } finally {
    setDefaultDevice("cpu");
    model.dispose();
  }
  return out;
}

test("training on a device whose kernels throw 5% of the time continues on CPU fallback with bit-identical losses", async () => {
  setWarningHandler(() => {});
  resetFallbackReport();
  await registerPlugin(faultPlugin("faulty-throw", { kind: "throw", op: "relu", rate: 0.05 }));
  await registerPlugin(faultPlugin("faulty-matmul", { kind: "throw", op: "matmul", rate: 0.05 }));
  const reference = await losses("cpu", 12);
  assert.deepEqual(await losses("faulty-throw", 12), reference);
  assert.deepEqual(await losses("faulty-matmul", 12), reference);
  const fellBack = fallbackReport().filter((r) => r.device.startsWith("faulty-") && /injected fault/.test(r.reason));
  assert.ok(fellBack.length > 0 && fellBack.every((r) => r.count > 0), `the faults really struck: ${JSON.stringify(fellBack)}`);
});

test("training on a device whose reads never settle ends in a DeviceTimeoutError within twice the deadline", async () => {
  await registerPlugin(faultPlugin("faulty-hang", { kind: "hang" }));
  const previous = setDeviceDeadline({ baseMs: 300, msPerMiB: 0 });
  const started = performance.now();
  try {
    await assert.rejects(
      losses("faulty-hang", 3),
      (e: Error) => e instanceof DeviceTimeoutError && /device 'faulty-hang': read of float32\[\] \(4 bytes\) did not finish within 300 ms/.test(e.message),
    );
  } finally {
    setDeviceDeadline(previous);
  }
  assert.ok(performance.now() - started < 2 * 300 + 1000, "data loading aside, the run ended at the deadline");
});

/** `polychip train` on the 'faulty' device with the given fault; how long it ran after the fault struck. */
async function trainWithFault(fault: string, dir: string): Promise<CliRun & { afterFaultMs: number }> {
  const run = await runCli(["train", "--device", "faulty", "--subset", "--max-steps", "3", "--json", "--out", join(dir, `${fault.replace(/:/g, "-")}.pcck`)], {
    preload: PRELOAD,
    env: { POLYCHIP_FAULT: fault, POLYCHIP_DEVICE_TIMEOUT_MS: String(DEADLINE_MS) },
    killAfterMs: 60_000,
  });
  const struck = Number(/fault-injected-at-ms:(\d+)/.exec(run.stderr)?.[1]);
  assert.ok(Number.isFinite(struck), `${fault}: the fault struck (stderr: ${run.stderr})`);
  return { ...run, afterFaultMs: Date.now() - struck };
}

test("through the CLI, NaN, a hung read and a looping kernel each end in a named error and a non-zero exit within twice the deadline", async () => {
  await inTempDir(async (dir) => {
    const [nan, hang, loop] = await Promise.all(["nan:relu", "hang", "loop:relu"].map((f) => trainWithFault(f, dir)));
    const checks: [string, CliRun & { afterFaultMs: number }, RegExp][] = [
      ["nan", nan!, /NonFiniteError: train: step 1 \(epoch 1\): loss NaN.*op 'relu' on 'faulty' produced NaN .*its inputs were finite/],
      ["hang", hang!, /DeviceTimeoutError: device 'faulty': read of .* did not finish within 1500 ms/],
      ["loop", loop!, /DeviceTimeoutError: kernel relu \(inputs float32\[64, 128\]\) on 'faulty' has not returned for \d+ ms/],
    ];
    for (const [what, run, message] of checks) {
      assert.ok(run.code !== 0, `${what}: non-zero exit (code ${run.code}, signal ${run.signal})`);
      assert.match(run.stderr, message, what);
      assert.ok(run.afterFaultMs < 2 * DEADLINE_MS, `${what}: ended ${run.afterFaultMs} ms after the fault struck`);
      assert.ok(!run.stderr.includes("    at "), `${what}: no stack trace`);
    }
    assert.equal(nan!.code, 1);
    assert.equal(hang!.code, 1);
    assert.equal(loop!.signal, "SIGKILL", "the watchdog stops a process whose main thread is stuck");
  });
});

test("a command whose work never settles exits 1 with a message instead of 0", async () => {
  const guard = here("./exit-guard.ts");
  const script = `import { runToExit } from ${JSON.stringify(guard)}; runToExit(() => new Promise(() => {}));`;
  const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), "--input-type=module", "-e", script], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stderr }));
  });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /polychip: the command did not finish: nothing was left to run while its work was still pending/);
});
