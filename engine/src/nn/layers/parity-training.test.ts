/**
 * A small CNN built from the parity layers (InstanceNorm2d, PReLU, SiLU, an adaptive pool whose
 * sizes do not divide) trains eagerly and through compile() to the same numbers, and runs on the
 * npu-sim and webgpu devices like on cpu. The ONNX export of the same model is tested in
 * packages/onnx/src/export/parity-layers.test.ts (the engine cannot import the exporter).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import "../../testing/first-party-devices.ts";
import { isWebGpuAvailable } from "@polychip/device-webgpu";
import { compile, manualSeed, nn, optim, randn, removeDevice, setDefaultDevice, tensor, useDevice } from "../../index.ts";
import { assertClose, trainStep, twins } from "../../testing/compile-twins.ts";

setDefaultDevice("cpu");

function parityCnn(): nn.Module {
  return new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { padding: 1 }),
    new nn.InstanceNorm2d(4, 1e-5, 0.1, { affine: true, trackRunningStats: true }),
    new nn.PReLU(4),
    new nn.Conv2d(4, 4, 3),
    new nn.SiLU(),
    new nn.AdaptiveAvgPool2d([2, 2]),
    new nn.Flatten(),
    new nn.Linear(16, 3),
  );
}

function batch(): [ReturnType<typeof randn>, ReturnType<typeof tensor>] {
  manualSeed(3);
  return [randn([6, 1, 7, 7]), tensor(Int32Array.from([0, 1, 2, 0, 1, 2]))];
}

test("the parity CNN's loss falls, eagerly and compiled, with equal losses, parameters, gradients and buffers", async () => {
  const [eager, compiled] = twins(parityCnn);
  const eagerStep = trainStep(eager, new optim.Adam(eager.parameters(), { lr: 0.02 }));
  const step = compile(trainStep(compiled, new optim.Adam(compiled.parameters(), { lr: 0.02 })));
  const [x, y] = batch();
  const losses: number[] = [];
  for (let i = 0; i < 25; i++) {
    const [le, lc] = [eagerStep(x, y), step(x, y)];
    await assertClose(lc, le, 1e-4, `loss at step ${i}`);
    losses.push(await le.item());
    le.dispose();
    lc.dispose();
  }
  assert.ok(losses.at(-1)! < 0.5 * losses[0]!, `loss ${losses[0]} -> ${losses.at(-1)}`);
  const eagerParams = new Map(eager.namedParameters());
  for (const [name, p] of compiled.namedParameters()) {
    await assertClose(p, eagerParams.get(name)!, 1e-4, `parameter ${name}`);
    await assertClose(p.grad!, eagerParams.get(name)!.grad!, 1e-3, `gradient of ${name}`);
  }
  const eagerBuffers = new Map(eager.namedBuffers());
  for (const [name, b] of compiled.namedBuffers()) await assertClose(b, eagerBuffers.get(name)!, 1e-4, `buffer ${name}`);
});

/** The trained-mode forward and the input gradient on `device` against cpu. */
async function sameOnDevice(device: string, rtol: number) {
  await useDevice(device);
  try {
    manualSeed(9);
    const model = parityCnn();
    const [x] = batch();
    const reference = model.call(x.detach().requiresGrad_());
    const other = model.to(device).call(x.to(device));
    await assertClose(other.to("cpu"), reference, rtol, `${device} output`);
  } finally {
    removeDevice(device);
  }
}

test("the parity CNN gives the cpu's output on npu-sim", () => sameOnDevice("npu-sim", 1e-3));

test("the parity CNN gives the cpu's output on webgpu", { skip: (await isWebGpuAvailable()) ? false : "no WebGPU adapter" }, () =>
  sameOnDevice("webgpu", 1e-4),
);
