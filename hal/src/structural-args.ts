import type { Attrs } from "./device.ts";
import { ShapeError } from "./errors.ts";
import { formatShape, normalizeAxis, type Dim } from "./shape.ts";

/**
 * How the structural ops read and check their arguments, on shapes whose dims may be symbols.
 * The concrete plans (structural.ts) and the symbolic shape rules (structural-symbolic.ts) both
 * call these, so an op accepts and refuses the same arguments, with the same words, either way.
 */

/** What a structural node gives besides its data input. */
export interface StructuralArgs {
  /** Host values of the other inputs (shape, starts, axes, sizes ...), undefined where absent. */
  readonly extra: readonly (readonly number[] | undefined)[];
  readonly attrs: Attrs;
  /** How many outputs the node declares (split). */
  readonly outputCount: number;
}

/** Values of a list attribute or of the input that replaces it (ONNX moved many attributes to inputs). */
export function listFrom(op: string, input: StructuralArgs, index: number, attr: string): number[] | undefined {
  const fromInput = input.extra[index - 1];
  if (fromInput) return fromInput.map((v) => Math.trunc(v));
  const v = input.attrs[attr];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((d) => typeof d !== "number" || Number.isNaN(d))) {
    throw new ShapeError(`${op}: attribute '${attr}' must be a list of numbers, got ${JSON.stringify(v)}`);
  }
  return v as number[];
}

export function numberAttr(op: string, attrs: Attrs, name: string, fallback: number): number {
  const v = attrs[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v)) throw new ShapeError(`${op}: attribute '${name}' must be an integer, got ${JSON.stringify(v)}`);
  return v;
}

export function requireX<T>(op: string, x: T | undefined): T {
  if (!x) throw new ShapeError(`${op}: missing its data input`);
  return x;
}

export function axisList(op: string, axes: readonly number[], rank: number): number[] {
  const out = axes.map((a) => normalizeAxis(op, a, rank));
  if (new Set(out).size !== out.length) throw new ShapeError(`${op}: axes ${formatShape(axes)} repeat a dimension`);
  return out;
}

/** `dims` normalized, checked to be a permutation of `shape`'s axes. */
export function permutation(op: string, shape: readonly Dim[], dims: readonly number[]): number[] {
  const r = shape.length;
  const norm = dims.map((d) => normalizeAxis(op, d, r));
  if (norm.length !== r || new Set(norm).size !== r)
    throw new ShapeError(`${op}: dims ${formatShape(dims)} are not a permutation of ${r} dims (input ${formatShape(shape)})`);
  return norm;
}

/** The axis Flatten splits at (0..rank). */
export function flattenAxis(attrs: Attrs, shape: readonly Dim[]): number {
  const r = shape.length;
  let axis = numberAttr("flatten", attrs, "axis", 1);
  if (axis < 0) axis += r;
  if (axis < 0 || axis > r) throw new ShapeError(`flatten: axis ${attrs.axis} is out of range for ${formatShape(shape)}`);
  return axis;
}

/** The dims Shape reports: ONNX 15 clamping of start and end. */
export function shapeRange(attrs: Attrs, rank: number): { start: number; end: number } {
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  const start = clamp(numberAttr("shape", attrs, "start", 0));
  return { start, end: Math.max(start, clamp(numberAttr("shape", attrs, "end", rank))) };
}

export interface SliceSpec {
  readonly starts: number[];
  readonly ends: number[];
  readonly axes: number[];
  readonly steps: number[];
}

export function sliceSpec(input: StructuralArgs, rank: number): SliceSpec {
  const starts = listFrom("slice", input, 1, "starts");
  const ends = listFrom("slice", input, 2, "ends");
  if (!starts || !ends) throw new ShapeError("slice: needs starts and ends");
  const axes = axisList("slice", listFrom("slice", input, 3, "axes") ?? starts.map((_, i) => i), rank);
  // normalizeAxis lets a scalar name axis 0, which a slice cannot cut.
  if (axes.some((a) => a >= rank)) throw new ShapeError(`slice: axes ${formatShape(axes)} are out of range for a tensor of rank ${rank}`);
  const steps = listFrom("slice", input, 4, "steps") ?? starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    throw new ShapeError(
      `slice: starts ${formatShape(starts)}, ends ${formatShape(ends)}, axes ${formatShape(axes)} and steps ${formatShape(steps)} must have one length`,
    );
  }
  return { starts, ends, axes, steps };
}

/** The axes Squeeze drops: the listed ones (each must be 1), or every dim of size 1. */
export function squeezeAxes(input: StructuralArgs, shape: readonly Dim[]): number[] {
  const listed = listFrom("squeeze", input, 1, "axes");
  if (!listed && shape.some((d) => typeof d === "string"))
    throw new ShapeError(`squeeze: without axes it must know which dims are 1, and ${formatShape(shape)} has symbolic dims`);
  const axes = listed ? axisList("squeeze", listed, shape.length) : shape.flatMap((d, i) => (d === 1 ? [i] : []));
  for (const a of axes) {
    if (shape[a] === undefined || (typeof shape[a] === "number" && shape[a] !== 1))
      throw new ShapeError(`squeeze: dim ${a} of ${formatShape(shape)} is ${shape[a]}, not 1`);
  }
  return axes;
}

/** The output axes Unsqueeze inserts, for an input of rank `rank`. */
export function unsqueezeAxes(input: StructuralArgs, rank: number): number[] {
  const listed = listFrom("unsqueeze", input, 1, "axes");
  if (!listed) throw new ShapeError("unsqueeze: needs axes");
  return axisList("unsqueeze", listed, rank + listed.length);
}

export function reshapeTarget(input: StructuralArgs): number[] {
  const target = listFrom("reshape", input, 1, "shape");
  if (!target) throw new ShapeError("reshape: needs a target shape (attribute 'shape' or a second input)");
  return target;
}

