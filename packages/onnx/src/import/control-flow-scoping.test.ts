import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { OnnxSession } from "../session.ts";
import { buildModel, initializer, type GraphSpec, type ModelSpec, type NodeSpec } from "../testing/model-builder.ts";

/**
 * Values computed inside inlined control flow (If branches, Loop bodies) that OnnxSession must
 * compute per run because a lowering needs them at import (ConstantOfShape's shape, Range's
 * limit, a nested If's condition). Each model also reads the same value at run time, so the
 * known value and the node that computed it must not both define it. Expected values by hand.
 */

const i64 = (name: string, shape: (number | string)[] = []) => ({ name, type: "int64" as const, shape });
const f32 = (name: string, shape: (number | string)[] = []) => ({ name, type: "float32" as const, shape });
const branch = (outputs: string[], nodes: NodeSpec[] = []): { graph: GraphSpec } => ({
  graph: { inputs: [], outputs: outputs.map((name) => ({ name, type: "int64" as const })), nodes },
});
const yes = initializer("yes", [1], [], "bool");

/**
 * y = ConstantOfShape(n) + float(n) needs n at import (the shape); y_size = Concat(n, size) reads
 * it at run time beside the graph input.
 */
const filledWith = (n: string, y: string): NodeSpec[] => [
  { op: "ConstantOfShape", inputs: [n], outputs: [`${y}_zeros`] },
  { op: "Cast", inputs: [n], outputs: [`${y}_f`], attrs: { to: 1 } },
  { op: "Add", inputs: [`${y}_zeros`, `${y}_f`], outputs: [y] },
  { op: "Concat", inputs: [n, "size"], outputs: [`${y}_size`], attrs: { axis: 0 } },
];

async function run(spec: ModelSpec, feeds: Record<string, { data: number[]; shape: number[] }>): Promise<Record<string, number[]>> {
  const session = await OnnxSession.create(buildModel(spec), { device: "cpu" });
  try {
    const typed = Object.fromEntries(
      Object.entries(feeds).map(([name, f]) => {
        const int = spec.inputs.find((v) => v.name === name)?.type === "int64";
        return [name, int ? { data: Int32Array.from(f.data), shape: f.shape, dtype: "int32" as const } : { data: Float32Array.from(f.data), shape: f.shape }];
      }),
    );
    const out = await session.run(typed);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Array.from(v.data as ArrayLike<number | bigint>, Number)]));
  } finally {
    session.dispose();
  }
}

test("an If output computed at run time and needed at import is defined once", async () => {
  const spec: ModelSpec = {
    opset: 13,
    inputs: [i64("size", [2])],
    outputs: [f32("y"), i64("y_size")],
    nodes: [
      {
        op: "If",
        inputs: ["yes"],
        outputs: ["h", "w"],
        attrs: {
          then_branch: branch(["h_then", "w_then"], [{ op: "Split", inputs: ["size"], outputs: ["h_then", "w_then"] }]),
          else_branch: branch(["h_else", "w_else"], [{ op: "Split", inputs: ["size"], outputs: ["h_else", "w_else"] }]),
        },
      },
      ...filledWith("h", "y"),
    ],
    initializers: [yes],
  };
  assert.deepEqual(await run(spec, { size: { data: [3, 5], shape: [2] } }), { y: [3, 3, 3], y_size: [3, 3, 5] });
});

test("an If branch whose output is an outer value, directly or through Identity, is defined once", async () => {
  const spec: ModelSpec = {
    opset: 13,
    inputs: [i64("size", [1])],
    outputs: [f32("y"), i64("y_size"), f32("z"), i64("z_size")],
    nodes: [
      { op: "Add", inputs: ["size", "one"], outputs: ["n"] },
      { op: "If", inputs: ["yes"], outputs: ["direct"], attrs: { then_branch: branch(["n"]), else_branch: branch(["size"]) } },
      {
        op: "If",
        inputs: ["yes"],
        outputs: ["copied"],
        attrs: { then_branch: branch(["c"], [{ op: "Identity", inputs: ["n"], outputs: ["c"] }]), else_branch: branch(["size"]) },
      },
      ...filledWith("direct", "y"),
      ...filledWith("copied", "z"),
    ],
    initializers: [yes, initializer("one", [1], [1], "int64")],
  };
  assert.deepEqual(await run(spec, { size: { data: [1], shape: [1] } }), { y: [2, 2], y_size: [2, 1], z: [2, 2], z_size: [2, 1] });
});

