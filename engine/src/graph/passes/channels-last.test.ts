import assert from "node:assert/strict";
import { test } from "node:test";
import type { ConvLayoutQuery } from "@polychip/hal";
import { execute } from "../../runtime/session.ts";
import type { Graph } from "../ir.ts";
import { graph, info, init, node, values } from "../testing.ts";
import { cancelTransposes } from "./cancel-transposes.ts";
import { channelsLast } from "./channels-last.ts";

const depthwiseOnly = { convLayout: (q: ConvLayoutQuery) => (q.attrs.groups === q.inputShape[1] ? "nhwc" : "nchw") as "nhwc" | "nchw" };
const ops = (g: Graph) => g.nodes.map((n) => n.op);
const feeds = { x: { data: values(2 * 4 * 6 * 6, 7), shape: [2, 4, 6, 6] } };

/** Both graphs run unfused on cpu; conv2dNhwc sums the same taps, so outputs agree to float32 rounding. */
async function assertSameOutputs(before: Graph, after: Graph) {
  const [a, b] = [await execute(before, feeds, { device: "cpu", fuse: false }), await execute(after, feeds, { device: "cpu", fuse: false })];
  for (const name of Object.keys(a)) {
    const [want, got] = [Array.from(a[name]!.data), Array.from(b[name]!.data)];
    assert.deepEqual(b[name]!.shape, a[name]!.shape, name);
    got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= 1e-5 * (1 + Math.abs(want[i]!)), `${name}[${i}]: ${v} vs ${want[i]}`));
  }
}

/** Two depthwise blocks: conv + per-channel scale + relu, a residual add, a channel concat with the input, then max pooling. */
const block = graph({
  inputs: [info("x", [2, 4, 6, 6])],
  outputs: [info("y", [2, 8, 3, 3])],
  initializers: [
    init("w1", [4, 1, 3, 3], values(36, 2)),
    init("b1", [4], values(4, 3)),
    init("scale", [4, 1, 1], values(4, 4)),
    init("w2", [4, 1, 3, 3], values(36, 5)),
  ],
  nodes: [
    node("conv2d", ["x", "w1", "b1"], "c1", { pads: [1, 1, 1, 1], groups: 4 }),
    node("mul", ["c1", "scale"], "s1"),
    node("relu", ["s1"], "r1"),
    node("conv2d", ["r1", "w2"], "c2", { pads: [1, 1, 1, 1], groups: 4 }),
    node("add", ["c2", "r1"], "sum"),
    node("concat", ["sum", "x"], "cat", { axis: 1 }),
    node("maxPool2d", ["cat"], "y", { kernel: [2, 2], strides: [2, 2] }),
  ],
});

test("a chain of depthwise convs and elementwise ops runs channels-last with transposes only at its edges", async () => {
  const out = channelsLast(block, depthwiseOnly);
  assert.deepEqual(ops(out), ["permute", "conv2dNhwc", "mul", "relu", "conv2dNhwc", "add", "concat", "permute", "maxPool2d"]);
  const [into, , , , , , concat, back] = out.nodes;
  assert.deepEqual([into!.inputs, into!.attrs.dims], [["x"], [0, 2, 3, 1]]);
  assert.equal(concat!.attrs.axis, 3);
  assert.deepEqual(concat!.inputs[1], into!.outputs[0], "the input's one transpose serves the first conv and the concat");
  assert.deepEqual([back!.attrs.dims, back!.outputs], [[0, 3, 1, 2], ["cat"]]);
  await assertSameOutputs(block, out);
});

test("a per-channel constant is re-shaped to broadcast along the last axis", () => {
  const out = channelsLast(block, depthwiseOnly);
  const mul = out.nodes.find((n) => n.op === "mul")!;
  const scale = out.initializers.find((i) => i.name === mul.inputs[1])!;
  assert.deepEqual(scale.shape, [1, 1, 1, 4]);
  assert.deepEqual(Array.from(scale.data), Array.from(values(4, 4)));
  assert.ok(!out.initializers.some((i) => i.name === "scale"), "the NCHW constant nothing reads any more is dropped");
});

test("a full-size operand from outside the chain is transposed in; a graph output reads a transpose back", async () => {
  const g = graph({
    inputs: [info("x", [2, 4, 6, 6])],
    outputs: [info("y", [2, 4, 6, 6])],
    initializers: [init("w", [4, 1, 3, 3], values(36, 2))],
    nodes: [node("conv2d", ["x", "w"], "c", { pads: [1, 1, 1, 1], groups: 4 }), node("sigmoid", ["x"], "gate"), node("mul", ["c", "gate"], "y")],
  });
  const out = channelsLast(g, depthwiseOnly);
  assert.deepEqual(ops(out), ["permute", "conv2dNhwc", "sigmoid", "permute", "mul", "permute"]);
  assert.deepEqual(out.nodes.at(-1)!.outputs, ["y"]);
  await assertSameOutputs(g, out);
});

