import { formatShape, ShapeError, type Shape } from "@polychip/hal";
import type { FaultSpec } from "../runtime/kernel-faults.ts";

/**
 * The fault of an index outside [0, size) along `axis` (the HAL's contract: importers and the engine
 * turn negative indices positive first), with the CPU device's error, so both devices stop alike.
 * The shader records the index as the fault's first value.
 */
export function indexFault(op: string, axis: number, size: number): FaultSpec {
  return {
    key: `index:${op}:${axis}:${size}`,
    error: (index) => new ShapeError(`${op}: index ${index} is out of range for dim ${axis} of size ${size}`),
  };
}

/** WGSL: records `index` (an i32 expression) as a fault when it is outside [0, `size`) (a u32 expression). */
export function checkIndexWgsl(index: string, size: string): string {
  return `if (${index} < 0i || ${index} >= i32(${size})) { fault(${index}, 0i); }`;
}

/**
 * The index must have the rank of `other` and fit inside it in every dim (but `axis`, unless
 * `includeAxis`), as the CPU device checks: the kernels address `other` by the index's coordinates.
 */
export function checkIndexFits(op: string, index: Shape, other: Shape, what: string, axis: number, includeAxis: boolean): void {
  if (index.length !== other.length) throw new ShapeError(`${op}: index ${formatShape(index)} and ${what} ${formatShape(other)} must have one rank`);
  index.forEach((d, i) => {
    if ((includeAxis || i !== axis) && d > other[i]!) {
      throw new ShapeError(`${op}: index shape ${formatShape(index)} exceeds ${what} shape ${formatShape(other)} in dim ${i}`);
    }
  });
}
