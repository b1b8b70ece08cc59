import { test } from "node:test";
import { ints, matchesCpu, t, values } from "../testing/harness.ts";

const REDUCE = ["reduceSum", "reduceProd", "reduceMax", "reduceMin"];

for (const op of REDUCE) {
  test(`${op} over each axis set of a [3,5,7] tensor, with and without keepDims`, async () => {
    const x = t(values(105, 0.5, 1.5, op.length), [3, 5, 7]);
    for (const axes of [[0], [1], [2], [0, 2], [1, 2], [0, 1, 2], [-1]]) {
      await matchesCpu(op, [x], { axes }, { rtol: 1e-5 });
      await matchesCpu(op, [x], { axes, keepDims: true }, { rtol: 1e-5 });
    }
    await matchesCpu(op, [x], {}, { rtol: 1e-5 });
  });

  test(`${op} over a long last axis uses the workgroup tree`, async () => {
    const lo = op === "reduceProd" ? 0.99 : -1;
    const hi = op === "reduceProd" ? 1.01 : 1;
    await matchesCpu(op, [t(values(3 * 1000, lo, hi, 2), [3, 1000])], { axes: [1] }, { rtol: 1e-4, atol: 1e-5 });
  });

  test(`${op} on integers wraps like the CPU`, async () => {
    await matchesCpu(op, [t(ints(24, -9, 9, 3), [4, 6], "int32")], { axes: [1] });
    await matchesCpu(op, [t(ints(24, -9, 9, 4), [4, 6], "int8")], { axes: [0] });
    await matchesCpu(op, [t(ints(13, 0, 40, 5), [13], "uint8")], { axes: [0] });
  });
}

test("reduceMax and reduceMin propagate NaN", async () => {
  const x = t([1, NaN, 3, 4, 5, 6, -Infinity, 2], [2, 4]);
  await matchesCpu("reduceMax", [x], { axes: [1] });
  await matchesCpu("reduceMin", [x], { axes: [1] });
  await matchesCpu("reduceMax", [t([...values(300), NaN, ...values(200)], [501])], { axes: [0] });
});

test("reduceSum and reduceProd of an empty axis give 0 and 1", async () => {
  await matchesCpu("reduceSum", [t([], [3, 0])], { axes: [1] });
  await matchesCpu("reduceProd", [t([], [3, 0])], { axes: [1] });
});

test("float16 reductions accumulate in float32", async () => {
  await matchesCpu("reduceSum", [t(values(30, -1, 1, 6), [5, 6], "float16")], { axes: [1] }, { rtol: 2e-3, atol: 2e-3 });
});

for (const op of ["argMax", "argMin"]) {
  test(`${op} along each axis, ties to the first index`, async () => {
    const x = t(ints(60, 0, 4, 8), [3, 4, 5]);
    for (const axis of [0, 1, 2, -1]) await matchesCpu(op, [x], { axis });
    await matchesCpu(op, [x], { axis: 1, keepDims: true });
  });

  test(`${op} with selectLastIndex and NaN`, async () => {
    const x = t([1, 3, 3, 0, NaN, 2, NaN, 1, 5, 5, 1, 5], [3, 4]);
    await matchesCpu(op, [x], { axis: 1 });
    await matchesCpu(op, [x], { axis: 1, selectLastIndex: true });
  });

  test(`${op} on int8`, async () => {
    await matchesCpu(op, [t([5, -3, 7, 7, -128, 127], [2, 3], "int8")], { axis: 1 });
  });
}
