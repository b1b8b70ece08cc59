import assert from "node:assert/strict";
import { test } from "node:test";
import { graph, info, init, node, values } from "../graph/testing.ts";
import type { Graph } from "../graph/ir.ts";
import { createSession } from "../runtime/session.ts";
import { calibrate, type Calibration } from "./calibrate.ts";
import { quantizeGraph } from "./quantize.ts";

/** conv → relu → maxPool → reshape → linear → relu → linear: the Fashion-MNIST CNN in miniature. */
const cnn = graph({
  name: "tiny-cnn",
  inputs: [info("x", ["batch", 1, 8, 8])],
  outputs: [info("y", ["batch", 3])],
  initializers: [
    init("c.w", [4, 1, 3, 3], values(36, 1)),
    init("c.b", [4], values(4, 2)),
    init(
      "f1.w",
      [6, 64],
      values(384, 3).map((v) => v * 0.3),
    ),
    init("f1.b", [6], values(6, 4)),
    init("f2.w", [3, 6], values(18, 5)),
    init("f2.b", [3], values(3, 6)),
  ],
  nodes: [
    node("conv2d", ["x", "c.w", "c.b"], "c", { pads: [1, 1, 1, 1] }),
    node("relu", ["c"], "r"),
    node("maxPool2d", ["r"], "p", { kernel: [2, 2], strides: [2, 2] }),
    node("reshape", ["p"], "flat", { shape: [0, 64] }),
    node("matmul", ["flat", "f1.w"], "m1", { transposeB: true }),
    node("add", ["m1", "f1.b"], "a1"),
    node("relu", ["a1"], "h"),
    node("matmul", ["h", "f2.w"], "m2", { transposeB: true }),
    node("add", ["m2", "f2.b"], "y"),
  ],
});

const batch = (n: number, seed: number) => ({ x: { data: values(n * 64, seed), shape: [n, 1, 8, 8] } });

async function run(g: Graph, inputs: ReturnType<typeof batch>): Promise<Float32Array> {
  const s = await createSession(g, { device: "cpu" });
  try {
    return (await s.run(inputs)).y!.data as Float32Array;
  } finally {
    s.dispose();
  }
}

test("calibration records the range of every quantisable layer's input and (post-ReLU) output", async () => {
  const cal = await calibrate(cnn, [batch(4, 1), batch(4, 2)], { observer: "minmax" });
  assert.deepEqual([...cal.ranges.keys()].sort(), ["flat", "h", "r", "x", "y"].sort());
  assert.equal(cal.ranges.get("r")!.min, 0, "the conv unit's output is after its ReLU");
  assert.equal(cal.samples, 8);
  assert.equal(cal.batches, 2);
  const x = [...values(4 * 64, 1), ...values(4 * 64, 2)];
  assert.deepEqual(cal.ranges.get("x"), { min: Math.min(...x), max: Math.max(...x) });
  await assert.rejects(calibrate(cnn, []), /calibrate 'tiny-cnn': no calibration batches were given/);
});

test("int8 rewrite: quantised layers hand uint8 values to each other; quantize/dequantize only at the borders", async () => {
  const q = quantizeGraph(cnn, await calibrate(cnn, [batch(8, 1)]));
  assert.deepEqual(
    q.nodes.map((n) => n.op),
    [
      "quantizeLinear", // the float input enters the quantised region
      "quantizedConv2d", // conv + bias + ReLU
      "dequantizeLinear",
      "maxPool2d",
      "quantizeLinear", // a max-pool with the conv's own scale: exact
      "reshape",
      "reshape",
      "quantizedConv2d",
      "reshape", // linear + ReLU as a 1x1 conv with int32 bias
      "reshape",
      "quantizedConv2d",
      "reshape",
      "dequantizeLinear", // the float output leaves it
    ],
  );
  const [conv, pool] = [q.nodes[1]!, q.nodes[4]!];
  assert.equal(conv.attrs.activation, "relu");
  assert.deepEqual(pool.inputs.slice(1), conv.inputs.slice(6, 8), "the max-pool requantises with the conv output's scale and zero point");
  const types = new Map(q.initializers.map((i) => [i.name, i.dtype]));
  assert.equal(types.get(conv.inputs[3]!), "int8");
  assert.equal(types.get(conv.inputs[8]!), "int32");
  assert.equal(q.initializers.find((i) => i.name === conv.inputs[4])!.shape[0], 4, "one weight scale per output channel");
  assert.ok(!q.initializers.some((i) => i.name === "c.w"), "the float weights are gone");
  assert.equal(q.metadata?.precision, "int8");
  assert.deepEqual(q.outputs, cnn.outputs);
});

