import { ALL, BOOLS, FLOATS, NUMERIC, register, SIGNED, type WebGpuRegistration } from "../families/registration.ts";
import { conv } from "./conv.ts";
import { data } from "./data.ts";
import { arithmetic, compare, logical, unary } from "./elementwise.ts";
import { epilogue } from "./epilogue.ts";
import { fused } from "./fused.ts";
import { indexing } from "./indexing.ts";
import { linear } from "./matmul.ts";
import { norm } from "./norm.ts";
import { pool } from "./pool.ts";
import { random } from "./random.ts";
import { reduce } from "./reduce.ts";

/**
 * The WebGPU device's one registration table, one row per HAL op (ops/primitives.ts and
 * ops/composites.ts): the op, the dtypes of its first input (of its output for nullary ops), and
 * the family its kernel comes from. registrations.test.ts checks that it covers every primitive.
 */
export const webgpuKernels: readonly WebGpuRegistration[] = [
  // Elementwise over any strided, broadcast views (elementwise.ts).
  register("abs", NUMERIC, unary),
  register("neg", SIGNED, unary),
  register("sign", NUMERIC, unary),
  register("relu", NUMERIC, unary),
  register("exp", FLOATS, unary),
  register("log", FLOATS, unary),
  register("sqrt", FLOATS, unary),
  register("rsqrt", FLOATS, unary),
  register("reciprocal", FLOATS, unary),
  register("sin", FLOATS, unary),
  register("cos", FLOATS, unary),
  register("tanh", FLOATS, unary),
  register("sigmoid", FLOATS, unary),
  register("erf", FLOATS, unary),
  register("floor", FLOATS, unary),
  register("ceil", FLOATS, unary),
  register("round", FLOATS, unary),
  register("isNaN", FLOATS, unary),
  register("add", NUMERIC, arithmetic),
  register("sub", NUMERIC, arithmetic),
  register("mul", NUMERIC, arithmetic),
  register("div", NUMERIC, arithmetic),
  register("pow", NUMERIC, arithmetic),
  register("maximum", NUMERIC, arithmetic),
  register("minimum", NUMERIC, arithmetic),
  register("mod", NUMERIC, arithmetic),
  register("fmod", NUMERIC, arithmetic),
  register("equal", ALL, compare),
  register("notEqual", ALL, compare),
  register("less", NUMERIC, compare),
  register("lessEqual", NUMERIC, compare),
  register("greater", NUMERIC, compare),
  register("greaterEqual", NUMERIC, compare),
  register("logicalNot", BOOLS, logical),
  register("logicalAnd", BOOLS, logical),
  register("logicalOr", BOOLS, logical),
  register("logicalXor", BOOLS, logical),
  // Copies, conversions and creation (data.ts, random.ts); where registers by its bool condition.
  register("copy", ALL, data),
  register("cast", ALL, data),
  register("fill", ALL, data),
  register("where", BOOLS, data),
  register("concat", ALL, data),
  register("pad", ALL, data),
  register("randomUniform", ALL, random),
  register("randomNormal", ALL, random),
  // Indexing (indexing.ts).
  register("gather", ALL, indexing),
  register("gatherElements", ALL, indexing),
  register("scatterAdd", ALL, indexing),
  // Reductions over any strides (reduce.ts).
  register("reduceSum", NUMERIC, reduce),
  register("reduceProd", NUMERIC, reduce),
  register("reduceMax", NUMERIC, reduce),
  register("reduceMin", NUMERIC, reduce),
  register("argMax", NUMERIC, reduce),
  register("argMin", NUMERIC, reduce),
  // The tiled GEMM (matmul.ts, conv.ts).
  register("matmul", NUMERIC, linear),
  register("integerMatmul", ["int8", "uint8"], linear),
  register("conv2d", FLOATS, conv),
  register("conv2dGradInput", FLOATS, conv),
  register("conv2dGradWeight", FLOATS, conv),
  // GEMM epilogues: the GEMM's store runs a fused program (epilogue.ts).
  register("matmulEpilogue", NUMERIC, epilogue),
  register("conv2dEpilogue", FLOATS, epilogue),
  register("conv2dGradInputEpilogue", FLOATS, epilogue),
  // Windows and lines (pool.ts, norm.ts).
  register("maxPool2d", FLOATS, pool),
  register("maxPool2dGrad", FLOATS, pool),
  register("avgPool2d", FLOATS, pool),
  register("avgPool2dGrad", FLOATS, pool),
  register("softmax", FLOATS, norm),
  register("logSoftmax", FLOATS, norm),
  register("layerNorm", FLOATS, norm),
  register("batchNorm", FLOATS, norm),
  // Elementwise programs as one generated shader (fused.ts); registered by any first-input dtype.
  register("fused", ALL, fused),
];
