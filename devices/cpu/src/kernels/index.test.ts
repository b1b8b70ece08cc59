import assert from "node:assert/strict";
import { test } from "node:test";
import { allOps, KernelRegistry } from "@polychip/hal";
import { referenceKernels } from "./index.ts";

test("the reference list has exactly one kernel for every op the HAL defines", () => {
  const ops = referenceKernels.map((k) => k.op).sort();
  assert.deepEqual(
    ops,
    allOps()
      .map((o) => o.name)
      .sort(),
  );
  assert.ok(referenceKernels.every((k) => k.device === "cpu" && k.dtypes === "*"));
});

test("the registration list loads into a KernelRegistry", () => {
  const registry = new KernelRegistry();
  registry.registerAll(referenceKernels);
  assert.equal(registry.ops("cpu").length, allOps().length);
  assert.ok(registry.find("cpu", "conv2d", "float16"));
});
