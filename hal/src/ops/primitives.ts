import type { Attrs } from "../device.ts";
import { DTYPES, isDType, isFloat, type DType } from "../dtype.ts";
import { DTypeError, ShapeError } from "../errors.ts";
import { broadcastShapes, describeTensors, formatShape, normalizeAxis, sizeOf } from "../shape.ts";
import { boolAttr, listAttr, numAttr } from "./attrs.ts";
import type { OpDef, OpFamily, TensorMeta } from "./types.ts";

const describe = describeTensors;

function requireDTypes(op: string, ms: readonly TensorMeta[], allowed: readonly DType[]): void {
  for (const m of ms) {
    if (!allowed.includes(m.dtype)) throw new DTypeError(`${op}: dtype ${m.dtype} is not supported (inputs ${describe(ms)}; allowed ${allowed.join(", ")})`);
  }
}

function requireSameDType(op: string, ms: readonly TensorMeta[]): void {
  if (ms.some((m) => m.dtype !== ms[0]!.dtype)) throw new DTypeError(`${op}: inputs must share one dtype, got ${describe(ms)}`);
}

const FLOATS: DType[] = ["float32", "float16"];
const NUMERIC: DType[] = ["float32", "float16", "int32", "int8", "uint8"];

function prim(name: string, family: OpFamily, inputs: [number, number], doc: string, infer: OpDef["infer"]): OpDef {
  return { name, kind: "primitive", family, inputs, doc, infer };
}

function unary(name: string, doc: string, allowed: DType[] = NUMERIC, out?: DType): OpDef {
  return prim(name, "unary", [1, 1], doc, (ins) => {
    requireDTypes(name, ins, allowed);
    return [{ shape: ins[0]!.shape, dtype: out ?? ins[0]!.dtype }];
  });
}

function binary(name: string, family: OpFamily, doc: string, allowed: DType[], out?: DType): OpDef {
  return prim(name, family, [2, 2], doc, (ins) => {
    requireSameDType(name, ins);
    requireDTypes(name, ins, allowed);
    return [{ shape: broadcastShapes(name, ins[0]!.shape, ins[1]!.shape), dtype: out ?? ins[0]!.dtype }];
  });
}

function reduceAxes(op: string, rank: number, attrs: Attrs): number[] {
  const axes = attrs.axes === undefined || attrs.axes === null ? [...Array(rank).keys()] : listAttr(op, attrs, "axes");
  return [...new Set(axes.map((a) => normalizeAxis(op, a, rank)))].sort((a, b) => a - b);
}

function reducedShape(shape: readonly number[], axes: number[], keepDims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepDims) out.push(1);
  });
  return out;
}

function reduce(name: string, doc: string, allowed: DType[] = NUMERIC): OpDef {
  return prim(name, "reduce", [1, 1], doc, (ins, attrs) => {
    requireDTypes(name, ins, allowed);
    const x = ins[0]!;
    const axes = reduceAxes(name, x.shape.length, attrs);
    if (name !== "reduceSum" && name !== "reduceProd" && axes.some((a) => x.shape[a] === 0)) {
      throw new ShapeError(`${name}: cannot reduce an empty dimension (input ${describe(ins)})`);
    }
    return [{ shape: reducedShape(x.shape, axes, boolAttr(attrs, "keepDims")), dtype: x.dtype }];
  });
}

function argReduce(name: string, doc: string): OpDef {
  return prim(name, "reduce", [1, 1], doc, (ins, attrs) => {
    requireDTypes(name, ins, NUMERIC);
    const x = ins[0]!;
    const axis = normalizeAxis(name, numAttr(name, attrs, "axis"), x.shape.length);
    if (x.shape[axis] === 0) throw new ShapeError(`${name}: cannot reduce an empty dimension (input ${describe(ins)})`);
    return [{ shape: reducedShape(x.shape, [axis], boolAttr(attrs, "keepDims")), dtype: "int32" }];
  });
}

function nullary(name: string, family: OpFamily, doc: string): OpDef {
  return prim(name, family, [0, 0], doc, (_ins, attrs) => {
    const shape = listAttr(name, attrs, "shape");
    const dtype = attrs.dtype ?? "float32";
    if (!isDType(dtype)) throw new DTypeError(`${name}: unknown dtype ${JSON.stringify(dtype)}`);
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new ShapeError(`${name}: invalid shape ${formatShape(shape)}`);
    return [{ shape, dtype }];
  });
}

