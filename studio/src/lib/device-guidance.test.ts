import { test } from "node:test";
import assert from "node:assert/strict";
import type { DeviceReport, FallbackInfo } from "../worker/protocol.ts";
import { deviceGuidance, dryFallbackNote, recordFallbacks } from "./device-guidance.ts";

const device = (name: string, extra: Partial<DeviceReport> = {}): DeviceReport => ({
  name,
  available: true,
  details: {},
  features: [],
  dtypes: [],
  limits: {},
  ...extra,
});
const tanh: FallbackInfo = { device: "npu-sim", op: "tanh", dtype: "float32", reason: "no tanh kernel", count: 3, bytesToHost: 1024, bytesToDevice: 1024 };

test("the cpu needs no guidance", () => {
  assert.deepEqual(deviceGuidance(device("cpu"), undefined), []);
});

test("a software adapter is called out with its name", () => {
  const [g] = deviceGuidance(device("webgpu", { softwareAdapter: true, details: { architecture: "swiftshader" } }), undefined);
  assert.equal(g!.level, "warn");
  assert.match(g!.text, /software adapter \(swiftshader\)/);
});

test("the last run's fallbacks on the device are listed with the bytes moved", () => {
  const [g] = deviceGuidance(device("npu-sim", { noKernel: ["exp"] }), [tanh]);
  assert.match(g!.text, /1 op fell back to the CPU: tanh \(float32\) ×3; 2\.0 KiB moved/);
});

test("before any run, the ops without a kernel are named", () => {
  const [g] = deviceGuidance(device("npu-sim", { noKernel: ["exp", "log", "tanh"] }), undefined);
  assert.equal(g!.level, "info");
  assert.match(g!.text, /no kernel for 3 primitive ops \(exp, log, tanh\)/);
});

test("a run records the fallbacks per device and marks its own device clean", () => {
  const seen = recordFallbacks({ webgpu: [tanh] }, "cpu", [tanh]);
  assert.deepEqual(seen, { webgpu: [tanh], cpu: [], "npu-sim": [tanh] });
  assert.deepEqual(recordFallbacks(seen, "npu-sim", [])["npu-sim"], []);
});

test("after a run elsewhere, only the missing kernels that run used are named as what will fall back", () => {
  const npu = device("npu-sim", { noKernel: ["tanh", "erf", "gather"] });
  const [g] = deviceGuidance(npu, undefined, { device: "cpu", ops: ["matmul", "tanh", "add"] });
  assert.equal(g!.level, "warn");
  assert.match(g!.text, /Your last run \(on cpu\) used 1 op npu-sim has no kernel for: tanh\. On npu-sim they will run on the CPU/);
  const [clean] = deviceGuidance(npu, undefined, { device: "cpu", ops: ["matmul"] });
  assert.deepEqual(clean, { level: "info", text: "Every op your last run (on cpu) used has a kernel on npu-sim." });
});

const dry = (state: "checking" | "done" | "unfinished" | "failed", fallback: FallbackInfo[] = []) => ({
  device: "npu-sim",
  code: "c1",
  state,
  fallback,
  limitS: 20,
});

test("a dry run of this code names the ops that will fall back, in place of older reports", () => {
  const maxPool: FallbackInfo = { ...tanh, op: "maxPool2d", dtype: "int32", count: 1, bytesToHost: 512, bytesToDevice: 128 };
  const g = deviceGuidance(device("npu-sim", { noKernel: ["exp"] }), [tanh], undefined, dry("done", [maxPool, { ...tanh, device: "webgpu" }]));
  assert.equal(g.length, 1);
  assert.equal(g[0]!.level, "warn");
  assert.match(g[0]!.text, /dry run of this code's first step on npu-sim: 1 op will fall back to the CPU: maxPool2d \(int32\) ×1; 640 B moved/);
});

test("a clean dry run says nothing falls back; one in progress or unfinished leaves the older reports", () => {
  assert.match(deviceGuidance(device("npu-sim"), undefined, undefined, dry("done"))[0]!.text, /every op ran on npu-sim, nothing fell back/);
  const checking = deviceGuidance(device("npu-sim"), [tanh], undefined, dry("checking"));
  assert.deepEqual(
    checking.map((g) => g.level),
    ["info", "warn"],
  );
  assert.match(checking[0]!.text, /Checking which ops of this code fall back on npu-sim/);
  assert.match(deviceGuidance(device("npu-sim"), undefined, undefined, dry("unfinished"))[0]!.text, /did not reach its first logged step within 20 s/);
  assert.deepEqual(deviceGuidance(device("webgpu"), undefined, undefined, dry("done")), [], "another device's dry run says nothing here");
});

test("the device menu notes how many ops a finished dry run saw fall back there", () => {
  const two = dry("done", [tanh, { ...tanh, op: "exp" }, { ...tanh, dtype: "float16" }]);
  assert.equal(dryFallbackNote(two, "npu-sim"), " · 2 ops fall back");
  assert.equal(dryFallbackNote(dry("done", [tanh]), "npu-sim"), " · 1 op falls back");
  assert.equal(dryFallbackNote(dry("done"), "npu-sim"), "");
  assert.equal(dryFallbackNote(dry("checking", [tanh]), "npu-sim"), "");
  assert.equal(dryFallbackNote(two, "webgpu"), "");
});
