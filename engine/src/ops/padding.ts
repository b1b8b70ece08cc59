import { formatShape, PolychipError, ShapeError } from "@polychip/hal";
import type { Tensor } from "../tensor.ts";
import { arange } from "./creation.ts";
import { cat, gather, pad } from "./indexing.ts";
import { expand, slice } from "./shape.ts";

export type PadMode = "constant" | "reflect" | "replicate";

/**
 * torch.nn.functional.pad's order: `pads` = [left, right] of the last dim, then [top, bottom] of the
 * one before, and so on. Constant padding is the HAL pad op; reflect and replicate are composed from
 * slices and a concat, so their gradients work on every device (the HAL pad's reflect mode has none).
 */
export function padTrailing(x: Tensor, pads: readonly number[], mode: PadMode = "constant", value = 0): Tensor {
  if (pads.length % 2 !== 0 || pads.length / 2 > x.ndim || pads.some((p) => !Number.isInteger(p)))
    throw new ShapeError(
      `pad: pads must be integer (before, after) pairs for at most ${x.ndim} trailing dims of ${formatShape(x.shape)}, got ${formatShape(pads)}`,
    );
  const dims = pads.length / 2;
  if (mode === "constant") {
    const numpyOrder = new Array<number>(2 * x.ndim).fill(0);
    for (let i = 0; i < dims; i++) {
      const axis = x.ndim - 1 - i;
      numpyOrder[2 * axis] = pads[2 * i]!;
      numpyOrder[2 * axis + 1] = pads[2 * i + 1]!;
    }
    return pad(x, numpyOrder, "constant", value);
  }
  if (mode !== "reflect" && mode !== "replicate")
    throw new PolychipError(`pad: mode must be 'constant', 'reflect' or 'replicate', got ${JSON.stringify(mode)}`);
  let y = x;
  for (let i = 0; i < dims; i++) {
    const axis = x.ndim - 1 - i;
    const [before, after] = [pads[2 * i]!, pads[2 * i + 1]!];
    const n = x.shape[axis]!;
    if (before < 0 || after < 0) throw new ShapeError(`pad: ${mode} padding must be non-negative, got ${formatShape(pads)}`);
    if (mode === "reflect" && (before >= n || after >= n))
      throw new ShapeError(`pad: reflect padding (${before}, ${after}) must be smaller than dim ${axis} of input ${formatShape(x.shape)} (size ${n})`);
    if (mode === "replicate" && n === 0) throw new ShapeError(`pad: replicate padding needs a non-empty dim ${axis} in ${formatShape(x.shape)}`);
    const parts: Tensor[] = [];
    if (before) parts.push(mode === "reflect" ? reversedRange(y, axis, 1, before + 1) : repeatEdge(y, axis, 0, before));
    parts.push(y);
    if (after) parts.push(mode === "reflect" ? reversedRange(y, axis, n - 1 - after, n - 1) : repeatEdge(y, axis, n - 1, after));
    if (parts.length > 1) y = cat(parts, axis);
  }
  return y;
}

/** x[start..end) along `axis`, in reverse order (a gather, so gradients flow back). */
function reversedRange(x: Tensor, axis: number, start: number, end: number): Tensor {
  return gather(x, arange(end - 1, start - 1, -1, { device: x.device }), axis);
}

/** The slice at `index` along `axis` repeated `count` times. */
function repeatEdge(x: Tensor, axis: number, index: number, count: number): Tensor {
  return expand(
    slice(x, axis, index, index + 1),
    x.shape.map((d, i) => (i === axis ? count : d)),
  );
}
