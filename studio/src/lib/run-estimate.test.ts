import { test } from "node:test";
import assert from "node:assert/strict";
import { codeHash, estimateRun, recordRunTime, type RunTime } from "./run-estimate.ts";

const times: RunTime[] = [
  { code: "a", device: "cpu", ms: 1000 },
  { code: "a", device: "npu-sim", ms: 8000 },
  { code: "b", device: "cpu", ms: 500 },
];

test("this code's last time on the device is the estimate", () => {
  assert.deepEqual(estimateRun(times, "a", "npu-sim"), { ms: 8000, text: "≈ 8 s: your last run of this code on npu-sim" });
});

test("else this code's time elsewhere, scaled by how the devices compared on code run on both", () => {
  const e = estimateRun(times, "b", "npu-sim")!;
  assert.equal(e.ms, 4000);
  assert.match(e.text, /took 500 ms on cpu, and code that ran on both took 8× as long on npu-sim/);
});

test("with nothing to compare, the banner says so; with no run of the code, nothing", () => {
  assert.match(estimateRun(times, "b", "webgpu")!.text, /nothing has run on webgpu yet/);
  assert.equal(estimateRun(times, "b", "webgpu")!.ms, undefined);
  assert.equal(estimateRun(times, "c", "cpu"), undefined);
});

test("the hash tells code apart and the list keeps the newest", () => {
  assert.equal(codeHash("x = 1"), codeHash("x = 1"));
  assert.notEqual(codeHash("x = 1"), codeHash("x = 2"));
  assert.deepEqual(
    recordRunTime(times, { code: "c", device: "cpu", ms: 1 }, 2).map((t) => t.code),
    ["b", "c"],
  );
});
