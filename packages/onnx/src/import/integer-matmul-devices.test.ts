import assert from "node:assert/strict";
import { after, test } from "node:test";
import "@polychip/devices";
import { removeDevice, useDevice } from "@polychip/engine";
import { execute } from "@polychip/engine/runtime";
import { batchedMatMulInteger, worstCaseMatMulInteger } from "../testing/integer-matmul-cases.ts";
import { importOnnx } from "./importer.ts";

/**
 * MatMulInteger is exact on every device: the cpu's WASM kernel, webgpu's i32 tiled GEMM, and
 * npu-sim integerMatmul's HAL decomposition (int32 cast, sub and matmul) on its own kernels.
 */
const webgpu: string | false = await useDevice("webgpu").then(
  () => false as const,
  (err: Error) => `no WebGPU adapter here: ${err.message}`,
);
after(() => removeDevice("webgpu"));

for (const [device, skip] of [
  ["cpu", false],
  ["npu-sim", false],
  ["webgpu", webgpu],
] as const) {
  test(`MatMulInteger on ${device} is exact at K = 1152 and with per-row/per-column zero points`, { skip }, async () => {
    const worst = worstCaseMatMulInteger(2, 8);
    const { y } = await execute(importOnnx(worst.model), { a: { data: worst.a, shape: [2, 1152], dtype: "uint8" } }, { device });
    assert.deepEqual(Array.from(y!.data), worst.want);
    const batched = batchedMatMulInteger();
    const out = await execute(importOnnx(batched.model), { a: { data: batched.a, shape: batched.shape, dtype: "int8" } }, { device });
    assert.deepEqual(Array.from(out.y!.data), batched.want);
  });
}
