import { formatShape, normalizeAxis, resolveReshape, ShapeError, sliceView } from "@polychip/hal";
import { viewIsContiguous } from "../core/view.ts";
import type { Tensor } from "../tensor.ts";
import { alias, run } from "./basic.ts";
import { apply } from "./apply.ts";

/** A contiguous copy, or the same memory when already contiguous. */
export function contiguous(x: Tensor): Tensor {
  if (viewIsContiguous(x.view)) return alias(x);
  return clone(x);
}

export function clone(x: Tensor): Tensor {
  return run("copy", [x]);
}

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  return apply("reshape", [x], { shape: resolveReshape("reshape", x.shape, shape) });
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeAxis("flatten", startDim, x.ndim);
  const e = normalizeAxis("flatten", endDim, x.ndim);
  const shape = x.shape;
  const merged = shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
  return reshape(x, [...shape.slice(0, s), merged, ...shape.slice(e + 1)]);
}

export function squeeze(x: Tensor, dim?: number): Tensor {
  const shape = x.shape;
  if (dim === undefined)
    return reshape(
      x,
      shape.filter((d) => d !== 1),
    );
  const a = normalizeAxis("squeeze", dim, x.ndim);
  return shape[a] === 1
    ? reshape(
        x,
        shape.filter((_, i) => i !== a),
      )
    : alias(x);
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const a = normalizeAxis("unsqueeze", dim, x.ndim + 1);
  const shape = x.shape;
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  return apply("permute", [x], { dims: dims.map((d) => normalizeAxis("permute", d, x.ndim)) });
}

export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  if (x.ndim < 2) return alias(x);
  const dims = [...Array(x.ndim).keys()];
  const a = normalizeAxis("transpose", dim0, x.ndim);
  const b = normalizeAxis("transpose", dim1, x.ndim);
  [dims[a], dims[b]] = [dims[b]!, dims[a]!];
  return permute(x, dims);
}

/** Elements start..end (exclusive, negative counts from the end, clamped) every `step` along `dim`. */
export function slice(x: Tensor, dim: number, start: number, end: number, step = 1): Tensor {
  sliceView("slice", x.view, dim, start, end, step); // validates before the op is recorded
  return apply("slice", [x], { starts: [start], ends: [end], axes: [normalizeAxis("slice", dim, x.ndim)], steps: [step] });
}

export function select(x: Tensor, dim: number, index: number): Tensor {
  const a = normalizeAxis("select", dim, x.ndim);
  const size = x.shape[a]!;
  const i = index < 0 ? index + size : index;
  if (i < 0 || i >= size) throw new ShapeError(`select: index ${index} is out of range for dim ${a} of size ${size} (shape ${formatShape(x.shape)})`);
  const s = slice(x, a, i, i + 1);
  const out = squeeze(s, a);
  // The slice stays alive while autograd needs it: the squeeze's record points at it.
  if (!s.requiresGrad) s.dispose();
  return out;
}

export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const lead = shape.length - x.ndim;
  const target = shape.map((d, i) => (d === -1 && i >= lead ? x.shape[i - lead]! : d));
  return apply("expand", [x], { shape: target });
}

export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  return expand(x, shape);
}