test("two Ifs whose branches use the same local names each keep their own value", async () => {
  const negate = (from: string) => branch(["t"], [{ op: "Neg", inputs: [from], outputs: ["t"] }]);
  const keep = (from: string) => branch(["t"], [{ op: "Identity", inputs: [from], outputs: ["t"] }]);
  const spec: ModelSpec = {
    opset: 13,
    inputs: [i64("size", [2])],
    outputs: [f32("y"), i64("y_size"), f32("z"), i64("z_size")],
    nodes: [
      { op: "Split", inputs: ["size"], outputs: ["a", "b"] },
      { op: "If", inputs: ["yes"], outputs: ["first"], attrs: { then_branch: keep("a"), else_branch: negate("a") } },
      { op: "If", inputs: ["no"], outputs: ["second"], attrs: { then_branch: keep("b"), else_branch: negate("b") } },
      { op: "Neg", inputs: ["second"], outputs: ["second_len"] },
      ...filledWith("first", "y"),
      ...filledWith("second_len", "z"),
    ],
    initializers: [yes, initializer("no", [0], [], "bool")],
  };
  assert.deepEqual(await run(spec, { size: { data: [2, 3], shape: [2] } }), { y: [2, 2], y_size: [2, 2, 3], z: [3, 3, 3], z_size: [3, 2, 3] });
});

test("a nested If whose condition is computed from data inside the outer branch runs per run", async () => {
  // Outer If (known): inner If on sum(x) > 0 picks x·2 or -x.
  const inner = {
    op: "If",
    inputs: ["positive"],
    outputs: ["picked"],
    attrs: {
      then_branch: { graph: { inputs: [], outputs: [f32("twice")], nodes: [{ op: "Add", inputs: ["x", "x"], outputs: ["twice"] }] } },
      else_branch: { graph: { inputs: [], outputs: [f32("negated")], nodes: [{ op: "Neg", inputs: ["x"], outputs: ["negated"] }] } },
    },
  };
  const outerThen: GraphSpec = {
    inputs: [],
    outputs: [f32("picked")],
    nodes: [
      { op: "ReduceSum", inputs: ["x"], outputs: ["sum"], attrs: { keepdims: 0 } },
      { op: "Greater", inputs: ["sum", "zero"], outputs: ["positive"] },
      inner,
    ],
  };
  const model = buildModel({
    opset: 13,
    inputs: [f32("x", [3])],
    outputs: [f32("y")],
    nodes: [{ op: "If", inputs: ["yes"], outputs: ["y"], attrs: { then_branch: { graph: outerThen }, else_branch: { graph: outerThen } } }],
    initializers: [yes, initializer("zero", [0], [])],
  });
  const session = await OnnxSession.create(model, { device: "cpu" });
  try {
    for (const [x, want] of [
      [
        [1, 2, -0.5],
        [2, 4, -1],
      ],
      [
        [-1, 0.5, -3],
        [1, -0.5, 3],
      ],
    ] as const) {
      const y = (await session.run({ x: { data: Float32Array.from(x), shape: [3] } })).y!;
      assert.deepEqual(Array.from(y.data as Float32Array), want);
    }
  } finally {
    session.dispose();
  }
});

test("a Loop-carried value computed at run time and needed at import is defined once, in and after the body", async () => {
  // n ← n + 1 twice; inside the body Range(0, n) (needs the inlined n), after it ConstantOfShape(n).
  const body: GraphSpec = {
    inputs: [i64("i"), { name: "c_in", type: "bool", shape: [] }, i64("n_in", [1])],
    outputs: [{ name: "c_out", type: "bool" }, i64("n_out"), i64("steps")],
    nodes: [
      { op: "Identity", inputs: ["c_in"], outputs: ["c_out"] },
      { op: "Add", inputs: ["n_in", "one"], outputs: ["n_out"] },
      { op: "Squeeze", inputs: ["n_out", "axis0"], outputs: ["limit"] },
      { op: "Range", inputs: ["zero", "limit", "step"], outputs: ["range"] },
      { op: "ReduceSum", inputs: ["range", "axis0"], outputs: ["steps"], attrs: { keepdims: 0 } },
    ],
  };
  const spec: ModelSpec = {
    opset: 13,
    inputs: [i64("size", [1])],
    outputs: [f32("y"), i64("y_size"), i64("sums")],
    nodes: [{ op: "Loop", inputs: ["trips", "", "size"], outputs: ["n", "sums"], attrs: { body: { graph: body } } }, ...filledWith("n", "y")],
    initializers: [
      initializer("trips", [2], [], "int64"),
      initializer("one", [1], [1], "int64"),
      initializer("axis0", [0], [1], "int64"),
      initializer("zero", [0], [], "int64"),
      initializer("step", [1], [], "int64"),
    ],
  };
  // size 1: n = 2 then 3; sums of 0..n-1 are 1 and 3.
  assert.deepEqual(await run(spec, { size: { data: [1], shape: [1] } }), { y: [3, 3, 3], y_size: [3, 1], sums: [1, 3] });
});
