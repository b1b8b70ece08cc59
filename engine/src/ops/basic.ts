import { DTypeError, formatShape, isFloat, promoteTypes, type Attrs, type DType } from "@polychip/hal";
import { runOp, shareView } from "../core/dispatch.ts";
import { record } from "../autograd/node.ts";
import { noGrad } from "../autograd/grad-mode.ts";
import { Tensor, type TensorLike } from "../tensor.ts";
import { full } from "./creation.ts";
import { traceOp } from "../graph/trace-hook.ts";

/** Runs a single-output HAL op on tensors. */
export function run(op: string, inputs: readonly Tensor[], attrs: Attrs = {}): Tensor {
  return traceOp(op, inputs, attrs, new Tensor(runOp(op, inputs.map((t) => t.view), attrs)[0]!));
}

/** A second handle on the same memory (no copy). */
export function alias(t: Tensor): Tensor {
  const v = t.view;
  return traceOp("identity", [t], {}, new Tensor(shareView(v, v)));
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
  const out = run("cast", [x], { to: dtype });
  if (isFloat(dtype) && isFloat(x.dtype)) record("cast", out, [x], (g) => [cast(g, x.dtype)]);
  return out;
}

function binaryOp(op: string, a: TensorLike, b: TensorLike, grad?: (g: Tensor, x: Tensor, y: Tensor, out: Tensor) => (Tensor | undefined)[]): Tensor {
  let [x, y] = operands(a, b);
  if (x.dtype === "bool" && !["equal", "notEqual", "logicalAnd", "logicalOr", "logicalXor"].includes(op)) {
    x = cast(x, "float32");
    y = cast(y, "float32");
  }
  const out = run(op, [x, y]);
  return grad ? record(op, out, [x, y], (g) => grad(g, x, y, out)) : out;
}

export const add = (a: TensorLike, b: TensorLike): Tensor => binaryOp("add", a, b, (g) => [g, g]);
export const sub = (a: TensorLike, b: TensorLike): Tensor => binaryOp("sub", a, b, (g) => [g, neg(g)]);
export const mul = (a: TensorLike, b: TensorLike): Tensor => binaryOp("mul", a, b, (g, x, y) => [mul(g, y), mul(g, x)]);
/** True division: integer operands give a float result, as PyTorch's `/`. */
export const div = (a: TensorLike, b: TensorLike): Tensor => binaryOp("div", toFloat(a), toFloat(b), (g, x, y) => [div(g, y), neg(div(mul(g, x), mul(y, y)))]);
export const pow = (a: TensorLike, b: TensorLike): Tensor =>
  binaryOp("pow", a, b, (g, x, y, out) => [
    mul(g, mul(y, pow(x, sub(y, 1)))),
    y.requiresGrad ? mul(g, mul(out, log(x))) : undefined,
  ]);
/** Where the operands tie, each gets half the gradient (as PyTorch). */
function tieSplit(g: Tensor, wins: Tensor, ties: Tensor): Tensor[] {
  const share = add(cast(wins, g.dtype), mul(cast(ties, g.dtype), 0.5));
  return [mul(g, share), mul(g, sub(1, share))];
}
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binaryOp("maximum", a, b, (g, x, y) => tieSplit(g, gt(x, y), eq(x, y)));
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binaryOp("minimum", a, b, (g, x, y) => tieSplit(g, lt(x, y), eq(x, y)));
export const mod = (a: TensorLike, b: TensorLike): Tensor => binaryOp("mod", a, b, (g, x, y) => [g, neg(mul(g, floor(div(x, y))))]);
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

function unaryOp(op: string, x: Tensor, grad?: (g: Tensor, x: Tensor, out: Tensor) => Tensor): Tensor {
  const input = x.dtype === "bool" || (!isFloat(x.dtype) && grad && !["neg", "abs", "relu"].includes(op)) ? cast(x, "float32") : x;
  const out = run(op, [input]);
  return grad ? record(op, out, [input], (g) => [grad(g, input, out)]) : out;
}

const SQRT_2_OVER_PI = 2 / Math.sqrt(Math.PI);
export const neg = (x: Tensor): Tensor => unaryOp("neg", x, (g) => neg(g));
export const abs = (x: Tensor): Tensor => unaryOp("abs", x, (g, x) => mul(g, sign(x)));
export const sign = (x: Tensor): Tensor => unaryOp("sign", x);
export const exp = (x: Tensor): Tensor => unaryOp("exp", x, (g, _x, y) => mul(g, y));
export const log = (x: Tensor): Tensor => unaryOp("log", x, (g, x) => div(g, x));
export const sqrt = (x: Tensor): Tensor => unaryOp("sqrt", x, (g, _x, y) => div(mul(g, 0.5), y));
export const rsqrt = (x: Tensor): Tensor => unaryOp("rsqrt", x, (g, _x, y) => mul(g, mul(pow(y, 3), -0.5)));
export const reciprocal = (x: Tensor): Tensor => unaryOp("reciprocal", x, (g, _x, y) => neg(mul(g, mul(y, y))));
export const sin = (x: Tensor): Tensor => unaryOp("sin", x, (g, x) => mul(g, cos(x)));
export const cos = (x: Tensor): Tensor => unaryOp("cos", x, (g, x) => neg(mul(g, sin(x))));
export const tanh = (x: Tensor): Tensor => unaryOp("tanh", x, (g, _x, y) => mul(g, sub(1, mul(y, y))));
export const sigmoid = (x: Tensor): Tensor => unaryOp("sigmoid", x, (g, _x, y) => mul(g, mul(y, sub(1, y))));
export const relu = (x: Tensor): Tensor => unaryOp("relu", x, (g, x) => mul(g, cast(gt(x, 0), g.dtype)));
export const erf = (x: Tensor): Tensor => unaryOp("erf", x, (g, x) => mul(g, mul(exp(neg(mul(x, x))), SQRT_2_OVER_PI)));
export const floor = (x: Tensor): Tensor => unaryOp("floor", x);
export const ceil = (x: Tensor): Tensor => unaryOp("ceil", x);
export const round = (x: Tensor): Tensor => unaryOp("round", x);
export const isNaN = (x: Tensor): Tensor => run("isNaN", [x]);

/** GELU, exact form: x * Φ(x). */
export function gelu(x: Tensor): Tensor {
  return mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));
}

/** Limits values to [min, max]; the gradient passes where min <= x <= max (bounds included, as PyTorch). */
export function clamp(x: Tensor, min?: number, max?: number): Tensor {
  const out = noGrad(() => {
    let r = x;
    if (min !== undefined) r = maximum(r, min);
    if (max !== undefined) r = minimum(r, max);
    return r === x ? alias(x) : r;
  });
  return record("clamp", out, [x], (g) => {
    let inside = g;
    if (min !== undefined) inside = mul(inside, cast(ge(x, min), g.dtype));
    if (max !== undefined) inside = mul(inside, cast(le(x, max), g.dtype));
    return [inside];
  });
}

/** cond ? a : b with broadcasting. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  if (cond.dtype !== "bool") throw new DTypeError(`where: condition must be bool, got ${cond.dtype}${formatShape(cond.shape)}`);
  const [x, y] = operands(a, b);
  const out = run("where", [cond, x, y]);
  return record("where", out, [x, y], (g) => {
    const zero = full([], 0, { dtype: g.dtype, device: g.device });
    return [run("where", [cond, g, zero]), run("where", [cond, zero, g])];
  });
}
