import assert from "node:assert/strict";
import { test } from "node:test";
import { evalStructural } from "./structural.ts";

const t = (shape: number[]) => ({ dtype: "float32" as const, shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i) });

test("folding an order-keeping op copies the data under the new shape", () => {
  const x = t([2, 3]);
  const [u] = evalStructural("unsqueeze", [x], { axes: [1] });
  assert.deepEqual(u!.shape, [2, 1, 3]);
  assert.deepEqual(Array.from(u!.data), [0, 1, 2, 3, 4, 5]);
  assert.notEqual(u!.data, x.data, "a copy, not an alias");
  const [r] = evalStructural("reshape", [x, { dtype: "int32", shape: [2], data: Int32Array.of(3, -1) }], {});
  assert.deepEqual(r!.shape, [3, 2]);
});

test("folding a reordering op still moves the elements", () => {
  const [p] = evalStructural("permute", [t([2, 3])], { dims: [1, 0] });
  assert.deepEqual(Array.from(p!.data), [0, 3, 1, 4, 2, 5]);
});

test("an order-keeping fold refuses a shape it cannot resolve", () => {
  assert.throws(() => evalStructural("reshape", [t([2, 3]), { dtype: "int32", shape: [2], data: Int32Array.of(4, -1) }], {}), /reshape/);
});
