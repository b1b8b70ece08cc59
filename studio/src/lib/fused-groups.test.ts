import { test } from "node:test";
import assert from "node:assert/strict";
import { nn, tensor } from "@polychip/engine";
import { fuseElementwise, trace } from "@polychip/engine/graph";
import { fusedGroups, programOps } from "./fused-groups.ts";

test("a traced MLP's bias add and ReLU form one fused group that names both ops and the nodes it replaced", async () => {
  const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 3));
  const graph = await trace(model, [tensor(new Float32Array(8), { shape: [2, 4] })], { dynamicBatch: true });
  const fused = fuseElementwise(graph);
  const groups = fusedGroups(graph.nodes, fused.nodes);
  assert.equal(groups.length, 1);
  const [group] = groups;
  assert.deepEqual(group!.ops, ["add", "relu"]);
  assert.deepEqual(
    group!.members.map((i) => graph.nodes[i]!.op),
    ["add", "relu"],
  );
  assert.equal(fused.nodes[group!.node]!.op, "fused");
});

test("a program that is not a list of steps is refused naming the node", () => {
  assert.throws(() => programOps({ program: "{}" }), /fused node: attrs.program is not a list of steps/);
  assert.deepEqual(programOps({ program: [{ op: "const" }, { op: "mul" }] }), ["mul"]);
});