export const PRIMITIVES: readonly OpDef[] = [
  // Elementwise unary. Inputs may be any strided view (stride 0 = broadcast).
  unary("neg", "-x", ["float32", "float16", "int32", "int8"]),
  unary("abs", "|x|"),
  unary("sign", "-1, 0 or 1 (NaN stays NaN)"),
  unary("exp", "e^x", FLOATS),
  unary("log", "natural log; log(0) = -Inf, log(x<0) = NaN", FLOATS),
  unary("sqrt", "square root", FLOATS),
  unary("rsqrt", "1/sqrt(x)", FLOATS),
  unary("reciprocal", "1/x", FLOATS),
  unary("sin", "sine", FLOATS),
  unary("cos", "cosine", FLOATS),
  unary("tanh", "hyperbolic tangent", FLOATS),
  unary("sigmoid", "1/(1+e^-x)", FLOATS),
  unary("relu", "max(x, 0)", NUMERIC),
  unary("erf", "Gauss error function", FLOATS),
  unary("floor", "round down", FLOATS),
  unary("ceil", "round up", FLOATS),
  unary("round", "round half to even", FLOATS),
  unary("isNaN", "x != x", FLOATS, "bool"),
  unary("logicalNot", "!x", ["bool"]),
  // Elementwise binary, NumPy broadcasting, one dtype in and out.
  binary("add", "binary", "a + b", NUMERIC),
  binary("sub", "binary", "a - b", NUMERIC),
  binary("mul", "binary", "a * b", NUMERIC),
  binary("div", "binary", "a / b (integers truncate toward zero; x/0 is an error-free 0 for integers)", NUMERIC),
  binary("pow", "binary", "a ^ b", NUMERIC),
  binary("maximum", "binary", "max(a, b), NaN-propagating", NUMERIC),
  binary("minimum", "binary", "min(a, b), NaN-propagating", NUMERIC),
  binary("mod", "binary", "a - floor(a/b)*b (sign of the divisor, Python/NumPy)", NUMERIC),
  binary("fmod", "binary", "a - trunc(a/b)*b (sign of the dividend, C fmod)", NUMERIC),
  binary("equal", "compare", "a == b", [...NUMERIC, "bool"], "bool"),
  binary("notEqual", "compare", "a != b", [...NUMERIC, "bool"], "bool"),
  binary("less", "compare", "a < b", NUMERIC, "bool"),
  binary("lessEqual", "compare", "a <= b", NUMERIC, "bool"),
  binary("greater", "compare", "a > b", NUMERIC, "bool"),
  binary("greaterEqual", "compare", "a >= b", NUMERIC, "bool"),
  binary("logicalAnd", "logical", "a && b", ["bool"]),
  binary("logicalOr", "logical", "a || b", ["bool"]),
  binary("logicalXor", "logical", "a != b", ["bool"]),
  prim("where", "select", [3, 3], "cond ? a : b, broadcasting all three", (ins) => {
    requireDTypes("where", [ins[0]!], ["bool"]);
    requireSameDType("where", [ins[1]!, ins[2]!]);
    return [{ shape: broadcastShapes("where", ins[0]!.shape, ins[1]!.shape, ins[2]!.shape), dtype: ins[1]!.dtype }];
  }),
  prim("cast", "cast", [1, 1], "convert to attrs.to; float→int truncates toward zero, saturating for int8/uint8; to bool is x != 0", (ins, attrs) => {
    const to = attrs.to;
    if (!isDType(to)) throw new DTypeError(`cast: unknown target dtype ${JSON.stringify(to)}`);
    return [{ shape: ins[0]!.shape, dtype: to }];
  }),
  prim("copy", "copy", [1, 1], "copies a strided view into the output view (which may itself be strided, e.g. a slice of a larger buffer)", (ins) => [
    { shape: ins[0]!.shape, dtype: ins[0]!.dtype },
  ]),
  nullary("fill", "fill", "every element = attrs.value; attrs.shape, attrs.dtype"),
  nullary("randomUniform", "random", "U[low, high) from the HAL's counter-based generator (random.ts) with attrs.seed"),
  nullary("randomNormal", "random", "N(mean, std) from the HAL's counter-based generator (random.ts) with attrs.seed"),
  // Reductions over attrs.axes (all when absent), attrs.keepDims.
  reduce("reduceSum", "sum; empty → 0"),
  reduce("reduceProd", "product; empty → 1"),
  reduce("reduceMax", "max, NaN-propagating"),
  reduce("reduceMin", "min, NaN-propagating"),
  argReduce("argMax", "index of the first max along attrs.axis (int32); attrs.selectLastIndex picks the last"),
  argReduce("argMin", "index of the first min along attrs.axis (int32); attrs.selectLastIndex picks the last"),
  prim(
    "matmul",
    "matmul",
    [2, 2],
    "a[...,M,K] @ b[...,K,N] with equal batch dims; attrs.transposeA/B read a or b transposed in the last two dims",
    (ins, attrs) => {
      const [a, b] = ins as [TensorMeta, TensorMeta];
      requireSameDType("matmul", ins);
      requireDTypes("matmul", ins, NUMERIC);
      if (a.shape.length < 2 || b.shape.length !== a.shape.length) throw new ShapeError(`matmul: expects two tensors of one rank >= 2, got ${describe(ins)}`);
      const r = a.shape.length;
      const ta = boolAttr(attrs, "transposeA");
      const tb = boolAttr(attrs, "transposeB");
      const m = a.shape[ta ? r - 1 : r - 2]!;
      const ka = a.shape[ta ? r - 2 : r - 1]!;
      const kb = b.shape[tb ? r - 1 : r - 2]!;
      const n = b.shape[tb ? r - 2 : r - 1]!;
      if (ka !== kb) throw new ShapeError(`matmul: inner dimensions differ (${ka} vs ${kb}) for ${describe(ins)}`);
      for (let i = 0; i < r - 2; i++) {
        if (a.shape[i] !== b.shape[i]) throw new ShapeError(`matmul: batch dimensions differ for ${describe(ins)}`);
      }
      return [{ shape: [...a.shape.slice(0, r - 2), m, n], dtype: a.dtype }];
    },
  ),
  prim(
    "gather",
    "index",
    [2, 2],
    "ONNX Gather / numpy.take: out = x.shape[:axis] + idx.shape + x.shape[axis+1:]; idx int32, in range [0, dim)",
    (ins, attrs) => {
      const [x, idx] = ins as [TensorMeta, TensorMeta];
      requireDTypes("gather", [idx], ["int32"]);
      const axis = normalizeAxis("gather", numAttr("gather", attrs, "axis", 0), x.shape.length);
      return [{ shape: [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)], dtype: x.dtype }];
    },
  ),
  prim("gatherElements", "index", [2, 2], "torch.gather: out[i][j] = x[idx[i][j]][j] (axis 0); out shape = idx shape", (ins, attrs) => {
    const [x, idx] = ins as [TensorMeta, TensorMeta];
    requireDTypes("gatherElements", [idx], ["int32"]);
    normalizeAxis("gatherElements", numAttr("gatherElements", attrs, "axis", 0), x.shape.length);
    if (idx.shape.length !== x.shape.length) throw new ShapeError(`gatherElements: index rank must equal input rank, got ${describe(ins)}`);
    return [{ shape: idx.shape, dtype: x.dtype }];
  }),
  prim("scatterAdd", "index", [3, 3], "torch.scatter_add: out = x; out[idx[i][j]][j] += src[i][j] (axis 0)", (ins, attrs) => {
    const [x, idx, src] = ins as [TensorMeta, TensorMeta, TensorMeta];
    requireDTypes("scatterAdd", [idx], ["int32"]);
    requireSameDType("scatterAdd", [x, src]);
    normalizeAxis("scatterAdd", numAttr("scatterAdd", attrs, "axis", 0), x.shape.length);
    if (idx.shape.length !== x.shape.length || sizeOf(idx.shape) > sizeOf(src.shape)) {
      throw new ShapeError(`scatterAdd: index must have the input's rank and fit in src, got ${describe(ins)}`);
    }
    return [{ shape: x.shape, dtype: x.dtype }];
  }),
];

/** Families whose inputs may be any strided view (stride 0 = broadcast); "fused" runs programs of the first six. */
export const ELEMENTWISE_FAMILIES: readonly OpFamily[] = ["unary", "binary", "compare", "logical", "select", "cast", "copy", "fill", "random", "fused"];

export { DTYPES, isFloat };
