import assert from "node:assert/strict";
import { test } from "node:test";
import { setDefaultDevice } from "../index.ts";
import type { Plan } from "./plan.ts";
import type { StepProgram } from "./program.ts";
import { SmallFills } from "./small-fills.ts";

setDefaultDevice("cpu");

const fill = (value: number, output: number) => ({ op: "fill", attrs: { value, shape: [], dtype: "float32" }, inputs: [], outputs: [output], device: "cpu" });

/** Fills 0..4: three of 0.5 (the third a program output), then -0 and +0; value 5 is written by a copy. */
const program: StepProgram = {
  values: Array.from({ length: 6 }, () => ({ dtype: "float32" as const, device: "cpu", bytes: 4, external: false, shape: [] })),
  nodes: [
    fill(0.5, 0),
    fill(0.5, 1),
    fill(0.5, 2),
    fill(-0, 3),
    fill(0, 4),
    fill(0.5, 5),
    {
      op: "copyInto",
      attrs: {},
      inputs: [{ value: 0, dtype: "float32", shape: [], strides: [], offset: 0 }],
      outputs: [],
      device: "cpu",
      write: { value: 5, dtype: "float32", shape: [], strides: [], offset: 0 },
    },
  ],
  outputs: [2],
};
const plan = { outputs: [2] } as unknown as Plan;

test("equal fills share one upload; an output, a written value and -0 against +0 get their own", () => {
  const fills = new SmallFills(plan, program);
  const at = (id: number) => fills.storageFor(id, program.nodes[id]!.attrs, "cpu");
  const [a, b, out, minusZero, zero, written] = [0, 1, 2, 3, 4, 5].map(at);
  assert.equal(a, b);
  assert.ok(!a!.exclusive, "a shared buffer is never written over in place");
  for (const own of [out, written]) assert.ok(own !== a && own!.exclusive);
  assert.notEqual(minusZero, zero);
  fills.release();
  assert.ok(a!.alive, "each value holds its own reference until its last reader");
  a!.release();
  b!.release();
  assert.ok(!a!.alive);
  for (const s of [out, minusZero, zero, written]) s!.release();
});
