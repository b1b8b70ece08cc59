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
 * casts, products (batch·8), and the comparisons, selections and integer arithmetic PyTorch's
 * exporter writes (Where(Equal(shape, -1), ones, shape) for expand(-1, …), x.shape[1] - 1,
 * x.shape[2] // 2). An entry is a number where it is computable, an input's symbol (or a whole
 * multiple of one) where it follows one; anything else leaves the value unknown.
 *
 * What a symbol may be: these rules take a symbol only as a size, an integer ≥ 0, and decide
 * nothing that needs more (Equal(batch, -1) is false, Equal(batch, 0) is left unknown). That is
 * weaker than, so never contradicts, the reshape rule's reading of a symbol in a target as a size
 * that is neither 0 nor -1 (structural-args.ts). An arithmetic entry with no symbol form
 * (seq + 1, width // 2) becomes a fresh symbol from `fresh` only where it is provably ≥ 0 too, so
 * it is a size like any other; never a number computed from a placeholder size.
 */

/** What a value is known to hold: its (maybe symbolic) shape and, where known, its entries. */
export interface ShapeValueInput {
  readonly shape: readonly Dim[];
  readonly values?: readonly Dim[];
}

/** Values of the ops between a Shape and its reader, or undefined where they are not all known. */
export function shapeValueOf(op: string, ins: readonly (ShapeValueInput | undefined)[], attrs: Attrs, fresh?: (what: string) => Dim): Dim[] | undefined {
  const values = ins.map((v) => v?.values);
  if (ARITHMETIC[op]) {
    if (ins.length !== 2 || ins.some((v) => !v || v.shape.length > 1)) return undefined;
    return elementwise(values, (a, b) => {
      const r = ARITHMETIC[op]!(a, b);
      return r === undefined || typeof r !== "object" ? r : fresh?.(r.fresh);
    });
  }
  switch (op) {
    case "identity":
    case "copy":
      return values[0] && [...values[0]];
    case "cast": {
      // Only integer casts keep a size a size.
      const to = attrs.to;
      if (typeof to !== "string" || !isDType(to) || isFloat(to) || to === "bool" || !values[0]) return undefined;
      // A narrow integer type would wrap a number it cannot hold; a symbol (a size) might not fit either.
      const fits = (d: Dim) => to === "int32" || (typeof d === "number" && d >= 0 && d <= 127);
      return values[0].every(fits) ? [...values[0]] : undefined;
    }
    case "where": {
      if (ins.length !== 3 || ins.some((v) => !v || v.shape.length > 1)) return undefined;
      // An unknown condition still picks the same entry from equal branches.
      const [c, a, b] = ins as ShapeValueInput[];
      const length = c.shape.length === 0 ? 1 : c.shape[0];
      if (typeof length !== "number") return undefined;
      const cond = c.values ?? Array.from({ length }, (): Dim => "?");
      return broadcast3([cond, a.values, b.values], (k, x, y) => (x === y ? x : typeof k === "number" ? (k !== 0 ? x : y) : undefined));
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

/** An entry that is some size ≥ 0 only a run knows: a fresh symbol, told what it stands for. */
interface FreshSize {
  readonly fresh: string;
}

/** The integer ops on two entries, as the HAL computes them on numbers (div truncates, x/0 is 0). */
const ARITHMETIC: Record<string, (a: Dim, b: Dim) => Dim | FreshSize | undefined> = {
  equal: (a, b) => (a === b ? 1 : typeof a === "number" && typeof b === "number" ? 0 : isNegative(a) || isNegative(b) ? 0 : undefined),
  add: (a, b) => {
    if (typeof a === "number" && typeof b === "number") return a + b;
    if (a === 0 || b === 0) return a === 0 ? b : a;
    return isNegative(a) || isNegative(b) ? undefined : { fresh: `${a} + ${b}` };
  },
  sub: (a, b) => {
    if (typeof a === "number" && typeof b === "number") return a - b;
    if (a === b) return 0;
    if (b === 0) return a;
    return typeof b === "number" && b < 0 ? { fresh: `${a} - (${b})` } : undefined;
  },
  div: (a, b) => {
    if (typeof a === "number" && typeof b === "number") return b === 0 ? 0 : Math.trunc(a / b);
    if (b === 1) return a;
    if (typeof b !== "number" || b <= 0) return undefined;
    const p = productOf([a]);
    // batch*8 // 2 is batch*4; batch*8 // 8 is batch.
    const whole = p.coeff % b === 0 ? productDim({ coeff: p.coeff / b, symbols: p.symbols }) : undefined;
    return whole ?? { fresh: `${a} // ${b}` };
  },
  maximum: (a, b) => {
    if (typeof a === "number" && typeof b === "number") return Math.max(a, b);
    if (a === b) return a;
    // A size is at least 0: the larger of it and a number ≤ 0 is the size.
    if (typeof b === "number" && b <= 0) return a;
    if (typeof a === "number" && a <= 0) return b;
    return undefined;
  },
  minimum: (a, b) => {
    if (typeof a === "number" && typeof b === "number") return Math.min(a, b);
    if (a === b) return a;
    if (typeof b === "number" && b <= 0) return b;
    if (typeof a === "number" && a <= 0) return a;
    return undefined;
  },
};

const isNegative = (d: Dim): boolean => typeof d === "number" && d < 0;

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

/** An elementwise op over three values of rank 0 or 1 (Where), broadcast like `elementwise`. */
function broadcast3(values: readonly (readonly Dim[] | undefined)[], f: (c: Dim, a: Dim, b: Dim) => Dim | undefined): Dim[] | undefined {
  if (values.some((v) => !v)) return undefined;
  const vs = values as readonly (readonly Dim[])[];
  const n = Math.max(...vs.map((v) => v.length));
  if (vs.some((v) => v.length !== n && v.length !== 1)) return undefined;
  const at = (v: readonly Dim[], i: number) => v[v.length === 1 ? 0 : i]!;
  const out = Array.from({ length: n }, (_, i) => f(at(vs[0]!, i), at(vs[1]!, i), at(vs[2]!, i)));
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
