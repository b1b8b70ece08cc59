import { test } from "node:test";
import assert from "node:assert/strict";
import { nn, tensor } from "@polychip/engine";
import { fuseElementwise, loadTimePasses, trace } from "@polychip/engine/graph";
import { fusedGroups, programOps } from "./fused-groups.ts";

const mlp = () => new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 3));

test("a traced MLP's bias add and ReLU form one fused group that names both ops and the nodes it replaced", async () => {
  const graph = await trace(mlp(), [tensor(new Float32Array(8), { shape: [2, 4] })], { dynamicBatch: true });
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

test("with GEMM epilogues each matmul joins the ops it stores through, and no node is in two groups", async () => {
  const graph = await trace(mlp(), [tensor(new Float32Array(8), { shape: [2, 4] })], { dynamicBatch: true });
  const ran = loadTimePasses(graph, { supports: (op) => op === "matmulEpilogue" });
  const groups = fusedGroups(graph.nodes, ran.nodes);
  assert.deepEqual(
    groups.map((g) => [ran.nodes[g.node]!.op, g.ops]),
    [
      ["matmulEpilogue", ["matmul", "add", "relu"]],
      ["matmulEpilogue", ["matmul", "add"]],
    ],
  );
  const members = groups.flatMap((g) => g.members);
  assert.equal(new Set(members).size, members.length);
  assert.equal(members.length, graph.nodes.length, "every node of this MLP runs inside one of the two kernels");
});

test("a batch norm folded into its conv is drawn as a group of the two", async () => {
  const model = new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.BatchNorm2d(2));
  model.eval();
  const graph = await trace(model, [tensor(new Float32Array(25), { shape: [1, 1, 5, 5] })]);
  const ran = loadTimePasses(graph, { supports: () => false });
  const groups = fusedGroups(graph.nodes, ran.nodes);
  assert.equal(groups.length, 1);
  assert.equal(ran.nodes[groups[0]!.node]!.op, "conv2d");
  assert.deepEqual(groups[0]!.ops, ["conv2d", "batchNorm"]);
});

test("a program that is not a list of steps is refused naming the node", () => {
  assert.throws(() => programOps({ program: "{}" }), /fused node: attrs.program is not a list of steps/);
  assert.deepEqual(programOps({ program: [{ op: "const" }, { op: "mul" }] }), ["mul"]);
});
