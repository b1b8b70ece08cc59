import assert from "node:assert/strict";
import { test } from "node:test";
import type { HostTensor } from "../tensor.ts";
import { initializer } from "../testing/model-builder.ts";
import { SharedConstants } from "./shared-constants.ts";

const doubled = (t: HostTensor): HostTensor => ({ ...t, data: Float32Array.from(t.data, (v) => 2 * v) });

test("an initializer is decoded once, and a fold of shared tensors is computed once", () => {
  const shared = new SharedConstants();
  const proto = initializer("w", [1, 2, 3], [3]);
  const w = shared.tensor(proto, "w").value;
  assert.equal(shared.tensor(proto, "w").value, w, "the same decoded tensor");
  let computed = 0;
  const fold = () => shared.fold("mul", [w, w], {}, 1, () => (computed++, [doubled(w)]));
  const { result, folds } = shared.track(fold);
  shared.acquire(folds);
  assert.equal(fold()[0], result[0]);
  assert.equal(computed, 1);
  assert.deepEqual(Array.from(result[0]!.data), [2, 4, 6]);
  assert.ok(shared.isShared(result[0]!), "a shared fold's output is shared in turn");
});

test("a fold reading a large tensor that is not shared (positions up to the input's length) is computed every time", () => {
  const shared = new SharedConstants();
  const w = shared.tensor(initializer("w", [1, 2], [2]), "w").value;
  const positions: HostTensor = { dtype: "float32", shape: [100], data: Float32Array.from({ length: 100 }, (_, i) => i) };
  let computed = 0;
  for (let i = 0; i < 2; i++) shared.fold("add", [w, positions], {}, 1, () => (computed++, [doubled(w)]));
  assert.equal(computed, 2);
  assert.equal(shared.foldCount, 0);
});

test("a fold of small values is kept by their contents, told apart down to the bit", () => {
  const shared = new SharedConstants();
  const scalar = (v: number): HostTensor => ({ dtype: "float32", shape: [], data: Float32Array.of(v) });
  let computed = 0;
  const reciprocal = (t: HostTensor) => shared.fold("reciprocal", [t], {}, 1, () => (computed++, [{ ...t, data: Float32Array.of(1 / t.data[0]!) }]))[0]!;
  assert.equal(reciprocal(scalar(4)).data[0], 0.25);
  assert.equal(reciprocal(scalar(4)).data[0], 0.25);
  assert.equal(computed, 1, "a second scalar 4 (another array) hits the first fold");
  assert.equal(reciprocal(scalar(0)).data[0], Infinity);
  assert.equal(reciprocal(scalar(-0)).data[0], -Infinity, "-0 is not 0");
  assert.equal(computed, 3);
});

test("a fold goes when the last plan imported with it is released", () => {
  const shared = new SharedConstants();
  const w = shared.tensor(initializer("w", [1, 2, 3, 4], [4]), "w").value;
  // A slice up to a length taken from the input shape: one fold per signature.
  const sliceTo = (end: number) => shared.track(() => shared.fold("slice", [w], { starts: [0], ends: [end] }, 1, () => [doubled(w)])).folds;
  const first = sliceTo(2);
  shared.acquire(first);
  const second = sliceTo(3);
  shared.acquire(second);
  assert.equal(shared.foldCount, 2);
  shared.release(first);
  assert.equal(shared.foldCount, 1, "the first plan's slice went with it");
  shared.release(second);
  assert.equal(shared.foldCount, 0);
});

test("clear lets go of the decoded tensors and the folds", () => {
  const shared = new SharedConstants();
  const proto = initializer("w", [1, 2], [2]);
  const w = shared.tensor(proto, "w").value;
  shared.acquire(shared.track(() => shared.fold("neg", [w], {}, 1, () => [doubled(w)])).folds);
  shared.clear();
  assert.equal(shared.foldCount, 0);
  assert.equal(shared.isShared(w), false);
  assert.notEqual(shared.tensor(proto, "w").value, w, "decoded again after clear");
});

test("what is derived from part of the model is computed once per part and kind", () => {
  const shared = new SharedConstants();
  const nodes: unknown[] = [];
  let computed = 0;
  const count = (kind: string) => shared.derived(nodes, kind, () => ++computed);
  assert.equal(count("order"), 1);
  assert.equal(count("order"), 1);
  assert.equal(count("uses"), 2);
  assert.equal(
    shared.derived([], "order", () => ++computed),
    3,
    "another part computes its own",
  );
});
