import type { Attrs } from "../device.ts";
import type { DType } from "../dtype.ts";
import type { Shape } from "../shape.ts";

export interface TensorMeta {
  readonly shape: Shape;
  readonly dtype: DType;
}

export type OpFamily =
  | "unary"
  | "binary"
  | "compare"
  | "logical"
  | "select"
  | "cast"
  | "copy"
  | "fill"
  | "random"
  | "reduce"
  | "matmul"
  | "index"
  | "nn"
  | "fused";

/**
 * How a composite op is expressed in primitives. `V` is whatever the caller uses for values
 * (engine tensors, graph values). Every call goes through `call`, so the caller decides where
 * each primitive runs.
 */
export interface DecompositionContext<V> {
  meta(v: V): TensorMeta;
  /** Runs one op (primitive, or another composite) with one output. */
  call(op: string, inputs: readonly V[], attrs?: Attrs): V;
  /** A new tensor holding host values. */
  constant(values: ArrayLike<number>, shape: Shape, dtype: DType): V;
  /** `v` with another shape: a view when `v` is contiguous, else a contiguous copy first. */
  reshape(v: V, shape: Shape): V;
  /** A strided view (no copy) of a value returned by call/constant/reshape (always contiguous): broadcast (stride 0), transpose, slice. */
  view(v: V, shape: Shape, strides: readonly number[], offset: number): V;
  /** Copies `src` into the strided region of contiguous `dst` (in place). */
  copyInto(dst: V, region: { shape: Shape; strides: readonly number[]; offset: number }, src: V): void;
}

export type Decomposition = <V>(ctx: DecompositionContext<V>, inputs: readonly V[], attrs: Attrs) => V[];

export interface OpDef {
  readonly name: string;
  readonly kind: "primitive" | "composite";
  readonly family: OpFamily;
  /** Minimum and maximum number of inputs. */
  readonly inputs: readonly [number, number];
  readonly doc: string;
  /** Output shapes and dtypes; throws ShapeError/DTypeError naming the op. */
  infer(inputs: readonly TensorMeta[], attrs: Attrs): TensorMeta[];
  /** Composites only: the reference decomposition into primitives. */
  readonly decompose?: Decomposition;
}
