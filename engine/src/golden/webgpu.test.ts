/**
 * The PyTorch golden cases on the webgpu device, from the same runners as the cpu tests
 * (`op-cases.ts`, `optimizer-cases.ts`): every input, weight and parameter is created on webgpu,
 * so forward, backward and optimiser steps all run in WGSL. In CI that is Dawn on SwiftShader.
 *
 * Every case runs at the cpu tolerances: no case is skipped and no op needs a looser bound
 * (the device computes float32 throughout and spells out its own sin/cos/erf/exp edge cases).
 * A case that cannot run on webgpu goes into SKIPPED with its reason and still shows as skipped.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import "../testing/first-party-devices.ts";
import { isWebGpuAvailable, type WebGpuDevice } from "@polychip/device-webgpu";
import { fallbackReport, removeDevice, useDevice } from "../index.ts";
import { describeOpCases } from "./op-cases.ts";
import { describeOptimizerCases } from "./optimizer-cases.ts";

const NO_WEBGPU = (await isWebGpuAvailable()) ? false : "no WebGPU adapter: install chromium and libvulkan1 (Dawn then runs on Chromium's SwiftShader)";

/** Case name → why it does not run on webgpu. Empty: every fixture case runs. */
const SKIPPED: Record<string, string> = {};

let device: WebGpuDevice | undefined;
before(async () => {
  if (!NO_WEBGPU) device = (await useDevice("webgpu")) as WebGpuDevice;
});
after(() => removeDevice("webgpu"));

describeOpCases({ device: "webgpu", skip: SKIPPED, skipAll: NO_WEBGPU });
describeOptimizerCases("webgpu", NO_WEBGPU);

// Runs last (node:test keeps file order): the values above were computed by WGSL kernels, not by
// a silent per-op fallback to the cpu device.
test("no golden case fell back to cpu on webgpu", { skip: NO_WEBGPU }, () => {
  assert.deepEqual(
    fallbackReport().filter((r) => r.device === "webgpu"),
    [],
  );
  assert.ok(device!.stats.launches > 1000, `only ${device!.stats.launches} kernel launches on webgpu`);
});
