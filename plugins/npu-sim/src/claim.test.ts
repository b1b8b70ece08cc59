import assert from "node:assert/strict";
import { test } from "node:test";
import { roundToFloat16, type GraphView } from "@polychip/hal";
import { claimSubgraphs } from "./claim.ts";
import { graphView, n, runClaim, runOneByOne } from "./claim-test-support.ts";
import { chip, ramp, tensor, type HostTensor } from "./test-support.ts";

const half = (values: number[]) => values.map(roundToFloat16);

/** conv → bias → ReLU → pool → reshape → linear → ReLU, in fp16: the chain the brief names. */
function halfChain(): { graph: GraphView; tensors: Record<string, HostTensor> } {
  const inputs = { x: tensor("float16", [2, 3, 8, 8], half(ramp(384, -1, 1, 1))) };
  const weights = {
    w: tensor("float16", [4, 3, 3, 3], half(ramp(108, -0.5, 0.5, 2))),
    b: tensor("float16", [4], half(ramp(4, -0.2, 0.2, 3))),
    w2: tensor("float16", [5, 64], half(ramp(320, -0.3, 0.3, 4))),
    b2: tensor("float16", [5], half(ramp(5, -0.1, 0.1, 5))),
  };
  const nodes = [
    n("conv2d", ["x", "w", "b"], "c", { pads: [1, 1, 1, 1] }),
    n("relu", ["c"], "r"),
    n("maxPool2d", ["r"], "p", { kernel: [2, 2], strides: [2, 2] }),
    n("reshape", ["p"], "flat", { shape: [0, 64] }),
    n("matmul", ["flat", "w2"], "m", { transposeB: true }),
    n("add", ["m", "b2"], "a"),
    n("relu", ["a"], "y"),
  ];
  return { graph: graphView(inputs, weights, nodes, ["y"]), tensors: { ...inputs, ...weights } };
}

/** quantize → qconv(+ReLU) → dequantize → maxPool → quantize (same scale) → qconv → dequantize. */
function int8Chain(): { graph: GraphView; tensors: Record<string, HostTensor> } {
  const inputs = { x: tensor("float32", [1, 2, 6, 6], ramp(72, -1, 2, 6)) };
  const weights = {
    sx: tensor("float32", [], [3 / 255]),
    zx: tensor("uint8", [], [85]),
    w1: tensor("int8", [3, 2, 3, 3], ramp(54, -127, 127, 7).map(Math.round)),
    ws1: tensor("float32", [3], [0.004, 0.003, 0.005]),
    wz1: tensor("int8", [3], [0, 0, 0]),
    s1: tensor("float32", [], [0.02]),
    z1: tensor("uint8", [], [0]),
    b1: tensor("int32", [3], [100, -50, 20]),
    w2: tensor("int8", [2, 3, 3, 3], ramp(54, -127, 127, 8).map(Math.round)),
    ws2: tensor("float32", [2], [0.01, 0.02]),
    wz2: tensor("int8", [2], [0, 0]),
    s2: tensor("float32", [], [0.1]),
    z2: tensor("uint8", [], [128]),
  };
  const nodes = [
    n("quantizeLinear", ["x", "sx", "zx"], "xq"),
    n("quantizedConv2d", ["xq", "sx", "zx", "w1", "ws1", "wz1", "s1", "z1", "b1"], "q1", { pads: [1, 1, 1, 1], activation: "relu" }),
    n("dequantizeLinear", ["q1", "s1", "z1"], "d1"),
    n("maxPool2d", ["d1"], "p1", { kernel: [2, 2], strides: [2, 2] }),
    n("quantizeLinear", ["p1", "s1", "z1"], "pq"),
    n("quantizedConv2d", ["pq", "s1", "z1", "w2", "ws2", "wz2", "s2", "z2"], "q2", { pads: [1, 1, 1, 1] }),
    n("dequantizeLinear", ["q2", "s2", "z2"], "y"),
  ];
  return { graph: graphView(inputs, weights, nodes, ["y"]), tensors: { ...inputs, ...weights } };
}

