import assert from "node:assert/strict";
import { test } from "node:test";
import { allOps, DTypeError, getOp, KernelRegistry, type TensorMeta } from "@polychip/hal";
import type { WebGpuRegistration } from "../families/registration.ts";
import { webgpuKernels } from "./index.ts";

/** Primitives whose first input the HAL requires to be bool: a float32 model reaches them with a bool operand or condition. */
const BOOL_FIRST = ["logicalNot", "logicalAnd", "logicalOr", "logicalXor", "where"];

/** The primitives a float32 model could not run on webgpu with this table. */
function missingFloat32(table: readonly WebGpuRegistration[]): string[] {
  const registry = new KernelRegistry();
  registry.registerAll(table);
  return allOps()
    .filter((def) => def.kind === "primitive")
    .filter((def) => !registry.find("webgpu", def.name, BOOL_FIRST.includes(def.name) ? "bool" : "float32"))
    .map((def) => def.name);
}

function registeredTwice(table: readonly WebGpuRegistration[]): string[] {
  const counts = new Map<string, number>();
  for (const r of table) counts.set(r.op, (counts.get(r.op) ?? 0) + 1);
  return [...counts].filter(([, n]) => n > 1).map(([op]) => op);
}

test("every HAL primitive has a float32 kernel (a bool one where the HAL takes only bool)", () => {
  assert.deepEqual(missingFloat32(webgpuKernels), []);
});

test("a table without a primitive's row is reported missing", () => {
  assert.deepEqual(missingFloat32(webgpuKernels.filter((r) => r.op !== "add" && r.op !== "where")), ["add", "where"]);
});

test("the ops checked on bool are those the HAL refuses float32 for", () => {
  for (const op of BOOL_FIRST) {
    const def = getOp(op);
    const inputs: TensorMeta[] = Array.from({ length: def.inputs[0] }, () => ({ shape: [2], dtype: "float32" }));
    assert.throws(() => def.infer(inputs, {}), DTypeError, op);
  }
});

test("no op is registered twice", () => {
  assert.deepEqual(registeredTwice(webgpuKernels), []);
  assert.deepEqual(registeredTwice([...webgpuKernels, webgpuKernels[0]!]), [webgpuKernels[0]!.op]);
});
