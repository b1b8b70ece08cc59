import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import "@polychip/devices";
import { createSession, type HostOutput } from "@polychip/engine/runtime";
import { importOnnx } from "./import/importer.ts";
import { OnnxSession } from "./session.ts";
import { buildModel, initializer, type NodeSpec } from "./testing/model-builder.ts";
import { DATA_SIZED_CASES, yoloFrame, yoloPostprocess, type DataSizedCase } from "./testing/data-sized-cases.ts";

/** onnxruntime-node's outputs for DATA_SIZED_CASES (scripts/generate-data-sized-fixtures.ts). */
const fixture = JSON.parse(readFileSync(new URL("../fixtures/data-sized-onnxruntime.json", import.meta.url), "utf8")) as {
  outputs: Record<string, Record<string, { shape: number[]; values: number[] }>>;
};

const byName = (name: string) => DATA_SIZED_CASES.find((c) => c.name === name)!;

function expectLikeFixture(c: DataSizedCase, got: Record<string, HostOutput>, atol = 1e-6): void {
  const want = fixture.outputs[c.name];
  assert.ok(want, `the fixture has no outputs for '${c.name}': rerun scripts/generate-data-sized-fixtures.ts`);
  for (const [name, w] of Object.entries(want)) {
    assert.deepEqual(got[name]!.shape, w.shape, `${c.name}: output '${name}' shape`);
    const off = w.values.findIndex((v, i) => !(Math.abs(got[name]!.data[i]! - v) <= atol));
    assert.equal(off, -1, `${c.name}: output '${name}'[${off}] is ${got[name]!.data[off]}, onnxruntime ${w.values[off]}`);
  }
}

async function runCases(names: readonly string[], atol?: number, device = "cpu"): Promise<OnnxSession> {
  const session = await OnnxSession.create(byName(names[0]!).model, { device });
  for (const name of names) expectLikeFixture(byName(name), await session.run(byName(name).inputs), atol);
  return session;
}

test("YOLO post-processing (8,400 boxes × 80 classes → NMS → gathered boxes) matches onnxruntime on two frames of one session", async () => {
  const session = await runCases(["yolo-3-objects", "yolo-9-objects"]);
  const counts = ["yolo-3-objects", "yolo-9-objects"].map((n) => fixture.outputs[n]!.selected!.shape[0]);
  assert.notEqual(counts[0], counts[1], "the two frames should select different numbers of boxes");
  session.dispose();
});

test("NonZero → GatherND on 8,200 values (over the old 4,096 limit) matches onnxruntime, with different counts per run", async () => {
  (await runCases(["nonzero-8200", "nonzero-8200-other"])).dispose();
});

test("a count that feeds a later Reshape target and a Range limit is static in the plan after the host step", async () => {
  const session = await runCases(["count-shapes-a", "count-shapes-b"]);
  const plan = await session.planFor(byName("count-shapes-a").inputs);
  assert.ok(!plan.graph.nodes.some((n) => n.op === "range" || n.op === "shape"), `the count folded: ${plan.graph.nodes.map((n) => n.op).join(", ")}`);
  session.dispose();
});

test("a new count plans only the part after the host step; the part before it is planned once per input shape", async () => {
  const session = await OnnxSession.create(yoloPostprocess, { device: "cpu" });
  await session.run(yoloFrame(3, 1));
  const first = session.planStats;
  await session.run(yoloFrame(9, 2));
  const second = session.planStats;
  assert.equal(second.shapes.imports, first.shapes.imports, "nothing keyed by the input shapes was imported again");
  assert.equal(second.counts.imports, first.counts.imports + 1, "one plan for the new count");
  // Another frame with the first frame's count reuses that count's plan: no import at all.
  await session.run(yoloFrame(3, 1));
  assert.deepEqual([session.planStats.shapes.imports, session.planStats.counts.imports], [second.shapes.imports, second.counts.imports]);
  session.dispose();
});

