import { DTypeError, ShapeError } from "@polychip/hal";
import { formatDims } from "../../host/meta.ts";
import { DataType } from "../../proto/types.ts";
import type { ImportContext, OnnxNode } from "../context.ts";
import { axisOf } from "./helpers.ts";

/**
 * Attribute forms of opsets 1–6 whose meaning differs from what later opsets say with inputs or
 * implicit rules. Each helper is a no-op for the opsets that no longer have the form.
 */

/**
 * The second operand of a binary op before opset 7: without `broadcast=1` both shapes must be
 * equal; with it, B's dims line up with A's from `axis` (suffix matching, numpy's rule, when
 * absent). Returns B reshaped so numpy broadcasting gives the legacy result.
 */
export function legacyBroadcastOperand(ctx: ImportContext, node: OnnxNode, a: string, b: string): string {
  if (node.opset >= 7) return b;
  const da = ctx.dims(a);
  const db = ctx.dims(b);
  if (node.attrs.int("broadcast", 0) !== 1) {
    const differ = da.length !== db.length || da.some((d, i) => typeof d === "number" && typeof db[i] === "number" && d !== db[i]);
    if (differ)
      throw new ShapeError(
        `${ctx.where()}: without broadcast=1 (opset ${node.opset}) both operands need one shape, got ${formatDims(da)} and ${formatDims(db)}`,
      );
    return b;
  }
  const axis = node.attrs.int("axis");
  if (axis === undefined || db.length === 0) return b;
  const start = axisOf(ctx, axis, da.length);
  const trailing = da.length - start - db.length;
  if (trailing < 0) throw new ShapeError(`${ctx.where()}: operand ${formatDims(db)} does not fit into ${formatDims(da)} from axis ${axis}`);
  if (trailing === 0) return b;
  return ctx.op("unsqueeze", [b], { axes: Array.from({ length: trailing }, (_, i) => db.length + i) });
}

/** Cast-1 names its target type as a string ("FLOAT"); Cast-6 and later as the DataType number. */
export function castTargetCode(ctx: ImportContext, node: OnnxNode): number {
  if (node.opset < 6 && node.attrs.string("to") !== undefined) {
    const name = node.attrs.string("to")!.toUpperCase();
    const code = DATA_TYPE_NAMES[name];
    if (code === undefined) throw new DTypeError(`${ctx.where()}: unknown target type '${name}'`);
    return code;
  }
  const to = node.attrs.int("to");
  if (to === undefined) throw new DTypeError(`${ctx.where()}: missing attribute 'to'`);
  return to;
}

const DATA_TYPE_NAMES: Record<string, number> = {
  FLOAT: DataType.FLOAT,
  UINT8: DataType.UINT8,
  INT8: DataType.INT8,
  UINT16: DataType.UINT16,
  INT16: DataType.INT16,
  INT32: DataType.INT32,
  INT64: DataType.INT64,
  STRING: DataType.STRING,
  BOOL: DataType.BOOL,
  FLOAT16: DataType.FLOAT16,
  DOUBLE: DataType.DOUBLE,
  UINT32: DataType.UINT32,
  UINT64: DataType.UINT64,
  BFLOAT16: DataType.BFLOAT16,
};

/** Concat's axis: optional (default 1) before opset 4, required since. */
export function concatAxis(node: OnnxNode): number | undefined {
  return node.attrs.int("axis") ?? (node.opset < 4 ? 1 : undefined);
}
