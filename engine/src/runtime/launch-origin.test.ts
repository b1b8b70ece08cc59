import assert from "node:assert/strict";
import { test } from "node:test";
import type { DevicePlugin } from "@polychip/hal";
import { registerPlugin } from "../core/devices.ts";
import { fromHost, runOp } from "../core/dispatch.ts";
import { graph, info, node } from "../graph/testing.ts";
import { miniPlugin } from "../testing/mini-device.ts";
import { createSession } from "./session.ts";

/** A device that keeps the origin of every call it is given (the CPU's kernels under another name). */
function recording(name: string, origins: (string | undefined)[]): DevicePlugin {
  const inner = miniPlugin({ name, keep: () => true });
  return {
    ...inner,
    create: async () => {
      const device = await inner.create();
      const launch = device.launch.bind(device);
      device.launch = (kernel, call) => {
        origins.push(call.origin);
        launch(kernel, call);
      };
      return device;
    },
  };
}

const g = graph({
  inputs: [info("x", [3])],
  outputs: [info("y", [3])],
  nodes: [{ ...node("neg", ["x"], "n"), name: "first" }, node("relu", ["n"], "y")],
});

test("every launch of a session's node carries the node as the runtime names it, node by node and from a plan", async () => {
  const origins: (string | undefined)[] = [];
  await registerPlugin(recording("origin-rec", origins));
  const session = await createSession(g, { device: "origin-rec", fuse: false });
  for (let run = 0; run < 3; run++) {
    origins.length = 0;
    assert.deepEqual(Array.from((await session.run({ x: { data: [1, -2, 3], shape: [3] } })).y!.data), [0, 2, 0]);
    assert.deepEqual(origins, ["node 0 (neg 'first' → %n)", "node 1 (relu → %y)"], `run ${run}`);
  }
  assert.equal(session.planCount, 1);
  session.dispose();
});

test("an eager op's launch, and one after a session ran, carry no origin", async () => {
  const origins: (string | undefined)[] = [];
  await registerPlugin(recording("origin-eager", origins));
  const session = await createSession(g, { device: "origin-eager", fuse: false, runPlans: false });
  await session.run({ x: { data: [1, 2, 3], shape: [3] } });
  origins.length = 0;
  const x = fromHost([1, -1], [2], "float32", "origin-eager");
  const [y] = runOp("neg", [x]);
  assert.deepEqual(origins, [undefined]);
  x.storage.release();
  y!.storage.release();
  session.dispose();
});
