import { contiguousStrides, formatShape, normalizeAxis, ShapeError, type DType } from "@polychip/hal";
import { copyInto, shareView } from "../core/dispatch.ts";
import { getDeviceEntry } from "../core/devices.ts";
import { expandView, permuteView, reshapeStrides, resolveReshape, sliceView, viewIsContiguous, type ViewChange } from "../core/view.ts";
import { record } from "../autograd/node.ts";
import { Tensor } from "../tensor.ts";
import { alias, run } from "./basic.ts";
import { full } from "./creation.ts";
import { traceOp } from "../graph/trace-hook.ts";

function viewOf(x: Tensor, change: ViewChange): Tensor {
  return new Tensor(shareView(x.view, change));
}

/** A contiguous copy, or the same memory when already contiguous. */
export function contiguous(x: Tensor): Tensor {
  if (viewIsContiguous(x.view)) return alias(x);
  return clone(x);
}

export function clone(x: Tensor): Tensor {
  const out = run("copy", [x]);
  return record("clone", out, [x], (g) => [g]);
}

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = resolveReshape("reshape", x.shape, shape);
  const strides = reshapeStrides(x.view, target);
  const base = strides ? x : clone(x);
  const out = traceOp("reshape", [x], { shape: target }, viewOf(base, { shape: target, strides: strides ?? contiguousStrides(target), offset: base.view.offset }));
  if (base !== x) base.dispose();
  const original = x.shape;
  return record("reshape", out, [x], (g) => [reshape(g, original)]);
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
  if (dim === undefined) return reshape(x, shape.filter((d) => d !== 1));
  const a = normalizeAxis("squeeze", dim, x.ndim);
  return shape[a] === 1 ? reshape(x, shape.filter((_, i) => i !== a)) : alias(x);
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const a = normalizeAxis("unsqueeze", dim, x.ndim + 1);
  const shape = x.shape;
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  const change = permuteView("permute", x.view, dims);
  const norm = dims.map((d) => normalizeAxis("permute", d, x.ndim));
  const inverse = new Array<number>(norm.length);
  norm.forEach((d, i) => (inverse[d] = i));
  return record("permute", traceOp("permute", [x], { dims: norm }, viewOf(x, change)), [x], (g) => [permute(g, inverse)]);
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
  const change = sliceView("slice", x.view, dim, start, end, step);
  const a = normalizeAxis("slice", dim, x.ndim);
  const begin = change.shape[a] === 0 ? 0 : (change.offset - x.view.offset) / (x.view.strides[a] || 1);
  const out = traceOp("slice", [x], { starts: [start], ends: [end], axes: [a], steps: [step] }, viewOf(x, change));
  return record("slice", out, [x], (g) => [sliceBackward(g, x.shape, x.dtype, a, begin, step)]);
}

/** Zeros of `shape` with `g` written into the sliced region. */
function sliceBackward(g: Tensor, shape: readonly number[], dtype: DType, axis: number, begin: number, step: number): Tensor {
  const out = full(shape, 0, { dtype, device: g.device });
  const strides = contiguousStrides(shape);
  const dst = { ...out.view, shape: g.shape, strides: strides.map((s, i) => (i === axis ? s * step : s)), offset: begin * strides[axis]! };
  copyInto(getDeviceEntry(out.device), g.view, dst);
  return out;
}

export function select(x: Tensor, dim: number, index: number): Tensor {
  const a = normalizeAxis("select", dim, x.ndim);
  const size = x.shape[a]!;
  const i = index < 0 ? index + size : index;
  if (i < 0 || i >= size) throw new ShapeError(`select: index ${index} is out of range for dim ${a} of size ${size} (shape ${formatShape(x.shape)})`);
  const s = slice(x, a, i, i + 1);
  const out = squeeze(s, a);
  s.dispose();
  return out;
}

export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const change = expandView("expand", x.view, shape);
  // backward() sums gradients back to the input's shape, so passing g through is exact.
  return record("expand", traceOp("expand", [x], { shape: change.shape }, viewOf(x, change)), [x], (g) => [g]);
}

export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  return expand(x, shape);
}
