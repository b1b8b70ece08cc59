import type { Attrs } from "./device.ts";
import { isFloat, isDType } from "./dtype.ts";
import { ShapeError } from "./errors.ts";
import { formatShape, type Dim } from "./shape.ts";
import { productDim, productOf } from "./structural-args.ts";

/**
 * Shape values: small integer tensors computed from shapes, whose entries may be symbols
 * (Shape(x) of x [batch, seq, 6] is [batch, seq, 6]). The structural ops carry them through their
 * plans (structural-symbolic.ts); this file gives the other ops exporters write between a Shape
 * and the reshape, expand or tile that reads it: concat, gather at known positions, integer
 * casts, and products (batch·8). An entry is a number where it is computable, an input's symbol
 * (or a whole multiple of one) where it follows one; anything else leaves the value unknown.
 */

/** What a value is known to hold: its (maybe symbolic) shape and, where known, its entries. */
export interface ShapeValueInput {
  readonly shape: readonly Dim[];
  readonly values?: readonly Dim[];
}

/** Values of the ops between a Shape and its reader, or undefined where they are not all known. */
export function shapeValueOf(op: string, ins: readonly (ShapeValueInput | undefined)[], attrs: Attrs): Dim[] | undefined {
  const values = ins.map((v) => v?.values);
  switch (op) {
    case "identity":
    case "copy":
      return values[0] && [...values[0]];
    case "cast": {
      // Only integer casts keep a size a size.
      const to = attrs.to;
      return typeof to === "string" && isDType(to) && !isFloat(to) && to !== "bool" && values[0] ? [...values[0]] : undefined;
    }
    case "concat": {
      const rankOne = ins.every((v) => v?.shape.length === 1);
      if (!rankOne || values.some((v) => !v)) return undefined;
      return values.flatMap((v) => v!);
    }
    case "gather":
      return gatherValues(ins, attrs);
    case "mul":
      if (ins.some((v) => !v || v.shape.length > 1)) return undefined;
      return elementwise(values, (a, b) => (a === 0 || b === 0 ? 0 : productDim(productOf([a, b]))));
    default:
      return undefined;
  }
}

/** Gather on axis 0 of a 1-D shape value at known positions (negative counting from the end). */
function gatherValues(ins: readonly (ShapeValueInput | undefined)[], attrs: Attrs): Dim[] | undefined {
  const [data, indices] = ins;
  if ((attrs.axis ?? 0) !== 0 || data?.shape.length !== 1 || !data.values || !indices?.values || indices.shape.length > 1) return undefined;
  const n = data.values.length;
  const picked = indices.values.map((i) => (typeof i === "number" && Number.isInteger(i) && i >= -n && i < n ? data.values![i < 0 ? i + n : i] : undefined));
  return picked.every((d) => d !== undefined) ? (picked as Dim[]) : undefined;
}

/** An elementwise op over two values of rank 0 or 1 and one length (or one of length 1), each entry by `f`. */
function elementwise(values: readonly (readonly Dim[] | undefined)[], f: (a: Dim, b: Dim) => Dim | undefined): Dim[] | undefined {
  const [a, b] = values;
  if (!a || !b || (a.length !== b.length && a.length !== 1 && b.length !== 1)) return undefined;
  const out = Array.from({ length: Math.max(a.length, b.length) }, (_, i) => f(a[a.length === 1 ? 0 : i]!, b[b.length === 1 ? 0 : i]!));
  return out.every((d) => d !== undefined) ? (out as Dim[]) : undefined;
}

/**
 * ONNX Tile's output dims: each input dim times its repeat, either of which may be a symbol. A
 * repeat of 1 keeps the dim (its symbol too), a dim of 1 takes the repeat; a product of a symbol
 * and a number is that multiple of the symbol; anything else is `unknown` (a fresh symbol, or it throws).
 */
export function tileDims(op: string, shape: readonly Dim[], repeats: readonly Dim[], unknown: (what: string) => Dim): Dim[] {
  if (repeats.length !== shape.length || repeats.some((r) => typeof r === "number" && (!Number.isInteger(r) || r < 0)))
    throw new ShapeError(`${op}: repeats ${formatShape(repeats)} do not fit input shape ${formatShape(shape)}`);
  return shape.map((d, i) => {
    const r = repeats[i]!;
    if (r === 1) return d;
    if (d === 1) return r;
    if (d === 0 || r === 0) return 0;
    return productDim(productOf([d, r])) ?? unknown(`dim ${i}: ${d} repeated ${r} times`);
  });
}
