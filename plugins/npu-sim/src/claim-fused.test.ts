import assert from "node:assert/strict";
import { test } from "node:test";
import { roundToFloat16, type Attrs, type DType } from "@polychip/hal";
import { claimSubgraphs } from "./claim.ts";
import { graphView, n, runClaim, runOneByOne } from "./claim-test-support.ts";
import { chip, ramp, tensor } from "./test-support.ts";

const half = (values: number[]) => values.map(roundToFloat16);
const program = (steps: unknown[], outputs: number[]): Attrs => ({ program: JSON.stringify(steps), outputs });

/** relu(c·scale + shift) with per-channel scale and shift: a batch norm folded by the engine's passes into one fused group. */
const affineRelu = (c: number) =>
  program(
    [
      { op: "mul", args: [c, c === 0 ? 1 : 0] }, // 3
      { op: "add", args: [3, 2] }, // 4
      { op: "relu", args: [4] }, // 5
    ],
    [5],
  );

function halfConvGraph(valueAt: 0 | 1, pooled = true) {
  const inputs = { x: tensor("float16", [2, 3, 8, 8], half(ramp(384, -1, 1, 1))) };
  const weights = {
    w: tensor("float16", [4, 3, 3, 3], half(ramp(108, -0.5, 0.5, 2))),
    b: tensor("float16", [4], half(ramp(4, -0.2, 0.2, 3))),
    scale: tensor("float16", [4, 1, 1], half([0.5, 1.5, -1, 2])),
    shift: tensor("float16", [4, 1, 1], half([0.1, -0.2, 0.3, 0])),
  };
  // The engine numbers a group's inputs in the order it met them: the conv output need not be first.
  const ins = valueAt === 0 ? ["c", "scale", "shift"] : ["scale", "c", "shift"];
  const nodes = [n("conv2d", ["x", "w", "b"], "c", { pads: [1, 1, 1, 1] }), n("fused", ins, "r", affineRelu(valueAt))];
  if (pooled) nodes.push(n("maxPool2d", ["r"], "y", { kernel: [2, 2], strides: [2, 2] }));
  return { graph: graphView(inputs, weights, nodes, [pooled ? "y" : "r"]), tensors: { ...inputs, ...weights } };
}

for (const valueAt of [0, 1] as const) {
  test(`an fp16 conv → the engine's fused group (conv value as input ${valueAt}) → pool is one tile program, equal to the ops one by one`, async () => {
    const { graph, tensors } = halfConvGraph(valueAt);
    const device = chip();
    const claims = claimSubgraphs(graph, device);
    assert.equal(claims.length, 1);
    assert.equal(claims[0]!.name, "conv2d+fused+maxPool2d");
    const { outputs, events } = await runClaim(device, claims[0]!, tensors);
    assert.deepEqual(
      events.map((e) => e.name),
      ["conv2d+fused+maxPool2d"],
    );
    const reference = await runOneByOne(device, graph, tensors);
    assert.deepEqual(Array.from(outputs[0]!), Array.from(reference.values.get("y")!.values));
    assert.ok(outputs[0]!.some((v) => v > 0.2) && outputs[0]!.some((v) => v === 0), "real values through the relu");
    const claimedBytes = events.reduce((s, e) => s + Number(e.args!.dmaBytes), 0);
    assert.ok(claimedBytes < 0.5 * reference.dmaBytes, `${claimedBytes} bytes claimed vs ${reference.dmaBytes} one by one`);
  });
}

