import { broadcastStrides, contiguousStrides, normalizeAxis, sizeOf, viewElementOffsets, type Attrs, type DType, type TensorMeta } from "@polychip/hal";

/** A value whose shape (and, when small, contents) is known before anything runs. */
export interface KnownValue {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly values?: readonly number[];
}

/** Largest tensor whose contents shape inference tracks (shape arithmetic never needs more). */
export const KNOWN_VALUE_LIMIT = 4096;

function round(dtype: DType, v: number): number {
  switch (dtype) {
    case "float32":
    case "float16":
      return Math.fround(v);
    case "int32":
      return v | 0;
    case "int8":
      return Math.max(-128, Math.min(127, Math.trunc(v)));
    case "uint8":
      return Math.max(0, Math.min(255, Math.trunc(v)));
    case "bool":
      return v ? 1 : 0;
  }
}

function broadcastRead(x: KnownValue, out: readonly number[]): number[] {
  const change = { shape: out, strides: broadcastStrides(x.shape, contiguousStrides(x.shape), out), offset: 0 };
  return viewElementOffsets(change).map((o) => x.values![o]!);
}

const BINARY: Record<string, (a: number, b: number, int: boolean) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b, int) => (int ? (b === 0 ? 0 : Math.trunc(a / b)) : a / b),
  maximum: (a, b) => Math.max(a, b),
  minimum: (a, b) => Math.min(a, b),
  equal: (a, b) => (a === b ? 1 : 0),
  notEqual: (a, b) => (a !== b ? 1 : 0),
  less: (a, b) => (a < b ? 1 : 0),
  greater: (a, b) => (a > b ? 1 : 0),
  lessEqual: (a, b) => (a <= b ? 1 : 0),
  greaterEqual: (a, b) => (a >= b ? 1 : 0),
};

/**
 * Host evaluation of the few HAL ops that shape computations use (ONNX graphs compute reshape
 * targets with Shape → Gather → Concat ...). Returns undefined for anything else: shape inference
 * then knows the value's shape but not its contents.
 */
export function evaluateOnHost(op: string, inputs: readonly KnownValue[], attrs: Attrs, out: TensorMeta): number[] | undefined {
  if (inputs.length === 0 || inputs.some((i) => !i.values) || sizeOf(out.shape) > KNOWN_VALUE_LIMIT) return undefined;
  const int = out.dtype !== "float32" && out.dtype !== "float16";
  const binary = BINARY[op];
  if (binary) {
    const [a, b] = inputs.map((x) => broadcastRead(x, out.shape)) as [number[], number[]];
    const operandInt = inputs[0]!.dtype !== "float32" && inputs[0]!.dtype !== "float16";
    return a.map((v, i) => round(out.dtype, binary(v, b[i]!, operandInt)));
  }
  const x = inputs[0]!;
  switch (op) {
    case "neg":
      return x.values!.map((v) => round(out.dtype, -v));
    case "abs":
      return x.values!.map((v) => round(out.dtype, Math.abs(v)));
    case "cast":
      return x.values!.map((v) => round(out.dtype, int && out.dtype !== "bool" ? Math.trunc(v) : v));
    case "where": {
      const [c, a, b] = inputs.map((v) => broadcastRead(v, out.shape)) as [number[], number[], number[]];
      return c.map((cond, i) => (cond ? a[i]! : b[i]!));
    }
    case "concat":
      return concatValues(inputs, normalizeAxis("concat", Number(attrs.axis ?? 0), x.shape.length));
    case "gather":
      return gatherValues(x, inputs[1]!, normalizeAxis("gather", Number(attrs.axis ?? 0), x.shape.length));
    case "reduceProd":
    case "reduceSum":
      if (attrs.axes !== undefined && attrs.axes !== null && !(x.shape.length === 1 && Array.isArray(attrs.axes) && attrs.axes.length === 1)) return undefined;
      return [
        round(
          out.dtype,
          x.values!.reduce((acc, v) => (op === "reduceProd" ? acc * v : acc + v), op === "reduceProd" ? 1 : 0),
        ),
      ];
    default:
      return undefined;
  }
}

function concatValues(inputs: readonly KnownValue[], axis: number): number[] {
  const outer = sizeOf(inputs[0]!.shape.slice(0, axis));
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const x of inputs) {
      const inner = sizeOf(x.shape.slice(axis));
      out.push(...x.values!.slice(o * inner, (o + 1) * inner));
    }
  }
  return out;
}

function gatherValues(x: KnownValue, index: KnownValue, axis: number): number[] | undefined {
  const dim = x.shape[axis]!;
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const raw of index.values!) {
      const i = raw < 0 ? raw + dim : raw;
      if (i < 0 || i >= dim) return undefined; // left to the kernel, which reports it with the op's error
      out.push(...x.values!.slice((o * dim + i) * inner, (o * dim + i + 1) * inner));
    }
  }
  return out;
}
