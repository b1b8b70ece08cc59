import type { GraphNode } from "@polychip/engine/runtime";
import type { Dim } from "../host/meta.ts";
import type { HostTensor } from "../tensor.ts";

/** What the tracer reads from the import: a value's dims, its constant, its producing node. */
export interface ShapeValueSource {
  dims(name: string): readonly Dim[];
  constant(name: string): HostTensor | undefined;
  producer(name: string): GraphNode | undefined;
}

const MAX_DEPTH = 16;

/**
 * The elements of a small 1-D integer value computed from shapes, as dims (numbers or the symbols
 * of symbolic dims), when its producing nodes say exactly what they are: `shape` of a value whose
 * dims are known (symbols included), slices of it with constant bounds, gathers at constant
 * positions, concatenations, casts. A reshape to such a value then has the symbolic dims it
 * will have at run time (Shape → Slice → Concat → Reshape, as exporters write a flatten of the
 * leading dims back), where otherwise each dim would be a fresh unknown. Undefined when any step
 * is anything else: the caller keeps the unknown dims.
 */
export function shapeValue(src: ShapeValueSource, name: string, depth = 0): Dim[] | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const known = src.constant(name);
  if (known) return known.shape.length <= 1 && known.dtype === "int32" ? Array.from(known.data, Number) : undefined;
  const node = src.producer(name);
  if (!node) return undefined;
  const attrs = node.attrs ?? {};
  const input = (i: number) => shapeValue(src, node.inputs[i]!, depth + 1);
  switch (node.op) {
    case "shape": {
      const dims = src.dims(node.inputs[0]!);
      const r = dims.length;
      const clamp = (a: number) => Math.min(Math.max(a < 0 ? a + r : a, 0), r);
      const start = clamp(typeof attrs.start === "number" ? attrs.start : 0);
      return dims.slice(start, Math.max(start, clamp(typeof attrs.end === "number" ? attrs.end : r)));
    }
    case "identity":
    case "cast":
      return input(0);
    case "concat": {
      if (attrs.axis !== 0 && attrs.axis !== -1) return undefined;
      const parts = node.inputs.map((_, i) => input(i));
      return parts.every((p) => p !== undefined) ? parts.flat() : undefined;
    }
    case "slice": {
      const v = input(0);
      const [starts, ends, axes, steps] = [attrs.starts, attrs.ends, attrs.axes, attrs.steps] as (number[] | undefined)[];
      if (!v || !starts || !ends || starts.length !== 1 || (axes && axes[0] !== 0) || (steps && steps[0] !== 1)) return undefined;
      const n = v.length;
      const at = (a: number) => Math.min(Math.max(a < 0 ? a + n : a, 0), n);
      return v.slice(at(starts[0]!), Math.max(at(starts[0]!), at(ends[0]!)));
    }
    case "gather": {
      const v = input(0);
      const idx = src.constant(node.inputs[1]!);
      if (!v || !idx || (attrs.axis ?? 0) !== 0 || idx.shape.length > 1) return undefined;
      const picked = Array.from(idx.data, (i) => v[i < 0 ? i + v.length : i]);
      return picked.every((d) => d !== undefined) ? (picked as Dim[]) : undefined;
    }
    case "unsqueeze":
    case "reshape":
      // A scalar or a list made 1-D: the same elements.
      return src.dims(name).length === 1 ? input(0) : undefined;
    default:
      return undefined;
  }
}
