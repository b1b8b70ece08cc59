import { DTypeError, formatShape, normalizeAxis, promoteTypes, ShapeError } from "@polychip/hal";
import type { Tensor } from "../tensor.ts";
import { add, cast, lt, run, where } from "./basic.ts";
import { slice, unsqueeze } from "./shape.ts";

function intIndex(op: string, index: Tensor): Tensor {
  if (index.dtype === "int32") return index;
  if (index.dtype === "int8" || index.dtype === "uint8") return cast(index, "int32");
  throw new DTypeError(`${op}: indices must be integers, got ${index.dtype}${formatShape(index.shape)}`);
}

/** torch.gather: out[i][j] = x[index[i][j]][j] along `dim`. */
export function gatherElements(x: Tensor, index: Tensor, dim: number): Tensor {
  const axis = normalizeAxis("gatherElements", dim, x.ndim);
  const idx = intIndex("gatherElements", index);
  return run("gatherElements", [x, idx], { axis });
}

/** numpy.take / ONNX Gather: picks slices of `x` along `dim` (negative indices count from the end). */
export function gather(x: Tensor, index: Tensor, dim = 0): Tensor {
  const axis = normalizeAxis("gather", dim, x.ndim);
  const raw = intIndex("gather", index);
  const idx = where(lt(raw, 0), add(raw, x.shape[axis]!), raw); // negative indices count from the end
  return run("gather", [x, idx], { axis });
}

/** Rows of `weight` picked by integer `indices` (any shape). */
export function embedding(indices: Tensor, weight: Tensor): Tensor {
  return gather(weight, indices, 0);
}

/** torch.cat: mixed dtypes promote (float16 and float32 give float32, as under autocast's "promote" list). */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ShapeError("cat: needs at least one tensor");
  const axis = normalizeAxis("cat", dim, tensors[0]!.ndim);
  const dtype = tensors.map((t) => t.dtype).reduce(promoteTypes);
  return run(
    "concat",
    tensors.map((t) => (t.dtype === dtype ? t : cast(t, dtype))),
    { axis },
  );
}

export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ShapeError("stack: needs at least one tensor");
  const axis = normalizeAxis("stack", dim, tensors[0]!.ndim + 1);
  return cat(
    tensors.map((t) => unsqueeze(t, axis)),
    axis,
  );
}

/** Splits along `dim` into pieces of `size` (the last may be smaller), or of the listed sizes. Views, no copies. */
export function split(x: Tensor, size: number | number[], dim = 0): Tensor[] {
  const axis = normalizeAxis("split", dim, x.ndim);
  const total = x.shape[axis]!;
  const sizes = Array.isArray(size) ? size : Array.from({ length: Math.ceil(total / size) }, (_, i) => Math.min(size, total - i * size));
  if (sizes.reduce((a, b) => a + b, 0) !== total)
    throw new ShapeError(`split: sizes ${formatShape(sizes)} do not add up to dim ${axis} of ${formatShape(x.shape)}`);
  let offset = 0;
  return sizes.map((s) => {
    const part = slice(x, axis, offset, offset + s);
    offset += s;
    return part;
  });
}

/** Pads with `pads` = [before_0, after_0, before_1, after_1, ...] from the FIRST dim (numpy order). */
export function pad(x: Tensor, pads: readonly number[], mode: "constant" | "reflect" | "edge" = "constant", value = 0): Tensor {
  if (pads.length % 2 !== 0 || pads.length / 2 > x.ndim)
    throw new ShapeError(`pad: pads must hold (before, after) pairs for at most ${x.ndim} dims, got ${formatShape(pads)}`);
  const begins = new Array<number>(x.ndim).fill(0);
  const ends = new Array<number>(x.ndim).fill(0);
  for (let i = 0; i < pads.length / 2; i++) {
    begins[i] = pads[2 * i]!;
    ends[i] = pads[2 * i + 1]!;
  }
  return run("pad", [x], { pads: [...begins, ...ends], mode, value });
}
