import {
  formatShape,
  hostArray,
  inferStructuralSymbolic,
  isStructuralOp,
  ShapeError,
  UnsupportedOpError,
  type Attrs,
  type Dim,
  type StructuralOp,
  type SymbolicStructuralInput,
  type SymbolicValue,
} from "@polychip/hal";
import type { HostTensor } from "../tensor.ts";
import { isStatic, type ValueMeta } from "./meta.ts";

/**
 * The importer's view of the graph IR's STRUCTURAL_OPS (views, shape arithmetic, constants): it
 * tracks their shapes with `inferStructural` and folds constant subgraphs with `evalStructural`.
 * Both are the HAL's symbolic shape rules (hal/src/structural-symbolic.ts); this file only turns
 * the importer's metas and known tensors into the rule's input.
 */

let unknownCounter = 0;
/** A fresh symbol for a dimension no one can name statically. */
export function unknownDim(): string {
  return `?${++unknownCounter}`;
}

function structural(op: string): StructuralOp {
  if (!isStructuralOp(op)) throw new UnsupportedOpError(`'${op}' is not a structural op`);
  return op;
}

/** Structural ops that keep the elements in row-major order: folding them copies the data as is. */
const KEEPS_ORDER = new Set(["reshape", "unsqueeze", "squeeze", "flatten", "identity"]);

const valuesOf = (t: HostTensor): number[] => Array.from(t.data as ArrayLike<number>);

/** What the import knows beyond metas and constants: shape values with symbols, and where fresh dims come from. */
export interface SymbolicKnowledge {
  /** Per input, the entries of a shape value computed from symbolic shapes (HAL shape-values.ts), where known. */
  readonly values?: readonly (readonly Dim[] | undefined)[];
  /** A fresh symbol for a dim only the run knows, told why (default: unknownDim). */
  readonly fresh?: (what: string) => string;
}

/** A shape value is at most a shape long: longer values are data, whose entries are not followed. */
const SHAPE_VALUE_LIMIT = 64;

/**
 * Output metas of a structural op. `ins` are the metas of its inputs (undefined where an optional
 * one is absent), `consts` the values of those known at import time (shape, starts, sizes, ...);
 * an input whose values are known only at run time gives its dims as symbols where `known.values`
 * says what they are (a reshape to Concat(Shape(x)[0:2], [3]) is [batch, seq, 3]), otherwise as
 * fresh symbols. Each output's values come with it where they follow (a view of a shape value).
 */
export function inferStructural(
  op: string,
  ins: readonly (ValueMeta | undefined)[],
  attrs: Attrs,
  consts: readonly (HostTensor | undefined)[],
  outputs = 1,
  known: SymbolicKnowledge = {},
): SymbolicValue[] {
  const extra: SymbolicStructuralInput["extra"] = ins.slice(1).map((m, i) => {
    const value = consts[i + 1];
    if (value) return valuesOf(value);
    const traced = known.values?.[i + 1];
    if (traced) return traced;
    return m && { runTimeLength: m.shape[0] ?? 1 };
  });
  const values = known.values?.[0];
  const x = ins[0] && { dtype: ins[0].dtype, shape: ins[0].shape, ...(values ? { values } : {}) };
  return inferStructuralSymbolic(
    structural(op),
    { x, extra, attrs, outputCount: outputs },
    { fresh: known.fresh ?? unknownDim, valueLimit: SHAPE_VALUE_LIMIT },
  );
}

/** Runs a structural op on host tensors (constant folding), undefined standing for an absent optional input. */
export function evalStructural(op: string, ins: readonly (HostTensor | undefined)[], attrs: Attrs, outputs = 1): HostTensor[] {
  const [x, ...rest] = ins;
  if (x && KEEPS_ORDER.has(op)) {
    // Row-major order is unchanged: only the shape is computed (a conv weight's unsqueeze would
    // otherwise walk millions of elements through the general view arithmetic on every import).
    const [m] = inferStructuralSymbolic(structural(op), {
      x: { dtype: x.dtype, shape: x.shape },
      extra: rest.map((t) => t && valuesOf(t)),
      attrs,
      outputCount: 1,
    });
    if (!m!.shape.every((d) => typeof d === "number")) throw new ShapeError(`${op}: cannot evaluate with unknown dims ${formatShape(m!.shape)}`);
    return [{ dtype: x.dtype, shape: m!.shape as number[], data: x.data.slice() }];
  }
  const metas = inferStructuralSymbolic(structural(op), {
    x: x && { dtype: x.dtype, shape: x.shape, values: valuesOf(x) },
    extra: rest.map((t) => t && valuesOf(t)),
    attrs,
    outputCount: outputs,
  });
  return metas.map((m) => {
    // Known inputs give numbers only: dims and values alike.
    if (!m.values || !isStatic(m.values)) throw new ShapeError(`${op}: cannot evaluate with unknown dims ${formatShape(m.shape)}`);
    const data = hostArray(m.dtype, m.values.length);
    data.set(m.values);
    return { dtype: m.dtype, shape: m.shape as number[], data };
  });
}
