import assert from "node:assert/strict";
import { test } from "node:test";
import { execute } from "../runtime.ts";
import type { Graph } from "../graph/ir.ts";
import { differentiate } from "./differentiate.ts";
import { isGradEnabled } from "../tape/grad-mode.ts";

const f32 = (name: string, shape: number[]) => ({ name, dtype: "float32" as const, shape });

/** y = sum((a + b) * a) over a [2, 3] a and a broadcast [3] b. */
const graph: Graph = {
  name: "g",
  inputs: [f32("a", [2, 3]), f32("b", [3])],
  outputs: [f32("y", [])],
  nodes: [
    { op: "add", inputs: ["a", "b"], outputs: ["c"], attrs: {} },
    { op: "mul", inputs: ["c", "a"], outputs: ["d"], attrs: {} },
    { op: "reduceSum", inputs: ["d"], outputs: ["y"], attrs: { axes: [0, 1], keepDims: false } },
  ],
  initializers: [],
};

test("differentiate records forward and backward ops whose run gives d(sum((a+b)·a))/da = 2a + b and /db = column sums of a", async () => {
  const grad = differentiate(graph, { xs: ["a", "b"], y: "y" });
  assert.deepEqual(
    grad.outputs.map((o) => [o.name, o.shape]),
    [
      ["grad_a", [2, 3]],
      ["grad_b", [3]],
    ],
  );
  const a = [1, 2, 3, 4, 5, 6];
  const b = [10, 20, 30];
  const out = await execute(grad, { a: { data: Float32Array.from(a), shape: [2, 3] }, b: { data: Float32Array.from(b), shape: [3] } } as never);
  assert.deepEqual(
    [...(out.grad_a!.data as Float32Array)],
    a.map((v, i) => 2 * v + b[i % 3]!),
  );
  assert.deepEqual([...(out.grad_b!.data as Float32Array)], [5, 7, 9]);
});

test("differentiate gives zeros for an x that y does not depend on", async () => {
  const g: Graph = { ...graph, inputs: [...graph.inputs, f32("unused", [2])] };
  const grad = differentiate(g, { xs: ["unused"], y: "y" });
  const out = await execute(grad, {
    a: { data: new Float32Array(6), shape: [2, 3] },
    b: { data: new Float32Array(3), shape: [3] },
    unused: { data: Float32Array.from([4, 5]), shape: [2] },
  } as never);
  assert.deepEqual([...(out.grad_unused!.data as Float32Array)], [0, 0]);
});

test("differentiate names the op that has no gradient rule", () => {
  const g: Graph = {
    name: "scatter",
    inputs: [f32("data", [3]), { name: "idx", dtype: "int32", shape: [2] }, f32("updates", [2])],
    outputs: [f32("y", [3])],
    nodes: [{ op: "scatterAdd", inputs: ["data", "idx", "updates"], outputs: ["y"], attrs: { axis: 0 }, name: "my_scatter" }],
    initializers: [],
  };
  assert.throws(() => differentiate(g, { xs: ["updates"], y: "y" }), /no gradient rule for op 'scatterAdd' \(node 'my_scatter'\)/);
});

test("differentiate goes through slices and splits (as gathers) and reductions over negative or absent axes", async () => {
  // y = sum over the last axis of x[:, 1:3] (negative axis), then over all; plus the first split part summed.
  const g: Graph = {
    name: "views",
    inputs: [f32("x", [2, 4])],
    outputs: [f32("y", [])],
    nodes: [
      { op: "slice", inputs: ["x"], outputs: ["s"], attrs: { starts: [1], ends: [3], axes: [1] } },
      { op: "reduceSum", inputs: ["s"], outputs: ["r"], attrs: { axes: [-1], keepDims: false } },
      { op: "reduceSum", inputs: ["r"], outputs: ["total"], attrs: {} },
      { op: "split", inputs: ["x"], outputs: ["p0", "p1"], attrs: { axis: 0 } },
      { op: "mul", inputs: ["p0", "p0"], outputs: ["sq"], attrs: {} },
      { op: "reduceSum", inputs: ["sq"], outputs: ["part"], attrs: {} },
      { op: "add", inputs: ["total", "part"], outputs: ["y"], attrs: {} },
    ],
    initializers: [],
  };
  const grad = differentiate(g, { xs: ["x"], y: "y" });
  const x = [1, 2, 3, 4, 5, 6, 7, 8];
  const out = await execute(grad, { x: { data: Float32Array.from(x), shape: [2, 4] } } as never);
  // d/dx: 1 inside the slice, plus 2x on the first row.
  assert.deepEqual([...(out.grad_x!.data as Float32Array)], [2, 5, 7, 8, 0, 1, 1, 0]);
});

test("differentiate leaves its inputs' names and the caller's grad mode as they were", () => {
  const grad = differentiate(graph, { xs: ["a"], y: "y", outputNames: ["da"] });
  assert.deepEqual(
    grad.inputs.map((i) => i.name),
    ["a", "b"],
  );
  assert.ok(
    grad.nodes.every((n) =>
      n.inputs.every((i) => i === "a" || i === "b" || grad.initializers.some((c) => c.name === i) || grad.nodes.some((m) => m.outputs.includes(i))),
    ),
  );
  assert.equal(isGradEnabled(), true);
});

test("differentiate reads host values of structural inputs: an expand to a constant shape, a reshape to another value's shape", async () => {
  // y = sum(reshape(expand(b, [2, 3]) · a, shape(a))): d/db sums over the broadcast rows.
  const g: Graph = {
    name: "structural",
    inputs: [f32("a", [2, 3]), f32("b", [1, 3])],
    outputs: [f32("y", [])],
    nodes: [
      { op: "expand", inputs: ["b", "target"], outputs: ["e"], attrs: {} },
      { op: "mul", inputs: ["e", "a"], outputs: ["m"], attrs: {} },
      { op: "shape", inputs: ["a"], outputs: ["s"], attrs: {} },
      { op: "reshape", inputs: ["m", "s"], outputs: ["r"], attrs: {} },
      { op: "reduceSum", inputs: ["r"], outputs: ["y"], attrs: {} },
    ],
    initializers: [{ name: "target", dtype: "int32", shape: [2], data: Int32Array.from([2, 3]) }],
  };
  const grad = differentiate(g, { xs: ["b"], y: "y" });
  const out = await execute(grad, {
    a: { data: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3] },
    b: { data: new Float32Array(3), shape: [1, 3] },
  } as never);
  assert.deepEqual([...(out.grad_b!.data as Float32Array)], [5, 7, 9]);
});
