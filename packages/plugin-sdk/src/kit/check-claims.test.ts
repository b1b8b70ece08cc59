import assert from "node:assert/strict";
import { test } from "node:test";
import type { Device, DevicePlugin, GraphView, SubgraphClaim } from "@polychip/hal";
import type { HostBuffer } from "../index.ts";
import { checkClaims } from "./check-claims.ts";
import { hostPlugin, binaryKernel } from "./fixtures/host-plugin.ts";
import { referenceExecutor } from "./run-op.ts";

/** A plugin that claims every relu node alone and runs it with `relu`. */
function reluClaimer(name: string, relu: (v: number) => number): DevicePlugin {
  const base = hostPlugin(name, { sub: binaryKernel((a, b) => a - b) }, ["float32"]);
  const claimSubgraphs = (graph: GraphView): SubgraphClaim<HostBuffer>[] =>
    graph.nodes.flatMap((n, i) =>
      n.op !== "relu"
        ? []
        : [
            {
              name: `relu#${i}`,
              nodes: [i],
              inputs: [n.inputs[0]!],
              outputs: [n.outputs[0]!],
              run: ({ inputs: [x], alloc }) => {
                const y = alloc(x!.dtype, x!.shape);
                const src = x!.buffer.storage("float32");
                const dst = y.buffer.storage("float32");
                for (let k = 0; k < x!.shape.reduce((a, b) => a * b, 1); k++) dst[y.offset + k] = relu(src[x!.offset + k]!);
                return [y];
              },
            },
          ],
    );
  return { ...base, claimSubgraphs };
}

async function claimsOf(plugin: DevicePlugin) {
  const device = (await plugin.create()) as Device;
  const oracle = await referenceExecutor();
  try {
    return await checkClaims(plugin, device, oracle, device.capabilities.dtypes);
  } finally {
    await oracle.dispose();
  }
}

test("claims that compute what the nodes compute pass against op-by-op cpu results", async () => {
  const records = await claimsOf(reluClaimer("good-claims", (v) => (v > 0 ? v : 0)));
  assert.ok(records.length >= 3, JSON.stringify(records));
  assert.ok(
    records.every((r) => r.status === "pass" && r.dtype === "float32"),
    JSON.stringify(records),
  );
});

test("a claim that computes a wrong value fails, naming the graph, the claim and the first differing element", async () => {
  const records = await claimsOf(reluClaimer("leaky-claims", (v) => (v > 0 ? v : 0.1 * v)));
  assert.ok(records.length >= 3 && records.every((r) => r.status === "fail"));
  assert.match(records[0]!.message!, /output %\w+: \d+ of \d+ elements differ from op-by-op cpu; first at \d+: got -/);
  assert.equal(records[0]!.graph, "linear+bias+relu");
  assert.match(records[0]!.claim, /^relu#2$/);
});