test("a float32 graph of the engine's epilogues and fused groups is claimed and runs one launch per group", async () => {
  const f32 = (shape: number[], seed: number, lo = -1, hi = 1) =>
    tensor(
      "float32" as DType,
      shape,
      ramp(
        shape.reduce((a, b) => a * b, 1),
        lo,
        hi,
        seed,
      ).map(Math.fround),
    );
  const inputs = { x: f32([6, 10], 4) };
  const weights = { w: f32([10, 8], 5), bias: f32([8], 6, -0.2, 0.2) };
  const nodes = [
    n("matmulEpilogue", ["x", "w", "bias"], "h", { baseInputs: 2, ...program([{ op: "add", args: [0, 1] }], [2]) }),
    // silu(h) = h · sigmoid(h)
    n(
      "fused",
      ["h"],
      "y",
      program(
        [
          { op: "sigmoid", args: [0] },
          { op: "mul", args: [0, 1] },
        ],
        [2],
      ),
    ),
  ];
  const graph = graphView(inputs, weights, nodes, ["y"]);
  const tensors = { ...inputs, ...weights };
  const device = chip();
  const claims = claimSubgraphs(graph, device);
  assert.equal(claims.length, 1);
  assert.equal(claims[0]!.name, "matmulEpilogue → fused");
  const { outputs, events } = await runClaim(device, claims[0]!, tensors);
  // The profiler's events: one per group, each naming the ops it stands for.
  assert.deepEqual(
    events.map((e) => [e.name, e.args!.unit, e.args!.members]),
    [
      ["matmulEpilogue", "vector", "matmul+add"],
      ["fused", "vector", "sigmoid+mul"],
    ],
  );
  const reference = await runOneByOne(device, graph, tensors);
  assert.deepEqual(Array.from(outputs[0]!), Array.from(reference.values.get("y")!.values));
  // silu by hand from the product, in float64: the chip's fp32 steps agree closely.
  const [x, w, b] = [tensors.x.values, tensors.w.values, tensors.bias.values];
  for (let i = 0; i < 6; i++) {
    for (let j = 0; j < 8; j++) {
      let h = b[j]!;
      for (let k = 0; k < 10; k++) h += x[i * 10 + k]! * w[k * 8 + j]!;
      const expected = h / (1 + Math.exp(-h));
      assert.ok(Math.abs(outputs[0]![i * 8 + j]! - expected) < 1e-5, `y[${i}, ${j}] = ${outputs[0]![i * 8 + j]}, expected ${expected}`);
    }
  }
});

test("a claimed fused group with two outputs hands both back", async () => {
  const inputs = { p: tensor("float32", [3, 5], ramp(15, -1, 1, 7).map(Math.fround)), g: tensor("float32", [3, 5], ramp(15, -1, 1, 8).map(Math.fround)) };
  const step = program(
    [
      { op: "const", args: [], value: 0.1, to: "float32" }, // 2
      { op: "mul", args: [1, 2] }, // 3
      { op: "sub", args: [0, 3] }, // 4: p - 0.1·g
      { op: "abs", args: [3] }, // 5
    ],
    [4, 5],
  );
  const node = { op: "fused", inputs: ["p", "g"], outputs: ["q", "size"], attrs: step };
  const graph = graphView(inputs, {}, [node], ["q"]);
  (graph.values as Map<string, { name: string; dtype: DType; shape: readonly number[] }>).set("size", { name: "size", dtype: "float32", shape: [3, 5] });
  const withBoth = { ...graph, outputs: [graph.values.get("q")!, graph.values.get("size")!] };
  const device = chip();
  const [claim] = claimSubgraphs(withBoth, device);
  assert.deepEqual(claim!.outputs, ["q", "size"]);
  const { outputs, events } = await runClaim(device, claim!, inputs);
  assert.equal(events.length, 1);
  const [p, g] = [inputs.p.values, inputs.g.values];
  outputs[0]!.forEach((v, i) => assert.equal(v, Math.fround(p[i]! - Math.fround(g[i]! * Math.fround(0.1)))));
  outputs[1]!.forEach((v, i) => assert.equal(v, Math.abs(Math.fround(g[i]! * Math.fround(0.1)))));
});

test("an fp16 conv whose fused group adds a residual runs as one conv2dEpilogue launch, equal to the ops one by one", async () => {
  const inputs = { x: tensor("float16", [2, 3, 8, 8], half(ramp(384, -1, 1, 9))), skip: tensor("float16", [2, 4, 8, 8], half(ramp(512, -1, 1, 10))) };
  const weights = { w: tensor("float16", [4, 3, 3, 3], half(ramp(108, -0.5, 0.5, 11))), b: tensor("float16", [4], half(ramp(4, -0.2, 0.2, 12))) };
  const residual = program(
    [
      { op: "add", args: [1, 0] }, // 2: skip + conv
      { op: "relu", args: [2] }, // 3
    ],
    [3],
  );
  const nodes = [n("conv2d", ["x", "w", "b"], "c", { pads: [1, 1, 1, 1] }), n("fused", ["skip", "c"], "y", residual)];
  const graph = graphView(inputs, weights, nodes, ["y"]);
  const tensors = { ...inputs, ...weights };
  const device = chip();
  const claims = claimSubgraphs(graph, device);
  assert.equal(claims.length, 1);
  assert.equal(claims[0]!.name, "conv2dEpilogue");
  const { outputs, events } = await runClaim(device, claims[0]!, tensors);
  assert.deepEqual(
    events.map((e) => [e.name, e.args!.members]),
    [["conv2dEpilogue", "conv2d+add+relu"]],
  );
  const reference = await runOneByOne(device, graph, tensors);
  assert.deepEqual(Array.from(outputs[0]!), Array.from(reference.values.get("y")!.values));
  assert.ok(outputs[0]!.some((v) => v > 0.2) && outputs[0]!.some((v) => v === 0), "real values through the relu");
});
