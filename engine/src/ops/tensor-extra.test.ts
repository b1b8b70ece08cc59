import assert from "node:assert/strict";
import { test } from "node:test";
import {
  chunk,
  dropout1d,
  dropout2d,
  linspace,
  manualSeed,
  nn,
  oneHot,
  ones,
  outer,
  padTrailing,
  randint,
  randn,
  setDefaultDevice,
  std,
  tensor,
  unflatten,
} from "../index.ts";

setDefaultDevice("cpu");

test("Tensor methods std, amax, amin, chunk, unflatten and outer match the functions", async () => {
  const x = tensor([
    [1, 4, 2],
    [8, 3, 5],
  ]);
  assert.deepEqual(Array.from(await x.std(1, false, 0).data()), Array.from(await std(x, 1, false, 0).data()));
  assert.deepEqual(Array.from(await x.amax(0).data()), [8, 4, 5]);
  assert.deepEqual(Array.from(await x.amin(1, true).data()), [1, 3]);
  assert.deepEqual(
    x.chunk(2, 1).map((t) => t.shape),
    [
      [2, 2],
      [2, 1],
    ],
  );
  assert.deepEqual(x.reshape([6]).unflatten(0, [3, 2]).shape, [3, 2]);
  assert.deepEqual(
    Array.from(
      await tensor([1, 2])
        .outer(tensor([3, 4, 5]))
        .data(),
    ),
    [3, 4, 5, 6, 8, 10],
  );
});

test("std with a correction at or above the count gives inf or NaN, as torch", async () => {
  assert.equal(await std(tensor([1, 3]), undefined, false, 2).item(), Infinity);
  assert.ok(Number.isNaN(await std(tensor([2]), undefined, false, 1).item()));
  assert.throws(() => std(tensor([1, 2]), undefined, false, -1), /std: correction must be a non-negative number/);
});

test("chunk gives ceil-sized pieces (possibly fewer than asked), unflatten checks the sizes", () => {
  assert.deepEqual(
    chunk(randn([5]), 4).map((t) => t.shape[0]),
    [2, 2, 1],
  );
  assert.throws(() => chunk(randn([4]), 0), /chunk: chunks must be a positive integer, got 0/);
  assert.throws(() => unflatten(randn([2, 12]), 1, [5, -1]), /unflatten: sizes \[5, -1\] do not multiply to dim 1 \(size 12\) of input \[2, 12\]/);
});

test("oneHot needs integer indices and a class count", () => {
  assert.throws(() => oneHot(tensor([0.5]), 3), /oneHot: indices must be integers, got float32\[1\]/);
  assert.throws(
    () => oneHot(tensor(Int32Array.from([1])), -1),
    /oneHot: numClasses must be a positive integer \(torch's -1, inferred from the data, is not supported\)/,
  );
});

test("outer needs two 1-D tensors", () => {
  assert.throws(() => outer(randn([2, 2]), randn([2])), /outer: expects two 1-D tensors, got \[2, 2\] and \[2\]/);
});

test("randint draws integers in [low, high) from the seeded stream, reproducibly", async () => {
  manualSeed(11);
  const a = Array.from(await randint(-3, 4, [2000]).data());
  manualSeed(11);
  const b = Array.from(await randint(-3, 4, [2000]).data());
  assert.deepEqual(a, b);
  assert.ok(a.every((v) => Number.isInteger(v) && v >= -3 && v < 4));
  assert.deepEqual(
    [...new Set(a)].sort((p, q) => p - q),
    [-3, -2, -1, 0, 1, 2, 3],
  );
  const zeroBased = randint(5, [10]);
  assert.equal(zeroBased.dtype, "int32");
  assert.ok(Array.from(await zeroBased.data()).every((v) => v >= 0 && v < 5));
  assert.throws(() => randint(3, 3, [2]), /randint: low and high must be integers with low < high, got low 3, high 3/);
});

test("linspace includes both ends and refuses a negative count", async () => {
  assert.deepEqual(Array.from(await linspace(0, 1, 5).data()), [0, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual(linspace(0, 1, 0).shape, [0]);
  assert.throws(() => linspace(0, 1, -1), /linspace: steps must be a non-negative integer, got -1/);
});

test("dropout2d zeroes whole channels and scales the kept ones; eval and p = 0 pass the input through", async () => {
  manualSeed(5);
  const x = ones([4, 8, 3, 3]);
  const y = Array.from(await dropout2d(x, 0.5).data());
  const perChannel = Array.from({ length: 32 }, (_, c) => new Set(y.slice(c * 9, c * 9 + 9)));
  assert.ok(perChannel.every((s) => s.size === 1 && (s.has(0) || s.has(2))));
  const kept = perChannel.filter((s) => s.has(2)).length;
  assert.ok(kept > 4 && kept < 28, `${kept} of 32 channels kept`);
  assert.deepEqual(Array.from(await dropout2d(x, 0.5, false).data()), Array(288).fill(1));
  const layer = new nn.Dropout1d(0.3);
  layer.eval();
  assert.deepEqual(Array.from(await layer.call(ones([2, 3])).data()), Array(6).fill(1));
  assert.deepEqual(Array.from(await dropout1d(ones([2, 3, 4]), 1).data()), Array(24).fill(0));
  assert.throws(() => dropout2d(ones([2, 3]), 0.5), /dropout2d: expects \[N, C, H, W\] or \[C, H, W\], got \[2, 3\]/);
  assert.throws(() => new nn.Dropout2d(1.5), /Dropout2d: p must be in \[0, 1\], got 1.5/);
});

test("reflect padding must be smaller than the dim; pad modules take (left, right, top, bottom)", async () => {
  assert.throws(
    () => padTrailing(randn([1, 1, 3, 3]), [3, 0], "reflect"),
    /pad: reflect padding \(3, 0\) must be smaller than dim 3 of input \[1, 1, 3, 3\] \(size 3\)/,
  );
  assert.throws(() => new nn.ZeroPad2d([1, 2] as never), /ZeroPad2d: padding must be an integer or \[left, right, top, bottom\]/);
  const x = tensor([1, 2, 3, 4], { shape: [1, 1, 2, 2] });
  assert.deepEqual(Array.from(await new nn.ConstantPad2d([1, 0, 0, 1], 9).call(x).data()), [9, 1, 2, 9, 3, 4, 9, 9, 9]);
  assert.deepEqual(Array.from(await new nn.ReflectionPad2d([1, 0, 0, 0]).call(x).data()), [2, 1, 2, 4, 3, 4]);
  assert.deepEqual(Array.from(await new nn.ReplicationPad2d([0, 1, 0, 0]).call(x).data()), [1, 2, 2, 3, 4, 4]);
  assert.deepEqual(new nn.ZeroPad2d(1).call(x).shape, [1, 1, 4, 4]);
});

test("pixel shuffle round-trips and checks the factor", async () => {
  const x = randn([2, 8, 3, 3]);
  const back = new nn.PixelUnshuffle(2).call(new nn.PixelShuffle(2).call(x));
  assert.deepEqual(Array.from(await back.data()), Array.from(await x.data()));
  assert.throws(
    () => new nn.PixelShuffle(2).call(randn([1, 6, 2, 2])),
    /pixelShuffle: channels 6 of input \[1, 6, 2, 2\] must divide by upscaleFactor² \(2² = 4\)/,
  );
  assert.throws(
    () => new nn.PixelUnshuffle(2).call(randn([1, 1, 3, 4])),
    /pixelUnshuffle: height 3 and width 4 of input \[1, 1, 3, 4\] must divide by downscaleFactor 2/,
  );
});