test("an fp16 conv → bias → ReLU → pool → linear → ReLU chain is one claim, run as two fused launches", () => {
  const { graph } = halfChain();
  const claims = claimSubgraphs(graph, chip());
  assert.equal(claims.length, 1);
  assert.deepEqual(claims[0]!.nodes, [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(claims[0]!.inputs, ["x", "w", "b", "w2", "b2"]);
  assert.deepEqual(claims[0]!.outputs, ["y"]);
  assert.equal(claims[0]!.name, "conv2d+relu+maxPool2d → reshape → matmul+add+relu");
});

test("the claimed fp16 chain gives exactly the values of running its ops one by one on the chip", async () => {
  const { graph, tensors } = halfChain();
  const device = chip();
  const [claim] = claimSubgraphs(graph, device);
  const { outputs } = await runClaim(device, claim!, tensors);
  const reference = await runOneByOne(device, graph, tensors);
  assert.deepEqual(Array.from(outputs[0]!), Array.from(reference.values.get("y")!.values));
});

test("inside a claim nothing crosses the host link, and fusion keeps the conv output off DRAM", async () => {
  const { graph, tensors } = halfChain();
  const device = chip();
  const [claim] = claimSubgraphs(graph, device);
  const { events } = await runClaim(device, claim!, tensors);
  assert.deepEqual(
    events.filter((e) => e.category === "transfer"),
    [],
  );
  assert.deepEqual(
    events.map((e) => e.name),
    ["conv2d+relu+maxPool2d", "matmul+add+relu"],
  );
  const claimed = events.reduce((s, e) => s + Number(e.args!.dmaBytes), 0);
  const claimedMs = events.reduce((s, e) => s + e.duration, 0);
  const oneByOne = await runOneByOne(device, graph, tensors);
  assert.ok(claimed < 0.75 * oneByOne.dmaBytes, `fused DMA ${claimed} bytes vs ${oneByOne.dmaBytes} op by op`);
  assert.ok(claimedMs < oneByOne.simulatedMs, `fused ${claimedMs} ms vs ${oneByOne.simulatedMs} ms op by op`);
});

test("fused conv geometry (strides, asymmetric pads, dilation, groups, a padded ceil-mode pool) matches op by op", async () => {
  const inputs = { x: tensor("float16", [2, 4, 11, 9], half(ramp(792, -1, 1, 11))) };
  const weights = { w: tensor("float16", [6, 2, 3, 2], half(ramp(72, -0.5, 0.5, 12))), b: tensor("float16", [6], half(ramp(6, -0.3, 0.3, 13))) };
  const graph = graphView(
    inputs,
    weights,
    [
      n("conv2d", ["x", "w", "b"], "c", { strides: [2, 1], pads: [1, 0, 2, 1], dilations: [2, 1], groups: 2 }),
      n("relu", ["c"], "r"),
      n("maxPool2d", ["r"], "y", { kernel: [3, 2], strides: [2, 2], pads: [1, 1, 1, 0], ceilMode: true }),
    ],
    ["y"],
  );
  const tensors = { ...inputs, ...weights };
  const device = chip({ neuronRamKiB: 4 }); // small on-chip RAM: several row blocks per image
  const [claim] = claimSubgraphs(graph, device);
  const { outputs, events } = await runClaim(device, claim!, tensors);
  assert.equal(events[0]!.name, "conv2d+relu+maxPool2d");
  assert.ok(Number(events[0]!.args!.tiles) > 2, `tiles ${events[0]!.args!.tiles}`);
  const reference = await runOneByOne(device, graph, tensors);
  assert.deepEqual(Array.from(outputs[0]!), Array.from(reference.values.get("y")!.values));
});

test("an int8 quantize → qconv → qconv → dequantize chain pools as integers and matches running op by op", async () => {
  const { graph, tensors } = int8Chain();
  const device = chip();
  const claims = claimSubgraphs(graph, device);
  assert.equal(claims.length, 1);
  const { outputs, events } = await runClaim(device, claims[0]!, tensors);
  assert.deepEqual(
    events.filter((e) => e.category === "kernel").map((e) => e.name),
    ["quantizeLinear", "quantizedConv2d+dequantizeLinear+maxPool2d+quantizeLinear", "quantizedConv2d", "dequantizeLinear"],
  );
  const reference = await runOneByOne(device, graph, tensors);
  assert.deepEqual(Array.from(outputs[0]!), Array.from(reference.values.get("y")!.values));
});

test("a node the chip would hand to the CPU ends a claim; what it reads from a claim is returned by that claim", () => {
  const inputs = { x: tensor("float32", [1, 2, 4, 4], ramp(32)) };
  const graph = graphView(
    inputs,
    {},
    [
      n("relu", ["x"], "a"),
      n("logSoftmax", ["a"], "c", { axis: 3 }), // no kernel here: its decomposition runs op by op
      n("relu", ["c"], "d"),
      n("maxPool2d", ["d"], "y", { kernel: [2, 2], strides: [2, 2] }),
    ],
    ["y"],
  );
  const claims = claimSubgraphs(graph, chip());
  assert.deepEqual(
    claims.map((c) => c.nodes),
    [[0], [2, 3]],
  );
  assert.deepEqual(
    claims.map((c) => c.outputs),
    [["a"], ["y"]],
  );
});

test("chains of views alone are not claimed", () => {
  const graph = graphView({ x: tensor("float32", [2, 6], ramp(12)) }, {}, [n("reshape", ["x"], "y", { shape: [3, 4] })], ["y"]);
  assert.deepEqual(claimSubgraphs(graph, chip()), []);
});

/** The Fashion-MNIST CNN's layer shapes at batch `b`, in fp16 and in int8 (random weights: only the cost matters here). */
function cnnGraphs(b: number): { fp16: GraphView; int8: GraphView; tensors: Record<string, HostTensor> } {
  const x = { x: tensor("float16", [b, 1, 28, 28], half(ramp(b * 784))), xf: tensor("float32", [b, 1, 28, 28], ramp(b * 784)) };
  const h = (shape: number[], seed: number) =>
    tensor(
      "float16",
      shape,
      half(
        ramp(
          shape.reduce((p, d) => p * d, 1),
          -0.1,
          0.1,
          seed,
        ),
      ),
    );
  const i8 = (shape: number[], seed: number) =>
    tensor(
      "int8",
      shape,
      ramp(
        shape.reduce((p, d) => p * d, 1),
        -127,
        127,
        seed,
      ).map(Math.round),
    );
  const f = (values: number[]) => tensor("float32", [values.length], values);
  const weights = {
    w1: h([32, 1, 3, 3], 1),
    b1: h([32], 2),
    w2: h([64, 32, 3, 3], 3),
    b2: h([64], 4),
    w3: h([128, 3136], 5),
    b3: h([128], 6),
    w4: h([10, 128], 7),
    b4: h([10], 8),
    q1: i8([32, 1, 3, 3], 1),
    q2: i8([64, 32, 3, 3], 3),
    q3: i8([128, 3136, 1, 1], 5),
    q4: i8([10, 128, 1, 1], 7),
    ws1: f(new Array(32).fill(0.002)),
    ws2: f(new Array(64).fill(0.002)),
    ws3: f(new Array(128).fill(0.001)),
    ws4: f(new Array(10).fill(0.003)),
    wz1: tensor("int8", [32], new Array(32).fill(0)),
    wz2: tensor("int8", [64], new Array(64).fill(0)),
    wz3: tensor("int8", [128], new Array(128).fill(0)),
    wz4: tensor("int8", [10], new Array(10).fill(0)),
    sx: tensor("float32", [], [0.011]),
    zx: tensor("uint8", [], [73]),
    s: tensor("float32", [], [0.05]),
    z: tensor("uint8", [], [0]),
    sy: tensor("float32", [], [0.1]),
    zy: tensor("uint8", [], [128]),
  };
  const conv = { pads: [1, 1, 1, 1] };
  const pool = { kernel: [2, 2], strides: [2, 2] };
  const fp16 = graphView(
    { x: x.x },
    weights,
    [
      n("conv2d", ["x", "w1", "b1"], "c1", conv),
      n("relu", ["c1"], "r1"),
      n("maxPool2d", ["r1"], "p1", pool),
      n("conv2d", ["p1", "w2", "b2"], "c2", conv),
      n("relu", ["c2"], "r2"),
      n("maxPool2d", ["r2"], "p2", pool),
      n("reshape", ["p2"], "flat", { shape: [0, 3136] }),
      n("matmul", ["flat", "w3"], "m3", { transposeB: true }),
      n("add", ["m3", "b3"], "a3"),
      n("relu", ["a3"], "h"),
      n("matmul", ["h", "w4"], "m4", { transposeB: true }),
      n("add", ["m4", "b4"], "y"),
    ],
    ["y"],
  );
  const int8 = graphView(
    { xf: x.xf },
    weights,
    [
      n("quantizeLinear", ["xf", "sx", "zx"], "xq"),
      n("quantizedConv2d", ["xq", "sx", "zx", "q1", "ws1", "wz1", "s", "z"], "k1", { ...conv, activation: "relu" }),
      n("dequantizeLinear", ["k1", "s", "z"], "d1"),
      n("maxPool2d", ["d1"], "p1", pool),
      n("quantizeLinear", ["p1", "s", "z"], "e1"),
      n("quantizedConv2d", ["e1", "s", "z", "q2", "ws2", "wz2", "s", "z"], "k2", { ...conv, activation: "relu" }),
      n("dequantizeLinear", ["k2", "s", "z"], "d2"),
      n("maxPool2d", ["d2"], "p2", pool),
      n("quantizeLinear", ["p2", "s", "z"], "e2"),
      n("reshape", ["e2"], "flat", { shape: [0, 3136, 1, 1] }),
      n("quantizedConv2d", ["flat", "s", "z", "q3", "ws3", "wz3", "s", "z"], "k3", { activation: "relu" }),
      n("quantizedConv2d", ["k3", "s", "z", "q4", "ws4", "wz4", "sy", "zy"], "k4"),
      n("reshape", ["k4"], "k4flat", { shape: [0, 10] }),
      n("dequantizeLinear", ["k4flat", "sy", "zy"], "y"),
    ],
    ["y"],
  );
  return { fp16, int8, tensors: { ...x, ...weights } };
}

test("the CNN deployed in int8 takes less simulated time than in fp16, at batch 1 and batch 8", async () => {
  for (const b of [1, 8]) {
    const { fp16, int8, tensors } = cnnGraphs(b);
    const device = chip();
    const time = async (g: GraphView) => {
      const [claim, ...rest] = claimSubgraphs(g, device);
      assert.equal(rest.length, 0, "the whole network is one claim");
      const { events } = await runClaim(device, claim!, tensors);
      return events.filter((e) => e.category === "kernel").reduce((s, e) => s + e.duration, 0);
    };
    const [t16, t8] = [await time(fp16), await time(int8)];
    assert.ok(t8 < t16, `batch ${b}: int8 ${t8} ms vs fp16 ${t16} ms`);
  }
});
