import { test } from "node:test";
import { matchesCpu, t, values } from "../testing/harness.ts";

for (const op of ["softmax", "logSoftmax"]) {
  test(`${op} along each axis, short lines (one invocation each) and long ones (a workgroup each)`, async () => {
    const x = t(values(3 * 5 * 4, -3, 3, 1), [3, 5, 4]);
    for (const axis of [0, 1, 2, -1]) await matchesCpu(op, [x], { axis }, { rtol: 1e-5, atol: 1e-6 });
    await matchesCpu(op, [t(values(2 * 300, -20, 20, 2), [2, 300])], { axis: 1 }, { rtol: 1e-5, atol: 1e-6 });
    await matchesCpu(op, [t(values(130 * 3, -20, 20, 3), [130, 3])], { axis: 0 }, { rtol: 1e-5, atol: 1e-6 });
  });

  test(`${op} of lines holding -Inf, +Inf and NaN`, async () => {
    const rows = [0, -Infinity, 1, 2, -Infinity, -Infinity, -Infinity, -Infinity, 1, Infinity, 0, 0, NaN, 1, 2, 3];
    await matchesCpu(op, [t(rows, [4, 4])], { axis: 1 });
  });
}

test("softmax on float16", async () => {
  await matchesCpu("softmax", [t(values(12, -2, 2, 4), [3, 4], "float16")], {}, { rtol: 2e-3, atol: 1e-3 });
});

test("layerNorm over the last dim and over the last two, with weight and bias", async () => {
  const x = t(values(4 * 6 * 70, -2, 2, 5), [4, 6, 70]);
  await matchesCpu("layerNorm", [x], {}, { rtol: 1e-4, atol: 1e-5 });
  await matchesCpu("layerNorm", [x, t(values(70, 0.5, 1.5, 6), [70]), t(values(70, -1, 1, 7), [70])], { epsilon: 1e-3 }, { rtol: 1e-4, atol: 1e-5 });
  await matchesCpu("layerNorm", [x, t(values(6 * 70, 0.5, 1.5, 8), [6, 70]), t(values(70, -1, 1, 9), [70])], { axis: 1 }, { rtol: 1e-4, atol: 1e-5 });
  await matchesCpu("layerNorm", [x, t(values(70, 0.5, 1.5, 6), [70])], { axis: -2 }, { rtol: 1e-4, atol: 1e-5 });
});

test("batchNorm over channels of a 4-D and a 2-D input", async () => {
  const params = (c: number, seed: number) => [
    t(values(c, 0.5, 2, seed), [c]),
    t(values(c, -1, 1, seed + 1), [c]),
    t(values(c, -1, 1, seed + 2), [c]),
    t(values(c, 0.1, 2, seed + 3), [c]),
  ];
  await matchesCpu("batchNorm", [t(values(2 * 3 * 4 * 5, -2, 2, 1), [2, 3, 4, 5]), ...params(3, 10)], { epsilon: 1e-3 }, { rtol: 1e-5, atol: 1e-6 });
  await matchesCpu("batchNorm", [t(values(5 * 7, -2, 2, 2), [5, 7]), ...params(7, 20)], {}, { rtol: 1e-5, atol: 1e-6 });
});
