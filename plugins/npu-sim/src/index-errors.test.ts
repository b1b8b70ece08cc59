import assert from "node:assert/strict";
import { test } from "node:test";
import { ShapeError } from "@polychip/hal";
import { chip, runNpu, tensor } from "./test-support.ts";

/** The npu-sim stops on an index out of range with the cpu device's message (naming the dim). */
const rejectsWith = (run: Promise<unknown>, message: string) => assert.rejects(run, (err: Error) => err instanceof ShapeError && err.message === message);

test("gather, gatherElements and scatterAdd reject an index out of range with the cpu device's error", async () => {
  const x = tensor("float32", [3, 2], [1, 2, 3, 4, 5, 6]);
  await rejectsWith(runNpu(chip(), "gather", [x, tensor("int32", [2], [0, 5])], { axis: 0 }), "gather: index 5 is out of range for dim 0 of size 3");
  await rejectsWith(runNpu(chip(), "gather", [x, tensor("int32", [1], [-1])], { axis: 1 }), "gather: index -1 is out of range for dim 1 of size 2");
  await rejectsWith(
    runNpu(chip(), "gatherElements", [x, tensor("int32", [1, 2], [0, 3])], { axis: 0 }),
    "gatherElements: index 3 is out of range for dim 0 of size 3",
  );
  await rejectsWith(
    runNpu(chip(), "scatterAdd", [x, tensor("int32", [1, 2], [2, 2]), tensor("float32", [1, 2], [1, 1])], { axis: 1 }),
    "scatterAdd: index 2 is out of range for dim 1 of size 2",
  );
});