test("convs the device prefers NCHW, and everything after them, stay as they are", () => {
  const nchw = channelsLast(block, { convLayout: () => "nchw" });
  assert.deepEqual(ops(nchw), ops(block));
  assert.deepEqual(nchw.nodes, block.nodes);
});

test("an elementwise node with a rank-2 operand computed at run time keeps its chain NCHW there", async () => {
  const g = graph({
    inputs: [info("x", [2, 4, 6, 6]), info("row", [6, 6])],
    outputs: [info("y", [2, 4, 6, 6])],
    initializers: [init("w", [4, 1, 3, 3], values(36, 2))],
    nodes: [node("conv2d", ["x", "w"], "c", { pads: [1, 1, 1, 1], groups: 4 }), node("add", ["c", "row"], "y")],
  });
  const out = channelsLast(g, depthwiseOnly);
  assert.deepEqual(ops(out), ["permute", "conv2dNhwc", "permute", "add"]);
  const rowFeeds = { ...feeds, row: { data: values(36, 9), shape: [6, 6] } };
  const [a, b] = [await execute(g, rowFeeds, { device: "cpu", fuse: false }), await execute(out, rowFeeds, { device: "cpu", fuse: false })];
  Array.from(b.y!.data).forEach((v, i) => assert.ok(Math.abs(v - a.y!.data[i]!) <= 1e-5 * (1 + Math.abs(a.y!.data[i]!))));
});

test("back-to-back transposes compose, and cancel where they undo each other", () => {
  const g = graph({
    inputs: [info("x", [2, 3, 4, 5])],
    outputs: [info("y", [2, 3, 4, 5]), info("z", [5, 4, 3, 2])],
    nodes: [
      node("permute", ["x"], "a", { dims: [0, 2, 3, 1] }),
      node("permute", ["a"], "y", { dims: [0, 3, 1, 2] }),
      node("permute", ["a"], "b", { dims: [0, 3, 1, 2] }),
      node("relu", ["b"], "r"),
      node("permute", ["r"], "p", { dims: [3, 2, 1, 0] }),
      node("permute", ["p"], "z", { dims: [0, 1, 2, 3] }),
    ],
  });
  const out = cancelTransposes(g);
  assert.deepEqual(
    out.nodes.map((n) => [n.op, n.inputs, n.attrs.dims]),
    [
      ["permute", ["x"], [0, 2, 3, 1]],
      ["identity", ["x"], undefined],
      ["relu", ["x"], undefined],
      ["permute", ["r"], [3, 2, 1, 0]],
      ["permute", ["r"], [3, 2, 1, 0]],
    ],
  );
});

const nhwcEverywhere = { convLayout: () => "nhwc" as const };

test("a squeeze-excite block, a 1x1 conv with bias and a nearest upsample stay channels-last", async () => {
  const g = graph({
    inputs: [info("x", [2, 4, 6, 6])],
    outputs: [info("y", [2, 6, 12, 6])],
    initializers: [
      init("dw", [4, 1, 3, 3], values(36, 2)),
      init("se", [4, 4, 1, 1], values(16, 3)),
      init("seb", [4], values(4, 4)),
      init("pw", [6, 4, 1, 1], values(24, 5)),
      init("pwb", [6], values(6, 6)),
      init("rows", [12], [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5], "int32"),
    ],
    nodes: [
      node("conv2d", ["x", "dw"], "d", { pads: [1, 1, 1, 1], groups: 4 }),
      node("reduceSum", ["d"], "pooled", { axes: [2, 3], keepDims: true }),
      node("conv2d", ["pooled", "se", "seb"], "gateIn"),
      node("sigmoid", ["gateIn"], "gate"),
      node("mul", ["d", "gate"], "scaled"),
      node("conv2d", ["scaled", "pw", "pwb"], "p"),
      node("gather", ["p", "rows"], "y", { axis: 2 }),
    ],
  });
  const out = channelsLast(g, nhwcEverywhere);
  assert.deepEqual(ops(out), ["permute", "conv2dNhwc", "reduceSum", "conv2dNhwc", "add", "sigmoid", "mul", "conv2dNhwc", "add", "gather", "permute"]);
  assert.deepEqual(out.nodes[2]!.attrs.axes, [1, 2]);
  assert.equal(out.nodes[9]!.attrs.axis, 1);
  const bias = out.initializers.find((i) => i.name === out.nodes[8]!.inputs[1])!;
  assert.deepEqual([bias.shape, Array.from(bias.data)], [[1, 1, 1, 6], Array.from(values(6, 6))]);
  await assertSameOutputs(g, out);
});