export function expandTarget(input: StructuralArgs): number[] {
  const target = listFrom("expand", input, 1, "shape");
  if (!target) throw new ShapeError("expand: needs a target shape");
  if (target.some((d) => !Number.isInteger(d) || d < 0)) throw new ShapeError(`expand: invalid target shape ${formatShape(target)}`);
  return target;
}

export function splitAxis(attrs: Attrs, shape: readonly Dim[]): number {
  return normalizeAxis("split", numberAttr("split", attrs, "axis", 0), shape.length);
}

/** Split's axis and part sizes; sizes are undefined when equal parts of a symbolic dim are asked for. */
export function splitParts(input: StructuralArgs, shape: readonly Dim[]): { axis: number; sizes?: number[] } {
  const axis = splitAxis(input.attrs, shape);
  const dim = shape[axis]!;
  const n = input.outputCount;
  let sizes = listFrom("split", input, 1, "sizes");
  if (!sizes) {
    if (typeof dim === "string") return { axis };
    const chunk = Math.ceil(dim / n);
    sizes = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)));
  }
  const total = sizes.reduce((a, b) => a + b, 0);
  if (sizes.length !== n || sizes.some((s) => !Number.isInteger(s) || s < 0) || (typeof dim === "number" && total !== dim)) {
    throw new ShapeError(`split: sizes ${formatShape(sizes)} must be ${n} non-negative integers adding up to dim ${axis} of ${formatShape(shape)}`);
  }
  return { axis, sizes };
}

/** A product of dims: a number times symbols (sorted, repeats kept). */
export interface DimProduct {
  readonly coeff: number;
  readonly symbols: readonly string[];
}

/** A symbol written as a multiple of another ("batch*8", as shape inference reports a merged batch). */
const SCALED_SYMBOL = /^(.+)\*(\d+)$/;

export function productOf(dims: readonly Dim[]): DimProduct {
  let coeff = 1;
  const symbols: string[] = [];
  for (const d of dims) {
    if (typeof d === "number") coeff *= d;
    else {
      const m = SCALED_SYMBOL.exec(d);
      if (m) coeff *= Number(m[2]);
      symbols.push(m ? m[1]! : d);
    }
  }
  return { coeff, symbols: symbols.sort() };
}

export function formatProduct(p: DimProduct): string {
  return p.symbols.length === 0 ? `${p.coeff}` : [...(p.coeff === 1 ? [] : [p.coeff]), ...p.symbols].join("*");
}

/** The product as one dim: a number, a lone symbol or a whole multiple of one ("batch*8"), else undefined. */
export function productDim(p: DimProduct): Dim | undefined {
  if (p.symbols.length === 0) return p.coeff;
  if (p.symbols.length !== 1 || !Number.isInteger(p.coeff) || p.coeff < 1) return undefined;
  return p.coeff === 1 ? p.symbols[0] : `${p.symbols[0]}*${p.coeff}`;
}

/** `a / b` with the symbols of `b` cancelled out of `a`; undefined when `b` has one `a` lacks. */
export function divideProducts(a: DimProduct, b: DimProduct): DimProduct | undefined {
  const rest = [...a.symbols];
  for (const s of b.symbols) {
    const i = rest.indexOf(s);
    if (i < 0) return undefined;
    rest.splice(i, 1);
  }
  return { coeff: a.coeff / b.coeff, symbols: rest };
}

/**
 * ONNX Reshape: 0 copies the input dim (unless allowZero), one -1 takes what is left. Over
 * symbols, -1 is found by cancelling the symbols the other dims name; where what is left is not
 * a number or one symbol, `unknown` says what the dim is (a fresh symbol, or it throws). A symbol
 * in the target (a size read from a shape: Shape → Gather → Concat) is that size, never 0 or -1.
 */
export function resolveTargetDims(op: string, from: readonly Dim[], target: readonly Dim[], allowZero: boolean, unknown: (what: string) => Dim): Dim[] {
  if (target.filter((d) => d === -1).length > 1) throw new ShapeError(`${op}: target ${formatShape(target)} has more than one -1`);
  const dims: Dim[] = target.map((d, i) => {
    if (d === 0 && !allowZero) {
      if (i >= from.length)
        throw new ShapeError(`${op}: target ${formatShape(target)} copies dim ${i} (0) but the input ${formatShape(from)} has only ${from.length} dims`);
      return from[i]!;
    }
    if (typeof d === "number" && (!Number.isInteger(d) || d < -1)) throw new ShapeError(`${op}: invalid target shape ${formatShape(target)}`);
    return d;
  });
  const total = productOf(from);
  const known = productOf(dims.filter((d) => d !== -1));
  const fail = () => new ShapeError(`${op}: cannot reshape ${formatShape(from)} (${formatProduct(total)} elements) to ${formatShape(target)}`);
  const inferred = dims.indexOf(-1);
  if (inferred < 0) {
    const ratio = divideProducts(total, known);
    // Equal symbols cancel; what is left must match where it is all numbers.
    if (ratio && ratio.symbols.length === 0 && divideProducts(known, total)?.symbols.length === 0 && total.coeff !== known.coeff) throw fail();
    return dims;
  }
  if (known.coeff === 0) {
    if (total.symbols.length === 0 && total.coeff !== 0) throw fail();
    dims[inferred] = 0;
    return dims;
  }
  const rest = divideProducts(total, known);
  const dim = rest && productDim(rest);
  if (rest && rest.symbols.length === 0 && !Number.isInteger(rest.coeff)) throw fail();
  dims[inferred] = dim ?? unknown(`-1 stands for ${formatProduct(total)} / ${formatProduct(known)}`);
  return dims;
}
