import { DTypeError, formatShape, normalizeAxis, ShapeError } from "@polychip/hal";
import type { Tensor } from "../tensor.ts";
import { arange } from "./creation.ts";
import { cat, gather } from "./indexing.ts";
import { expand, reshape, slice } from "./shape.ts";

/** The slices of `x` along `dim` at the 1-D integer `index`, as torch.index_select. */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  if (index.ndim !== 1) throw new ShapeError(`indexSelect: index must be 1-D, got ${formatShape(index.shape)}`);
  if (index.dtype !== "int32" && index.dtype !== "int8" && index.dtype !== "uint8")
    throw new DTypeError(`indexSelect: index must hold integers, got ${index.dtype}`);
  return gather(x, index, normalizeAxis("indexSelect", dim, x.ndim));
}

/** Tiles `x` `sizes[i]` times along dim i (extra leading sizes add dims), as torch's Tensor.repeat. */
export function repeat(x: Tensor, sizes: readonly number[]): Tensor {
  if (sizes.length < x.ndim) throw new ShapeError(`repeat: needs at least ${x.ndim} sizes for ${formatShape(x.shape)}, got ${formatShape(sizes)}`);
  if (sizes.some((s) => !Number.isInteger(s) || s < 0)) throw new ShapeError(`repeat: sizes must be non-negative integers, got ${formatShape(sizes)}`);
  const shape = [...Array(sizes.length - x.ndim).fill(1), ...x.shape] as number[];
  // [d0, d1] -> [1, d0, 1, d1] -> expand [r0, d0, r1, d1] -> [r0*d0, r1*d1]
  const interleaved = shape.flatMap((d) => [1, d]);
  const expanded = expand(
    reshape(x, interleaved),
    shape.flatMap((d, i) => [sizes[i]!, d]),
  );
  return reshape(
    expanded,
    shape.map((d, i) => d * sizes[i]!),
  );
}

/** Reverses the order along each of `dims`, as torch.flip. */
export function flip(x: Tensor, dims: readonly number[]): Tensor {
  let out = reshape(x, x.shape);
  for (const d of new Set(dims.map((d) => normalizeAxis("flip", d, x.ndim)))) {
    const n = x.shape[d]!;
    out = gather(out, arange(n - 1, -1, -1, { device: x.device }), d);
  }
  return out;
}

/** Shifts elements along `dims` by `shifts`, wrapping around (over the flattened tensor when no dims), as torch.roll. */
export function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
  const s = typeof shifts === "number" ? [shifts] : [...shifts];
  if (dims === undefined) {
    if (s.length !== 1) throw new ShapeError(`roll: without dims, give one shift, got ${formatShape(s)}`);
    return reshape(roll(reshape(x, [-1]), s, [0]), x.shape);
  }
  const d = typeof dims === "number" ? [dims] : [...dims];
  if (d.length !== s.length) throw new ShapeError(`roll: ${s.length} shifts for ${d.length} dims`);
  let out = reshape(x, x.shape);
  d.forEach((dim, i) => {
    const axis = normalizeAxis("roll", dim, x.ndim);
    const n = x.shape[axis]!;
    const k = ((s[i]! % n) + n) % n;
    if (k) out = cat([slice(out, axis, n - k, n), slice(out, axis, 0, n - k)], axis);
  });
  return out;
}