test("the plan after a host step reads its results as inputs, not as constants", async () => {
  const session = await OnnxSession.create(yoloPostprocess, { device: "cpu" });
  const plan = await session.planFor(yoloFrame(3, 1));
  const selection = plan.graph.inputs.find((v) => v.name.startsWith("selected::host"));
  assert.ok(selection, `inputs: ${plan.graph.inputs.map((v) => v.name).join(", ")}`);
  assert.deepEqual(selection.shape, [fixture.outputs["yolo-3-objects"]!.selected!.shape[0], 3]);
  assert.ok(
    plan.graph.nodes.every((n) => n.op !== "sigmoid"),
    `the scores were computed by the stage before the NMS, not again: ${plan.graph.nodes.map((n) => n.op).join(", ")}`,
  );
  session.dispose();
});

test("more counts than maxCountPlans drop the oldest count plans and keep the part before the step", async () => {
  const session = await OnnxSession.create(byName("count-shapes-a").model, { device: "cpu", maxCountPlans: 1 });
  for (const name of ["count-shapes-a", "count-shapes-b", "count-shapes-a"]) expectLikeFixture(byName(name), await session.run(byName(name).inputs));
  const { shapes, counts } = session.planStats;
  assert.equal(counts.evictions, 2);
  assert.equal(counts.replans, 1, "the first count's plan was needed again after it was dropped");
  assert.equal(shapes.evictions, 0);
  session.dispose();
});

test("two host steps in a row (NMS, then RoiAlign on the boxes it picked) match onnxruntime, the crops planned by their count", async () => {
  // RoiAlign sums its taps in another order than onnxruntime: float32 rounding apart.
  const session = await runCases(["proposal-crops-a", "proposal-crops-b"], 1e-5);
  const plan = await session.planFor(byName("proposal-crops-a").inputs);
  const fed = plan.graph.inputs.filter((v) => v.name.includes("::host")).map((v) => `${v.name}[${v.shape}]`);
  const count = fixture.outputs["proposal-crops-a"]!.crops!.shape[0]!;
  // The selection went to the stage that computed the rois; the crops read RoiAlign's taps, one row per bin of each roi.
  assert.ok(fed.length === 3 && fed[0]!.startsWith(`crops::host0[${count * 9},`), `RoiAlign's taps are fed by count: ${fed.join(", ")}`);
  session.dispose();
});

test("a host step reads a graph input given as a device view", async () => {
  const copy = await createSession(
    importOnnx(
      buildModel({
        opset: 13,
        inputs: [{ name: "x", type: "float32", shape: [6] }],
        outputs: [{ name: "y", type: "float32" }],
        nodes: [{ op: "Neg", inputs: ["x"], outputs: ["y"] }],
      }),
    ),
    { device: "cpu" },
  );
  const { y } = await copy.runViews({ x: { data: Float32Array.from([0, -2, 0, -3, 0, 0]), shape: [6] } });
  const nonZero = buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: [6] }],
    outputs: [{ name: "nz", type: "int64" }],
    nodes: [{ op: "NonZero", inputs: ["x"], outputs: ["nz"] }],
  });
  const session = await OnnxSession.create(nonZero, { device: "cpu" });
  const got = await session.run({ x: y! });
  assert.deepEqual(
    [got.nz!.shape, Array.from(got.nz!.data)],
    [
      [1, 2],
      [1, 3],
    ],
  );
  y!.storage.release();
  session.dispose();
  copy.dispose();
});

/** If (flag > 0) { x[x > 0] } else { x }: the NonZero sits inside the inlined branch. */
function nonZeroInBranch(n: number): Uint8Array {
  return buildModel({
    opset: 13,
    inputs: [
      { name: "x", type: "float32", shape: [n] },
      { name: "flag", type: "float32", shape: [] },
    ],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [
      { op: "Greater", inputs: ["flag", "zero"], outputs: ["on"] },
      { op: "Greater", inputs: ["x", "zero"], outputs: ["mask"] },
      {
        op: "If",
        inputs: ["on"],
        outputs: ["y"],
        attrs: {
          then_branch: {
            graph: {
              inputs: [],
              outputs: [{ name: "kept", type: "float32" }],
              nodes: [
                { op: "NonZero", inputs: ["mask"], outputs: ["nz"] },
                { op: "Squeeze", inputs: ["nz", "axis0"], outputs: ["idx"] },
                { op: "Gather", inputs: ["x", "idx"], outputs: ["kept"] },
              ],
            },
          },
          else_branch: { graph: { inputs: [], outputs: [{ name: "same", type: "float32" }], nodes: [{ op: "Identity", inputs: ["x"], outputs: ["same"] }] } },
        },
      },
    ],
    initializers: [initializer("zero", [0], []), initializer("axis0", [0], [1], "int64")],
  });
}

