import { execute, type HostOutput } from "@polychip/engine/runtime";
import type { DType } from "@polychip/hal";
import { importOnnx } from "../import/importer.ts";
import type { ImportOptions } from "../import/context.ts";

export type Feed = { data: ArrayLike<number>; shape: number[]; dtype?: DType };

/** Imports an ONNX model and runs it on the CPU: the outputs by name. */
export async function runOnnx(bytes: Uint8Array, inputs: Record<string, Feed>, options: ImportOptions = {}): Promise<Record<string, HostOutput>> {
  const graph = importOnnx(bytes, options);
  return execute(graph, inputs, { device: "cpu" });
}

/** Values rounded for readable assertions. */
export function rounded(data: ArrayLike<number>, digits = 5): number[] {
  return Array.from(data, (v) => Number(v.toFixed(digits)));
}
