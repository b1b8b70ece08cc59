import assert from "node:assert/strict";
import { test } from "node:test";
import { adaptiveAvgPool2d, adaptiveMaxPool1d, avgPool1d, maxPool1d, nn, randn, setDefaultDevice, tensor } from "../index.ts";
import { trace } from "../graph.ts";

setDefaultDevice("cpu");

test("adaptive pooling refuses bad output sizes and layouts, naming the op and the shapes", () => {
  assert.throws(
    () => adaptiveAvgPool2d(randn([2, 3, 4, 4]), [0, 2]),
    /adaptiveAvgPool2d: output size \[0,2\] must be 2 positive integer\(s\) for input \[2, 3, 4, 4\]/,
  );
  assert.throws(() => adaptiveAvgPool2d(randn([4, 4]), 2), /adaptiveAvgPool2d: expects \[N, C, H, W\] or \[C, H, W\], got \[4, 4\]/);
  assert.throws(() => adaptiveMaxPool1d(randn([2, 3, 4, 4]), 2), /adaptiveMaxPool1d: expects \[N, C, L\] or \[C, L\], got \[2, 3, 4, 4\]/);
  assert.throws(() => new nn.AdaptiveMaxPool2d([2, 2, 2]).call(randn([1, 1, 4, 4])), /adaptiveMaxPool2d: output size \[2,2,2\]/);
});

test("an output larger than the input repeats cells, as torch (no error)", async () => {
  const y = adaptiveAvgPool2d(tensor([1, 2, 3, 4], { shape: [1, 1, 2, 2] }), [3, 3]);
  assert.deepEqual(Array.from(await y.data()), [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]);
});

test("evenly dividing sizes run as the HAL pooling op; the others compose primitives (seen in a trace)", async () => {
  const opsOf = async (size: number[]) => (await trace((x) => adaptiveAvgPool2d(x, size), [randn([1, 2, 6, 6])])).nodes.map((n) => n.op);
  assert.ok((await opsOf([3, 2])).includes("avgPool2d"));
  const uneven = await opsOf([4, 4]);
  assert.ok(!uneven.includes("avgPool2d") && uneven.includes("matmul"), uneven.join(","));
  const global = (await trace((x) => new nn.AdaptiveMaxPool2d(1).call(x), [randn([1, 2, 5, 7])])).nodes.map((n) => n.op);
  assert.deepEqual(global, ["reduceMax"]);
});

test("1-D pools check kernel, stride and padding", () => {
  assert.throws(() => avgPool1d(randn([1, 2, 8]), 0), /avgPool1d: kernelSize must be an integer >= 1, got 0/);
  assert.throws(() => maxPool1d(randn([1, 2, 8]), 2, { padding: 2 }), /maxPool1d: padding 2 must be at most half of kernelSize 2/);
  assert.throws(() => maxPool1d(randn([8]), 2), /maxPool1d: expects \[N, C, L\] or \[C, L\], got \[8\]/);
});

test("1-D pool modules pass their settings through", async () => {
  const x = tensor([1, 5, 2, 8, 3, 0], { shape: [1, 1, 6] });
  assert.deepEqual(Array.from(await new nn.MaxPool1d(2).call(x).data()), [5, 8, 3]);
  assert.deepEqual(Array.from(await new nn.AvgPool1d(3, 3).call(x).data()), [8 / 3, 11 / 3].map(Math.fround));
  assert.deepEqual(Array.from(await new nn.AdaptiveAvgPool1d(2).call(x).data()), [8 / 3, 11 / 3].map(Math.fround));
});

test("an uneven adaptive average pool keeps a float16 input in float16 (its averaging matrix follows the dtype)", async () => {
  const x = randn([1, 2, 5, 5]);
  const half = adaptiveAvgPool2d(x.cast("float16"), [3, 3]);
  assert.equal(half.dtype, "float16");
  const [h, f] = [await half.cast("float32").data(), await adaptiveAvgPool2d(x, [3, 3]).data()];
  f.forEach((v, i) => assert.ok(Math.abs(h[i]! - v) < 2e-3, `[${i}] ${h[i]} vs ${v}`));
});
