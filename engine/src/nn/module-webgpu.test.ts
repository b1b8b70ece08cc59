import assert from "node:assert/strict";
import "../testing/first-party-devices.ts";
import { after, before, test } from "node:test";
import { isWebGpuAvailable } from "@polychip/device-webgpu";
import { manualSeed, mseLoss, nn, noGrad, optim, randn, removeDevice, setDefaultDevice, useDevice } from "../index.ts";

const NO_WEBGPU = (await isWebGpuAvailable()) ? false : "no WebGPU adapter (install chromium and libvulkan1 for Dawn on SwiftShader)";
setDefaultDevice("cpu");
before(async () => {
  if (!NO_WEBGPU) await useDevice("webgpu");
});
after(() => removeDevice("webgpu"));

test("model.to('webgpu') moves parameters and buffers; an optimiser built before the move keeps training them", { skip: NO_WEBGPU }, async () => {
  manualSeed(1);
  const model = new nn.Sequential(new nn.Linear(4, 3), new nn.BatchNorm1d(3));
  const x = randn([5, 4]);
  const expected = Array.from(await noGrad(() => model.eval().call(x)).data());
  const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
  model.to("webgpu");
  assert.ok([...model.stateDict().values()].every((t) => t.device === "webgpu"));
  const got = Array.from(await noGrad(() => model.call(x.to("webgpu"))).data());
  got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-5, `${v} vs ${expected[i]}`));
  model.train();
  const before = Array.from(await model.parameters()[0]!.data());
  const loss = mseLoss(model.call(x.to("webgpu")), randn([5, 3], { device: "webgpu" }));
  loss.backward();
  opt.step();
  assert.notDeepEqual(Array.from(await model.parameters()[0]!.data()), before);
  assert.equal(model.parameters()[0]!.device, "webgpu");
});
