import { contiguousStrides, dtypeBytes, sizeOf } from "@polychip/hal";
import type { Graph } from "../graph/ir.ts";
import { isRawView, type RuntimeInput } from "./inputs.ts";
import type { PlanLayout } from "./run-plan.ts";

/**
 * What a run's plan depends on in its inputs: dtypes and shapes, and for a device view also its
 * strides, offset and storage size (a plan fixes every view's layout and the bytes it binds).
 * Inputs must have passed checkInputs.
 */
export function runSignature(graph: Graph, inputs: Readonly<Record<string, RuntimeInput>>): string {
  let key = "";
  for (const info of graph.inputs) {
    const given = inputs[info.name]!;
    if (isRawView(given)) key += `v${given.dtype}[${given.shape.join(",")}]/${given.strides.join(",")}+${given.offset}:${given.storage.bytes};`;
    else key += `${given.dtype ?? info.dtype}[${given.shape.join(",")}];`;
  }
  return key;
}

/** The layouts the inputs will have once placed on the device (placeInput), in graph-input order. */
export function placedLayouts(graph: Graph, inputs: Readonly<Record<string, RuntimeInput>>): PlanLayout[] {
  return graph.inputs.map((info) => {
    const given = inputs[info.name]!;
    if (isRawView(given)) return { dtype: given.dtype, shape: given.shape, strides: given.strides, offset: given.offset, storageBytes: given.storage.bytes };
    const dtype = given.dtype ?? info.dtype;
    return { dtype, shape: given.shape, strides: contiguousStrides(given.shape), offset: 0, storageBytes: sizeOf(given.shape) * dtypeBytes(dtype) };
  });
}
