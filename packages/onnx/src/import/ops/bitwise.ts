import { DTypeError, ShapeError, UnsupportedOpError, type DType } from "@polychip/hal";
import { DataType } from "../../proto/types.ts";
import type { ImportContext, OnnxNode } from "../context.ts";
import { bin, castTo, input, output, un, type OpImporter } from "./helpers.ts";

/**
 * Bitwise ops on the HAL's integer arithmetic (it has no bit operations): values are worked on as
 * 32-bit two's complement int32, which is exact for every integer dtype Polychip holds (int8,
 * uint8, and the 16/32/64-bit ones held in int32). A value splits into its sign and 31 low bits
 * along a new last axis (div by powers of two, mod 2); bits combine elementwise and sum back.
 */
const INT_MIN = -(2 ** 31);
const LOW_BITS = 31;
const POWERS = Array.from({ length: LOW_BITS }, (_, k) => 2 ** k);

function requireInteger(ctx: ImportContext, v: string): DType {
  const dtype = ctx.dtype(v);
  if (dtype !== "int32" && dtype !== "int8" && dtype !== "uint8") throw new DTypeError(`${ctx.where()}: expects an integer tensor, got ${dtype} '${v}'`);
  return dtype;
}

/** Bits of the unsigned type the model declares for the node's input or output (undefined: signed or not declared). */
function unsignedWidth(ctx: ImportContext, node: OnnxNode): number | undefined {
  const widths: Record<number, number> = { [DataType.UINT8]: 8, [DataType.UINT16]: 16, [DataType.UINT32]: 32, [DataType.UINT64]: 64 };
  for (const name of [node.inputs[0], node.outputs[0]]) {
    const t = name ? ctx.declaredTypes.get(name) : undefined;
    if (t !== undefined) return widths[t];
  }
  return ctx.dtype(input(ctx, node, 0)) === "uint8" ? 8 : undefined;
}

interface Bits {
  /** 0/1 int32 values of bits 0..30, [...shape, 31]. */
  readonly low: string;
  /** The sign bit as a bool tensor. */
  readonly negative: string;
}

function bitsOf(ctx: ImportContext, v: string): Bits {
  const x = castTo(ctx, v, "int32");
  const negative = bin(ctx, "less", x, ctx.scalar(0, "int32"));
  // For a negative x, x − INT_MIN is its low 31 bits as a non-negative number.
  const low = ctx.op("where", [negative, bin(ctx, "sub", x, ctx.scalar(INT_MIN, "int32")), x]);
  const shifted = bin(ctx, "div", ctx.op("unsqueeze", [low], { axes: [ctx.rank(low)] }), ctx.const(POWERS, [LOW_BITS], "int32"));
  return { low: bin(ctx, "mod", shifted, ctx.scalar(2, "int32")), negative };
}

function valueOf(ctx: ImportContext, bits: Bits): string {
  const low = bin(ctx, "mul", bits.low, ctx.const(POWERS, [LOW_BITS], "int32"));
  const sum = ctx.op("reduceSum", [low], { axes: [ctx.rank(low) - 1], keepDims: false });
  return ctx.op("where", [bits.negative, bin(ctx, "add", sum, ctx.scalar(INT_MIN, "int32")), sum]);
}

function bitwise(bitOp: "mul" | "maximum" | "notEqual", signOp: "logicalAnd" | "logicalOr" | "logicalXor"): OpImporter {
  return (ctx, node) => {
    const [a, b] = [input(ctx, node, 0), input(ctx, node, 1)];
    const dtype = requireInteger(ctx, a);
    if (ctx.dtype(b) !== dtype) throw new DTypeError(`${ctx.where()}: inputs must share a dtype, got ${dtype} and ${ctx.dtype(b)}`);
    const [x, y] = [bitsOf(ctx, a), bitsOf(ctx, b)];
    const low = castTo(ctx, bin(ctx, bitOp, x.low, y.low), "int32");
    ctx.bind(output(node), castTo(ctx, valueOf(ctx, { low, negative: bin(ctx, signOp, x.negative, y.negative) }), dtype));
  };
}

/**
 * BitwiseNot: 2^w − 1 − x for unsigned w-bit types, −x − 1 (two's complement) for signed ones. The
 * HAL holds uint16 in int32, so the type comes from what the model declares for the node's values
 * (a value declared nowhere counts as signed); uint32/uint64 results reach 2^31, which int32 cannot hold.
 */
const bitwiseNot: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const dtype = requireInteger(ctx, x);
  const width = unsignedWidth(ctx, node);
  if (width !== undefined && width > 16)
    throw new UnsupportedOpError(`${ctx.where()}: BitwiseNot of uint${width} gives values of 2^31 and more, which Polychip's int32 cannot hold`);
  if (width !== undefined) bin(ctx, "sub", ctx.scalar(2 ** width - 1, dtype), x, output(node));
  else bin(ctx, "sub", un(ctx, "neg", x), ctx.scalar(1, dtype), output(node));
};

/**
 * BitShift on unsigned integers: x · 2^y, wrapped to the declared width (uint8, uint16; uint32
 * and uint64 wrap mod 2^32 and must stay below 2^31 to be held in int32), or ⌊x / 2^y⌋. Shifts of
 * 32 or more give 0.
 */
const bitShift: OpImporter = (ctx, node) => {
  const [a, b] = [input(ctx, node, 0), input(ctx, node, 1)];
  const dtype = requireInteger(ctx, a);
  const direction = node.attrs.string("direction");
  if (direction !== "LEFT" && direction !== "RIGHT") throw new ShapeError(`${ctx.where()}: direction must be LEFT or RIGHT, got '${direction}'`);
  const x = castTo(ctx, a, "int32");
  const y = castTo(ctx, b, "int32");
  const table = [...POWERS, INT_MIN, 0];
  const capped = bin(ctx, "minimum", y, ctx.scalar(table.length - 1, "int32"));
  let shifted: string;
  if (direction === "LEFT") {
    shifted = bin(ctx, "mul", x, ctx.op("gather", [ctx.const(table, [table.length], "int32"), capped], { axis: 0 }));
    const width = unsignedWidth(ctx, node);
    if (width !== undefined && width <= 16) shifted = bin(ctx, "mod", shifted, ctx.scalar(2 ** width, "int32"));
  } else {
    const divisor = ctx.op("gather", [ctx.const(POWERS, [LOW_BITS], "int32"), bin(ctx, "minimum", y, ctx.scalar(LOW_BITS - 1, "int32"))], { axis: 0 });
    const tooFar = bin(ctx, "greaterEqual", y, ctx.scalar(LOW_BITS, "int32"));
    shifted = ctx.op("where", [tooFar, ctx.scalar(0, "int32"), bin(ctx, "div", x, divisor)]);
  }
  ctx.bind(output(node), castTo(ctx, shifted, dtype));
};

export const BITWISE_IMPORTERS: Readonly<Record<string, OpImporter>> = {
  BitwiseAnd: bitwise("mul", "logicalAnd"),
  BitwiseOr: bitwise("maximum", "logicalOr"),
  BitwiseXor: bitwise("notEqual", "logicalXor"),
  BitwiseNot: bitwiseNot,
  BitShift: bitShift,
};
