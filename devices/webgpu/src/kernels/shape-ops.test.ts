import { test } from "node:test";
import { ints, matchesCpu, t, values } from "../testing/harness.ts";

test("concat along each axis of inputs with different extents", async () => {
  const a = t(values(2 * 3 * 4, -1, 1, 1), [2, 3, 4]);
  for (const axis of [0, 1, 2]) {
    const bShape = [2, 3, 4];
    bShape[axis] = 1;
    const b = t(
      values(
        bShape.reduce((p, q) => p * q, 1),
        -1,
        1,
        2,
      ),
      bShape,
    );
    await matchesCpu("concat", [a, b, a], { axis });
  }
});

test("concat of bytes and halves keeps every element (packed outputs written by several kernels)", async () => {
  await matchesCpu("concat", [t(ints(3, -100, 100, 1), [3], "int8"), t(ints(2, -100, 100, 2), [2], "int8"), t(ints(6, -100, 100, 3), [6], "int8")], {
    axis: 0,
  });
  await matchesCpu("concat", [t([1, 0, 1], [3, 1], "bool"), t([0, 0, 1, 1, 1, 0], [3, 2], "bool")], { axis: 1 });
  await matchesCpu("concat", [t(values(3), [1, 3], "float16"), t(values(6, -1, 1, 4), [2, 3], "float16")], { axis: 0 });
});

test("concat of one input, and of an empty one", async () => {
  await matchesCpu("concat", [t(values(4), [2, 2])], { axis: 1 });
  await matchesCpu("concat", [t(values(4), [2, 2]), t([], [2, 0])], { axis: 1 });
});

for (const mode of ["constant", "reflect", "edge"]) {
  test(`pad in ${mode} mode, wider than the input and cropping`, async () => {
    const x = t(values(3 * 4, -1, 1, 5), [3, 4]);
    await matchesCpu("pad", [x], { pads: [1, 2, 2, 1], mode, value: 7 });
    await matchesCpu("pad", [x], { pads: [5, 0, 4, 9], mode, value: -1 });
    await matchesCpu("pad", [x], { pads: [-1, 1, 0, -2], mode });
  });
}

test("pad of int8 and bool with a cast constant", async () => {
  await matchesCpu("pad", [t([1, -2, 3], [3], "int8")], { pads: [2, 3], value: 300 });
  await matchesCpu("pad", [t([1, 0, 1], [3], "bool")], { pads: [1, 1], value: 1, mode: "constant" });
  await matchesCpu("pad", [t([1, 0, 1, 1, 0], [5], "uint8")], { pads: [3, 2], mode: "reflect" });
});
