import { normalizeAxis, numAttr, sizeOf, type Attrs, type DType } from "@polychip/hal";
import type { CpuKernel, CpuRegistration } from "../kernels/registration.ts";
import type { CpuView } from "../views.ts";
import { LayoutMemo } from "../layout-memo.ts";
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
    (call, path) => {
      const [x, idx] = call.inputs;
      const y = call.outputs[0]!;
      const px = address(x!);
      const pi = address(idx!);
      const py = address(y);
      if (px === undefined || pi === undefined || py === undefined) return false;
      let geometry = geometries.get(call, call.inputs, call.outputs);
      if (geometry === undefined) geometry = geometries.set(call, gatherGeometry(x!, idx!, y, call.attrs), call.inputs, call.outputs);
      if (geometry === false) return false;
      const { size, count, inner, outer } = geometry;
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

/** The sizes the WASM loop walks (the axis, the indices, the dims after and before it), or false for operands it does not take. */
interface GatherGeometry {
  readonly size: number;
  readonly count: number;
  readonly inner: number;
  readonly outer: number;
}

/** Geometry by call and layouts: a planned session passes the same call on every run. */
const geometries = new LayoutMemo<GatherGeometry | false>();

function gatherGeometry(x: CpuView, idx: CpuView, y: CpuView, attrs: Attrs): GatherGeometry | false {
  if (!FOUR_BYTES.has(x.dtype) || y.dtype !== x.dtype || idx.dtype !== "int32") return false;
  if (![x, idx, y].every(contiguous)) return false;
  const axis = normalizeAxis("gather", numAttr("gather", attrs, "axis", 0), x.shape.length);
  return { size: x.shape[axis]!, count: sizeOf(idx.shape), outer: sizeOf(x.shape.slice(0, axis)), inner: sizeOf(x.shape.slice(axis + 1)) };
}
