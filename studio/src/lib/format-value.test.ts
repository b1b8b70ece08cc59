import { test } from "node:test";
import assert from "node:assert/strict";
import { formatArgs, formatValue } from "./format-value.ts";

test("strings print bare at the top level and quoted inside objects", () => {
  assert.equal(formatArgs(["loss", 0.5, { name: "a" }]), 'loss 0.5 { name: "a" }');
});

test("objects with their own toString (tensors) print through it", () => {
  class Fake {
    toString() {
      return "Tensor(float32[2, 3] on cpu)";
    }
  }
  assert.equal(formatValue(new Fake()), "Tensor(float32[2, 3] on cpu)");
});

test("typed arrays are shortened", () => {
  assert.equal(formatValue(new Float32Array(25).fill(1)), `Float32Array(25) [${Array(20).fill("1").join(", ")}, …]`);
});

test("errors print name and message", () => {
  assert.equal(formatValue(new TypeError("bad")), "TypeError: bad");
});
