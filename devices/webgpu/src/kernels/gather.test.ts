import { test } from "node:test";
import { matchesCpu, t, values } from "../testing/harness.ts";

test("gather along each axis with a 2-D index", async () => {
  const x = t(values(24), [2, 3, 4]);
  await matchesCpu("gather", [x, t([1, 0, 1, 1], [2, 2], "int32")], { axis: 0 });
  await matchesCpu("gather", [x, t([2, 0, 1], [3], "int32")], { axis: 1 });
  await matchesCpu("gather", [x, t([3, 3, 0], [3, 1], "int32")], { axis: -1 });
});

test("gather of bytes (embedding lookup on uint8)", async () => {
  await matchesCpu("gather", [t([1, 2, 3, 4, 5, 6, 7, 8, 9], [3, 3], "uint8"), t([2, 0, 2, 1, 1], [5], "int32")], { axis: 0 });
});

test("gatherElements like torch.gather, with an index smaller than the input", async () => {
  const x = t(values(12), [3, 4]);
  await matchesCpu("gatherElements", [x, t([0, 2, 1, 2, 0, 0], [2, 3], "int32")], { axis: 0 });
  await matchesCpu("gatherElements", [x, t([3, 0, 1, 1, 2, 2], [3, 2], "int32")], { axis: 1 });
});

test("scatterAdd accumulates repeated indices in order", async () => {
  const x = t(values(12), [3, 4]);
  await matchesCpu("scatterAdd", [x, t([0, 2, 0, 1, 2, 2, 0, 0], [2, 4], "int32"), t(values(8, -1, 1, 3), [2, 4])], { axis: 0 }, { rtol: 0, atol: 0 });
  await matchesCpu("scatterAdd", [x, t([1, 1, 3, 0, 0, 0], [3, 2], "int32"), t(values(15, -1, 1, 4), [3, 5])], { axis: 1 }, { rtol: 0, atol: 0 });
});

test("scatterAdd on int32 and bool", async () => {
  await matchesCpu("scatterAdd", [t([1, 2, 3, 4], [4], "int32"), t([3, 3, 0], [3], "int32"), t([10, 20, 30], [3], "int32")], { axis: 0 });
  await matchesCpu("scatterAdd", [t([0, 0, 1, 0], [4], "bool"), t([3, 1, 0], [3], "int32"), t([1, 0, 0], [3], "bool")], { axis: 0 });
});
