import { test } from "node:test";
import assert from "node:assert/strict";
import { nn, profiler, tensor, type ProfileRange } from "../index.ts";

const within = (inner: { start: number; duration: number }, outer: { start: number; duration: number }) =>
  inner.start >= outer.start && inner.start + inner.duration <= outer.start + outer.duration + 1e-9;

function record(fn: () => void): { ranges: ProfileRange[]; kernels: ReturnType<typeof profiler.stop> } {
  profiler.start();
  try {
    fn();
  } finally {
    var kernels = profiler.stop();
  }
  return { ranges: profiler.ranges(), kernels };
}

test("a module's forward is a range named by its path, around its ops, around their kernels", () => {
  const model = new nn.Sequential(new nn.Linear(3, 2), new nn.ReLU());
  const x = tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3] });
  const { ranges, kernels } = record(() => void model.forward(x));
  const root = ranges.find((r) => r.name === "Sequential")!;
  const linear = ranges.find((r) => r.name === "Sequential/Linear[0]")!;
  const relu = ranges.find((r) => r.name === "Sequential/ReLU[1]")!;
  assert.deepEqual([root.kind, root.depth, linear.kind, linear.depth, relu.depth], ["module", 0, "module", 1, 1]);
  assert.ok(within(linear, root) && within(relu, root) && relu.start >= linear.start + linear.duration);
  const matmul = ranges.find((r) => r.kind === "op" && r.name === "matmul")!;
  assert.equal(matmul.depth, 2);
  assert.ok(within(matmul, linear), "the op runs inside its module");
  const kernel = kernels.find((k) => k.name === "matmul" && k.category === "kernel")!;
  assert.ok(within(kernel, matmul), "the cpu kernel runs inside its op");
});

test("super.forward of the same module opens no second range; nothing is recorded when not profiling", () => {
  class Scaled extends nn.Linear {
    override forward(x: Parameters<nn.Linear["forward"]>[0]) {
      return super.forward(x).mul(2);
    }
  }
  const model = new Scaled(2, 2);
  const x = tensor([1, 2], { shape: [1, 2] });
  const { ranges } = record(() => void model.forward(x));
  assert.deepEqual(
    ranges.filter((r) => r.kind === "module").map((r) => r.name),
    ["Scaled"],
  );
  const ops = ranges.filter((r) => r.kind === "op");
  assert.ok(ops.some((r) => r.name === "matmul") && ops.some((r) => r.name === "mul"));
  assert.ok(
    ops.every((r) => r.depth === 1),
    "every op sits directly in the one module range",
  );
  model.forward(x);
  assert.equal(profiler.ranges(), ranges, "a forward outside a recording adds nothing");
});

test("ranges stream to a subscriber, each when it closes, innermost first", () => {
  const seen: ProfileRange[] = [];
  const stop = profiler.subscribeRanges((r) => seen.push(r));
  try {
    new nn.Sequential(new nn.Tanh()).forward(tensor([0.5], { shape: [1, 1] }));
  } finally {
    stop();
  }
  assert.deepEqual(
    seen.map((r) => `${r.kind}:${r.name}`),
    ["op:tanh", "module:Sequential/Tanh[0]", "module:Sequential"],
  );
  assert.equal(profiler.recording, false);
});