test("the int8 graph computes what the float graph does, within a few quantisation steps of the output", async () => {
  const q = quantizeGraph(cnn, await calibrate(cnn, [batch(16, 1), batch(16, 2)], { observer: "minmax" }));
  const x = batch(8, 9);
  const [want, got] = [await run(cnn, x), await run(q, x)];
  const spread = Math.max(...want) - Math.min(...want);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) < 0.06 * spread, `output ${i}: ${got[i]} vs ${want[i]}`);
});

test("a bare matmul by a weight becomes quantizedMatmul, its ReLU folded into a zero point of 0", async () => {
  const g = graph({
    inputs: [info("x", ["batch", 5])],
    outputs: [info("y", ["batch", 4])],
    initializers: [init("w", [5, 4], values(20, 7))],
    nodes: [node("matmul", ["x", "w"], "m"), node("relu", ["m"], "y")],
  });
  const inputs = { x: { data: values(40, 3), shape: [8, 5] } };
  const q = quantizeGraph(g, await calibrate(g, [inputs], { observer: "minmax" }));
  assert.deepEqual(
    q.nodes.map((n) => n.op),
    ["quantizeLinear", "quantizedMatmul", "dequantizeLinear"],
  );
  const mm = q.nodes[1]!;
  assert.equal(mm.attrs.transposeB, true, "the weight is stored one row per output");
  assert.equal(q.initializers.find((i) => i.name === mm.inputs[7])!.data[0], 0);
  const s0 = await createSession(g);
  const s1 = await createSession(q);
  const [want, got] = [(await s0.run(inputs)).y!.data, (await s1.run(inputs)).y!.data];
  for (let i = 0; i < want.length; i++) {
    assert.ok(got[i]! >= 0, "negative results saturate at 0: the ReLU");
    assert.ok(Math.abs(got[i]! - want[i]!) < 0.05 * Math.max(...want), `${got[i]} vs ${want[i]}`);
  }
  s0.dispose();
  s1.dispose();
});

test("an activation read by two layers is quantised once", async () => {
  const g = graph({
    inputs: [info("x", ["batch", 1, 4, 4])],
    outputs: [info("a", ["batch", 2, 4, 4]), info("b", ["batch", 2, 4, 4])],
    initializers: [init("w1", [2, 1, 3, 3], values(18, 1)), init("w2", [2, 1, 3, 3], values(18, 2))],
    nodes: [node("conv2d", ["x", "w1"], "a", { pads: [1, 1, 1, 1] }), node("conv2d", ["x", "w2"], "b", { pads: [1, 1, 1, 1] })],
  });
  const q = quantizeGraph(g, await calibrate(g, [{ x: { data: values(32, 4), shape: [2, 1, 4, 4] } }]));
  assert.equal(q.nodes.filter((n) => n.op === "quantizeLinear").length, 1);
  assert.equal(q.nodes.filter((n) => n.op === "quantizedConv2d").length, 2);
});

test("quantising without a calibration range for a layer is refused, naming the value", () => {
  const empty: Calibration = { observer: "minmax", batches: 1, samples: 1, ranges: new Map() };
  assert.throws(() => quantizeGraph(cnn, empty), /quantize 'tiny-cnn': no calibration range for %x; calibrate this graph before quantising it/);
});
