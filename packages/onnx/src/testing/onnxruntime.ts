import assert from "node:assert/strict";
import type { HostOutput } from "@polychip/engine/runtime";

/** onnxruntime-node (a dev dependency) as an oracle; undefined when it is not installed. */
export const ort = await import("onnxruntime-node").catch(() => undefined);

export type OrtFeed = { data: Float32Array | Int32Array | BigInt64Array | Uint8Array; shape: number[]; type: "float32" | "int32" | "int64" | "bool" | "uint8" };

/**
 * Runs `model` in onnxruntime-node and checks Polychip's outputs against it (shape, then values within `atol`).
 * `options` can hold onnxruntime to the graph as written: its extended optimisations rewrite some
 * patterns with other numerics (DequantizeLinear → MatMul becomes an 8-bit MatMulNBits).
 */
export async function expectLikeOnnxruntime(
  model: Uint8Array,
  feeds: Record<string, OrtFeed>,
  got: Record<string, HostOutput>,
  atol = 1e-4,
  options: { graphOptimizationLevel?: "disabled" | "basic" | "extended" | "all" } = {},
): Promise<void> {
  const session = await ort!.InferenceSession.create(model, options);
  try {
    const inputs = Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, new ort!.Tensor(f.type, f.data, f.shape)]));
    const want = await session.run(inputs);
    for (const name of session.outputNames) {
      const w = want[name]!;
      assert.deepEqual(got[name]!.shape, [...w.dims], `output '${name}' shape`);
      const values = Array.from(w.data as ArrayLike<number | bigint>, Number);
      values.forEach((v, i) =>
        // Equal infinities (a max over nothing) match too.
        assert.ok(
          got[name]!.data[i] === v || Math.abs(got[name]!.data[i]! - v) <= atol,
          `output '${name}'[${i}]: polychip ${got[name]!.data[i]}, onnxruntime ${v}`,
        ),
      );
    }
  } finally {
    await session.release();
  }
}

/** The same module as a function, for callers that load it lazily. */
export async function loadOnnxRuntime(): Promise<typeof import("onnxruntime-node") | undefined> {
  return ort;
}