test("inside an inlined If branch a host step on a top-level value runs per run, past the 4,096 values a frozen value may hold", async () => {
  const session = await OnnxSession.create(nonZeroInBranch(5000), { device: "cpu" });
  for (const shift of [0.5, -2, 0.1]) {
    const x = Float32Array.from({ length: 5000 }, (_, i) => Math.sin(i * 1.3) + shift);
    const got = await session.run({ x: { data: x, shape: [5000] }, flag: { data: [1], shape: [] } });
    assert.deepEqual(Array.from(got.y!.data), Array.from(x.filter((v) => v > 0)));
  }
  const plan = await session.planFor({ x: { data: new Float32Array(5000).fill(1), shape: [5000] }, flag: { data: [1], shape: [] } });
  assert.deepEqual(
    plan.graph.inputs.map((v) => `${v.name}[${v.shape}]`).filter((v) => v.includes("::host")),
    ["If_2/NonZero_0/nz::host0[1,5000]"],
    "the indices are an input of the plan, not constants",
  );
  session.dispose();
});

test("the host steps run the same on npu-sim, whose plans are the same ops on another device", async () => {
  for (const names of [
    ["yolo-3-objects", "yolo-9-objects"],
    ["nonzero-8200", "nonzero-8200-other"],
    ["count-shapes-a", "count-shapes-b"],
  ])
    (await runCases(names, 1e-6, "npu-sim")).dispose();
  (await runCases(["proposal-crops-a", "proposal-crops-b"], 1e-5, "npu-sim")).dispose();
});

test("a model with more host steps than maxCountPlans' default keeps every count plan of a run (no import on the next run)", async () => {
  // Twenty NonZero steps in a chain, each selecting x's entries above a threshold and adding their sum to x.
  const steps = 20;
  const nodes: NodeSpec[] = [];
  let x = "x";
  for (let i = 0; i < steps; i++) {
    nodes.push(
      { op: "Greater", inputs: [x, "threshold"], outputs: [`above${i}`] },
      { op: "NonZero", inputs: [`above${i}`], outputs: [`where${i}`] },
      { op: "Reshape", inputs: [`where${i}`, "flat"], outputs: [`index${i}`] },
      { op: "Gather", inputs: [x, `index${i}`], outputs: [`picked${i}`] },
      { op: "ReduceSum", inputs: [`picked${i}`], outputs: [`sum${i}`], attrs: { keepdims: 1 } },
      { op: "Mul", inputs: [`sum${i}`, "tenth"], outputs: [`step${i}`] },
      { op: "Sub", inputs: [x, `step${i}`], outputs: [`x${i}`] },
    );
    x = `x${i}`;
  }
  const model = buildModel({
    opset: 17,
    inputs: [{ name: "x", type: "float32", shape: [16] }],
    outputs: [{ name: x, type: "float32", shape: [16] }],
    nodes,
    initializers: [initializer("threshold", [0], []), initializer("tenth", [0.01], []), initializer("flat", [-1], [1], "int64")],
  });
  const session = await OnnxSession.create(model, { device: "cpu" });
  const feeds = { x: { data: Float32Array.from({ length: 16 }, (_, i) => Math.sin(i * 1.7) * 4), shape: [16] } };
  const first = await session.run(feeds);
  const imported = session.planStats.counts.imports;
  assert.ok(imported > 16, `the chain needs more count plans (${imported}) than the default limit`);
  const again = await session.run(feeds);
  assert.deepEqual(Array.from(again[x]!.data), Array.from(first[x]!.data));
  assert.equal(session.planStats.counts.imports, imported, "the second run imports nothing");
  assert.equal(session.planStats.counts.evictions, 0);
  session.dispose();
});
