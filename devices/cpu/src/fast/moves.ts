import { contiguousStrides, normalizeAxis, numAttr, shapesEqual, type DType } from "@polychip/hal";
import type { CpuKernel, CpuRegistration } from "../kernels/registration.ts";
import type { CpuView } from "../views.ts";
import { fastKernel } from "./support.ts";
import { moveView, viewMoveGeometry, type MoveGeometry } from "./strided-move.ts";
import { LayoutMemo } from "../layout-memo.ts";

/** Move geometries by call and layouts: a planned session passes the same call on every run. */
const copyGeometries = new LayoutMemo<MoveGeometry | false>();
const concatGeometries = new LayoutMemo<readonly (MoveGeometry | undefined)[]>();

/** Element moves run in WASM for 4-byte elements; the others stay on the reference kernels. */
const FOUR_BYTES: readonly DType[] = ["float32", "int32"];

/**
 * copy and concat of 4-byte elements as WASM strided moves: a transposed or sliced view
 * materialised (attention's key/value caches, a reshape of a transposed value), each concat input
 * written into its slab of the output, whatever the views' strides. Overlapping source and
 * destination, dtypes of other widths and regions that do not merge to four dims go to the reference.
 */
export function fastMoves(ref: (op: string) => CpuKernel): CpuRegistration[] {
  return [
    fastKernel(
      "copy",
      ref("copy"),
      (call, path) => {
        const [x] = call.inputs;
        const [y] = call.outputs;
        if (x!.dtype !== y!.dtype || !shapesEqual(x!.shape, y!.shape)) return false;
        let g = copyGeometries.get(call, call.inputs, call.outputs);
        if (g === undefined) g = copyGeometries.set(call, viewMoveGeometry(x!, y!) ?? false, call.inputs, call.outputs);
        return g !== false && moveView(path, x!, y!, g);
      },
      FOUR_BYTES,
    ),
    fastKernel(
      "concat",
      ref("concat"),
      (call, path) => {
        const { inputs, attrs } = call;
        const out = call.outputs[0]!;
        if (inputs.some((x) => x.dtype !== out.dtype || x.buffer === out.buffer)) return false;
        const axis = normalizeAxis("concat", numAttr("concat", attrs, "axis", 0), out.shape.length);
        const slabs = slabsOf(inputs as readonly CpuView[], out, axis);
        let geometries = concatGeometries.get(call, call.inputs, call.outputs);
        if (geometries === undefined)
          geometries = concatGeometries.set(
            call,
            slabs.map((slab) => viewMoveGeometry(slab.x, slab.into)),
            call.inputs,
            call.outputs,
          );
        // A decline after some slabs moved is harmless: the reference kernel then writes every slab.
        return slabs.every((slab, k) => moveView(path, slab.x, slab.into, geometries[k]));
      },
      FOUR_BYTES,
    ),
  ];
}

/** Each input with the part of the output it fills: the output's view from the input's start along `axis`. */
function slabsOf(inputs: readonly CpuView[], y: CpuView, axis: number): { x: CpuView; into: CpuView }[] {
  const strides = y.strides.length ? y.strides : contiguousStrides(y.shape);
  let at = 0;
  return inputs.map((x) => {
    const into: CpuView = { ...y, shape: x.shape, strides, offset: y.offset + at * strides[axis]! };
    at += x.shape[axis]!;
    return { x, into };
  });
}
