import assert from "node:assert/strict";
import { test } from "node:test";
import { loadableDevices, useDevice } from "@polychip/engine/runtime";
import "./index.ts";

test("importing the list makes webgpu and npu-sim loadable by name", () => {
  assert.deepEqual(loadableDevices().sort(), ["npu-sim", "npu-sim-edge", "webgpu"]);
});

test("npu-sim loads on first use and is then a registered device", async () => {
  const device = await useDevice("npu-sim");
  assert.equal(device.info.name, "npu-sim");
});
