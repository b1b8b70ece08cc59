import { DTypeError, formatShape, isFloat, promoteTypes, type DType } from "@polychip/hal";
import { Tensor, type TensorLike } from "../tensor.ts";
import { apply, applyComposite } from "./apply.ts";
import { full } from "./creation.ts";
import { autocasting, inFloat32 } from "./autocast.ts";

/** Runs a single-output HAL op on tensors (the one op path: dispatch, trace, autograd). */
export const run = apply;

/** A second handle on the same memory (no copy). */
export function alias(t: Tensor): Tensor {
  return apply("identity", [t]);
}

/** Turns a number into a tensor that mixes with `like` (PyTorch's rule: a float scalar makes an int tensor float). */
export function operands(a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  if (a instanceof Tensor && b instanceof Tensor) {
    if (a.dtype === b.dtype) return [a, b];
    const dt = promoteTypes(a.dtype, b.dtype);
    return [a.dtype === dt ? a : cast(a, dt), b.dtype === dt ? b : cast(b, dt)];
  }
  if (a instanceof Tensor) {
    const s = scalarFor(b as number, a);
    return [s.dtype === a.dtype ? a : cast(a, s.dtype), s];
  }
  if (b instanceof Tensor) {
    const s = scalarFor(a as number, b);
    return [s, s.dtype === b.dtype ? b : cast(b, s.dtype)];
  }
  throw new DTypeError("binary op: at least one operand must be a tensor");
}

function scalarFor(value: number, like: Tensor): Tensor {
  const dtype: DType = !isFloat(like.dtype) && !Number.isInteger(value) ? "float32" : like.dtype === "bool" ? "float32" : like.dtype;
  return full([], value, { dtype, device: like.device });
}

export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return alias(x);
  return apply("cast", [x], { to: dtype });
}

const BOOL_OPS = new Set(["equal", "notEqual", "logicalAnd", "logicalOr", "logicalXor"]);

/** Promotes the operands (bool computes as float32 except in logic and equality) and applies `op`. */
function binaryOp(op: string, a: TensorLike, b: TensorLike): Tensor {
  let [x, y] = operands(a, b);
  if (x.dtype === "bool" && !BOOL_OPS.has(op)) {
    x = cast(x, "float32");
    y = cast(y, "float32");
  }
  return apply(op, [x, y]);
}

export const add = (a: TensorLike, b: TensorLike): Tensor => binaryOp("add", a, b);
export const sub = (a: TensorLike, b: TensorLike): Tensor => binaryOp("sub", a, b);
export const mul = (a: TensorLike, b: TensorLike): Tensor => binaryOp("mul", a, b);
/** True division: integer operands give a float result, as PyTorch's `/`. */
export const div = (a: TensorLike, b: TensorLike): Tensor => binaryOp("div", toFloat(a), toFloat(b));
export const pow = (a: TensorLike, b: TensorLike): Tensor => (autocasting() ? inFloat32(pow, a, b) : binaryOp("pow", a, b));
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binaryOp("maximum", a, b);
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binaryOp("minimum", a, b);
export const mod = (a: TensorLike, b: TensorLike): Tensor => binaryOp("mod", a, b);
export const fmod = (a: TensorLike, b: TensorLike): Tensor => binaryOp("fmod", a, b);

export const eq = (a: TensorLike, b: TensorLike): Tensor => binaryOp("equal", a, b);
export const ne = (a: TensorLike, b: TensorLike): Tensor => binaryOp("notEqual", a, b);
export const lt = (a: TensorLike, b: TensorLike): Tensor => binaryOp("less", a, b);
export const le = (a: TensorLike, b: TensorLike): Tensor => binaryOp("lessEqual", a, b);
export const gt = (a: TensorLike, b: TensorLike): Tensor => binaryOp("greater", a, b);
export const ge = (a: TensorLike, b: TensorLike): Tensor => binaryOp("greaterEqual", a, b);
export const logicalAnd = (a: Tensor, b: Tensor): Tensor => binaryOp("logicalAnd", a, b);
export const logicalOr = (a: Tensor, b: Tensor): Tensor => binaryOp("logicalOr", a, b);
export const logicalXor = (a: Tensor, b: Tensor): Tensor => binaryOp("logicalXor", a, b);
export const logicalNot = (a: Tensor): Tensor => run("logicalNot", [a]);

function toFloat(v: TensorLike): TensorLike {
  return v instanceof Tensor && !isFloat(v.dtype) ? cast(v, "float32") : v;
}

/** Ops that compute in float (an integer input is cast first); the others keep integer inputs. */
const FLOAT_UNARY = new Set(["exp", "log", "sqrt", "rsqrt", "reciprocal", "sin", "cos", "tanh", "sigmoid", "erf"]);

function unaryOp(op: string, x: Tensor): Tensor {
  const input = x.dtype === "bool" || (!isFloat(x.dtype) && FLOAT_UNARY.has(op)) ? cast(x, "float32") : x;
  return apply(op, [input]);
}

export const neg = (x: Tensor): Tensor => unaryOp("neg", x);
export const abs = (x: Tensor): Tensor => unaryOp("abs", x);
export const sign = (x: Tensor): Tensor => unaryOp("sign", x);
export const exp = (x: Tensor): Tensor => (autocasting() ? inFloat32(exp, x) : unaryOp("exp", x));
export const log = (x: Tensor): Tensor => (autocasting() ? inFloat32(log, x) : unaryOp("log", x));
export const sqrt = (x: Tensor): Tensor => unaryOp("sqrt", x);
export const rsqrt = (x: Tensor): Tensor => unaryOp("rsqrt", x);
export const reciprocal = (x: Tensor): Tensor => unaryOp("reciprocal", x);
export const sin = (x: Tensor): Tensor => unaryOp("sin", x);
export const cos = (x: Tensor): Tensor => unaryOp("cos", x);
export const tanh = (x: Tensor): Tensor => unaryOp("tanh", x);
export const sigmoid = (x: Tensor): Tensor => unaryOp("sigmoid", x);
export const relu = (x: Tensor): Tensor => unaryOp("relu", x);
export const erf = (x: Tensor): Tensor => unaryOp("erf", x);
export const floor = (x: Tensor): Tensor => unaryOp("floor", x);
export const ceil = (x: Tensor): Tensor => unaryOp("ceil", x);
export const round = (x: Tensor): Tensor => unaryOp("round", x);
export const isNaN = (x: Tensor): Tensor => apply("isNaN", [x]);

/** GELU, exact form: x * Φ(x). */
export function gelu(x: Tensor): Tensor {
  return mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));
}

/** Limits values to [min, max]; the gradient passes where min <= x <= max (bounds included, as PyTorch). */
export function clamp(x: Tensor, min?: number, max?: number): Tensor {
  const attrs = { ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) };
  return applyComposite("clamp", [x], attrs, () => {
    let r = x;
    if (min !== undefined) r = maximum(r, min);
    if (max !== undefined) r = minimum(r, max);
    return r === x ? alias(x) : r;
  });
}

/** cond ? a : b with broadcasting. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  if (cond.dtype !== "bool") throw new DTypeError(`where: condition must be bool, got ${cond.dtype}${formatShape(cond.shape)}`);
  const [x, y] = operands(a, b);
  return apply("where", [cond, x, y]);
}
