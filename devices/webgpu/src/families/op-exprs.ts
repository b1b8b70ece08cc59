import type { BinaryExprs, UnaryExprs } from "./scalar-ops.ts";

// The elementwise ops as WGSL expressions per computing type (f32 for floats, i32 for integers,
// bool); f_* and i_* are the prelude's NaN- and zero-aware helpers (src/wgsl/prelude.ts). One table
// for the one-op kernels (kernels/elementwise.ts, kernels/data.ts) and the fused programs (kernels/fused.ts).

export const UNARY_EXPRS = {
  abs: { f32: (x) => `abs(${x})`, i32: (x) => `abs(${x})` },
  neg: { f32: (x) => `-${x}`, i32: (x) => `-${x}` },
  sign: { f32: (x) => `f_sign(${x})`, i32: (x) => `sign(${x})` },
  relu: { f32: (x) => `select(0.0f, ${x}, ${x} > 0.0f || is_nan(${x}))`, i32: (x) => `max(${x}, 0i)` },
  exp: { f32: (x) => `f_exp(${x})` },
  log: { f32: (x) => `f_log(${x})` },
  sqrt: { f32: (x) => `f_sqrt(${x})` },
  rsqrt: { f32: (x) => `f_rsqrt(${x})` },
  reciprocal: { f32: (x) => `f_div(1.0f, ${x})` },
  sin: { f32: (x) => `f_sin(${x})` },
  cos: { f32: (x) => `f_cos(${x})` },
  tanh: { f32: (x) => `f_tanh(${x})` },
  sigmoid: { f32: (x) => `f_sigmoid(${x})` },
  erf: { f32: (x) => `f_erf(${x})` },
  floor: { f32: (x) => `floor(${x})` },
  ceil: { f32: (x) => `ceil(${x})` },
  round: { f32: (x) => `round(${x})` },
  isNaN: { f32: (x) => `is_nan(${x})` },
} satisfies Record<string, UnaryExprs>;

export const ARITHMETIC_EXPRS = {
  add: { f32: (a, b) => `${a} + ${b}`, i32: (a, b) => `${a} + ${b}` },
  sub: { f32: (a, b) => `${a} - ${b}`, i32: (a, b) => `${a} - ${b}` },
  mul: { f32: (a, b) => `${a} * ${b}`, i32: (a, b) => `${a} * ${b}` },
  div: { f32: (a, b) => `f_div(${a}, ${b})`, i32: (a, b) => `i_div(${a}, ${b})` },
  pow: { f32: (a, b) => `f_pow(${a}, ${b})`, i32: (a, b) => `i_pow(${a}, ${b})` },
  maximum: { f32: (a, b) => `f_max(${a}, ${b})`, i32: (a, b) => `max(${a}, ${b})` },
  minimum: { f32: (a, b) => `f_min(${a}, ${b})`, i32: (a, b) => `min(${a}, ${b})` },
  mod: { f32: (a, b) => `f_mod(${a}, ${b})`, i32: (a, b) => `i_mod(${a}, ${b})` },
  fmod: { f32: (a, b) => `f_fmod(${a}, ${b})`, i32: (a, b) => `i_fmod(${a}, ${b})` },
} satisfies Record<string, BinaryExprs>;

/** A comparison with NaN is false, except notEqual, which is true (IEEE). */
export const COMPARE_EXPRS = {
  equal: { f32: (a, b) => `!is_nan(${a}) && ${a} == ${b}`, i32: (a, b) => `${a} == ${b}`, bool: (a, b) => `${a} == ${b}` },
  notEqual: { f32: (a, b) => `is_nan(${a}) || is_nan(${b}) || ${a} != ${b}`, i32: (a, b) => `${a} != ${b}`, bool: (a, b) => `${a} != ${b}` },
  less: { f32: (a, b) => `!is_nan(${a}) && !is_nan(${b}) && ${a} < ${b}`, i32: (a, b) => `${a} < ${b}` },
  lessEqual: { f32: (a, b) => `!is_nan(${a}) && !is_nan(${b}) && ${a} <= ${b}`, i32: (a, b) => `${a} <= ${b}` },
  greater: { f32: (a, b) => `!is_nan(${a}) && !is_nan(${b}) && ${a} > ${b}`, i32: (a, b) => `${a} > ${b}` },
  greaterEqual: { f32: (a, b) => `!is_nan(${a}) && !is_nan(${b}) && ${a} >= ${b}`, i32: (a, b) => `${a} >= ${b}` },
} satisfies Record<string, BinaryExprs>;

export const LOGICAL_UNARY_EXPRS = {
  logicalNot: { bool: (x) => `!${x}` },
} satisfies Record<string, UnaryExprs>;

export const LOGICAL_BINARY_EXPRS = {
  logicalAnd: { bool: (a, b) => `${a} && ${b}` },
  logicalOr: { bool: (a, b) => `${a} || ${b}` },
  logicalXor: { bool: (a, b) => `${a} != ${b}` },
} satisfies Record<string, BinaryExprs>;

/** where(cond, a, b) on computed values. */
export const whereExpr = (cond: string, a: string, b: string): string => `select(${b}, ${a}, ${cond})`;
