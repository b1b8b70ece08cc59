import { normalizeAxis, numAttr, sizeOf, type DType } from "@polychip/hal";
import type { CpuKernel, CpuRegistration } from "../kernels/registration.ts";
import { chunking, contiguous, address, fastKernel } from "./support.ts";

const FOUR_BYTES = new Set<DType>(["float32", "int32"]);

/**
 * Gather along an axis (float32 and int32 data, contiguous operands, int32 indices) in WASM. The
 * indices are checked here first; any out of range sends the call to the reference kernel, which
 * throws the error naming it.
 */
export function fastGather(reference: CpuKernel): CpuRegistration {
  return fastKernel(
    "gather",
    reference,
    ({ inputs: [x, idx], outputs: [y], attrs }, path) => {
      if (!FOUR_BYTES.has(x!.dtype) || y!.dtype !== x!.dtype || idx!.dtype !== "int32") return false;
      if (![x!, idx!, y!].every(contiguous)) return false;
      const [px, pi, py] = [address(x!), address(idx!), address(y!)];
      if (px === undefined || pi === undefined || py === undefined) return false;
      const axis = normalizeAxis("gather", numAttr("gather", attrs, "axis", 0), x!.shape.length);
      const size = x!.shape[axis]!;
      const count = sizeOf(idx!.shape);
      const outer = sizeOf(x!.shape.slice(0, axis));
      const inner = sizeOf(x!.shape.slice(axis + 1));
      const rt = path.runtime;
      const i32 = rt.i32;
      for (let j = 0, at = pi / 4; j < count; j++) {
        const k = i32[at + j]!;
        if (!(k >= 0 && k < size)) return false;
      }
      const total = outer * count * inner;
      if (total === 0) return true;
      const per = chunking(path, total, outer);
      rt.run(path.pool, "gather4", [px, pi, py, size, count, inner, outer, per], Math.ceil(outer / per), 0);
      return true;
    },
    [...FOUR_BYTES],
  );
}
