import type { AttrValue, DType } from "@polychip/hal";
import type { Graph, GraphNode, Initializer, ValueInfo } from "./ir.ts";

/** Small builders for hand-written graphs in tests. */
export function node(op: string, inputs: string[], outputs: string | string[], attrs: Record<string, AttrValue> = {}): GraphNode {
  return { op, inputs, outputs: Array.isArray(outputs) ? outputs : [outputs], attrs };
}

export function info(name: string, shape: (number | string)[], dtype: DType = "float32"): ValueInfo {
  return { name, dtype, shape };
}

export function init(name: string, shape: number[], values: ArrayLike<number>, dtype: DType = "float32"): Initializer {
  const data =
    dtype === "int32"
      ? Int32Array.from(values)
      : dtype === "uint8" || dtype === "bool"
        ? Uint8Array.from(values)
        : dtype === "int8"
          ? Int8Array.from(values)
          : Float32Array.from(values);
  return { name, dtype, shape, data };
}

export function graph(parts: Partial<Graph> & Pick<Graph, "nodes" | "outputs">): Graph {
  return { name: "test", inputs: [], initializers: [], ...parts };
}

/** Deterministic pseudo-random floats in [-1, 1). */
export function values(n: number, seed = 1): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}
