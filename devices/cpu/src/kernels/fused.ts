import {
  BINARY_SCALAR,
  broadcastStrides,
  float32ToFloat16Bits,
  isContiguous,
  parseFusedProgram,
  sizeOf,
  UNARY_SCALAR,
  type Attrs,
  type TensorMeta,
} from "@polychip/hal";
import { halfDecodeTable, rawArray, scatterStrided, type CpuView, type RawArray } from "../views.ts";
import { CLOSURE_PARAMS, generateFusedSource, type FusedLayout } from "./fused-codegen.ts";
import { LayoutMemo } from "../layout-memo.ts";
import { cpuKernel, type CpuKernel, type CpuRegistration } from "./registration.ts";

type Compiled = (I: RawArray[], IO: number[], O: RawArray[], OO: number[], n: number, B: number[], S: number[][]) => void;

const MAX_CACHED = 256;
const compiled = new Map<string, Compiled>();

/**
 * roundToFloat16 with the decode done by the table: the same numbers, without the HAL decoder's
 * float arithmetic on every element (it was half the time of a float16 program).
 */
function roundThroughTable(value: number): number {
  return halfDecodeTable()[float32ToFloat16Bits(value)]!;
}

/** The generated function for (program, input dtypes, which inputs are single elements, layout), compiled once. */
function kernelFor(attrs: Attrs, inputs: readonly TensorMeta[], layout: FusedLayout, scalar: readonly boolean[]): Compiled {
  const key = `${attrs.program}|${String(attrs.outputs)}|${inputs.map((m, k) => `${m.dtype}${scalar[k] ? "*" : ""}`).join(",")}|${layout}`;
  let fn = compiled.get(key);
  if (!fn) {
    const source = fusedKernelSource(attrs, inputs, layout, scalar);
    const factory = new Function(...CLOSURE_PARAMS, source) as (...closures: unknown[]) => Compiled;
    fn = factory(UNARY_SCALAR, BINARY_SCALAR, halfDecodeTable(), roundThroughTable, float32ToFloat16Bits);
    if (compiled.size >= MAX_CACHED) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, fn);
  }
  return fn;
}

/**
 * The JavaScript the cpu device generates for a `fused` node (what `polychip compile --report`
 * prints): `attrs` as the node carries them, `inputs` the metas of its inputs. `layout` "flat" is
 * the loop for inputs contiguous with the output (or single elements: `scalar[k]`), "strided" the
 * one for any views. The body is `(I, IO, O, OO, n, B, S) => void` over the closures U, BS, H, R, F.
 */
export function fusedKernelSource(attrs: Attrs, inputs: readonly TensorMeta[], layout: FusedLayout = "flat", scalar?: readonly boolean[]): string {
  const program = parseFusedProgram(attrs, inputs.length);
  return generateFusedSource(program, inputs, layout, scalar ?? inputs.map((m) => sizeOf(m.shape) === 1));
}

/**
 * Merges neighbouring output dims that every input steps through as one (and drops size-1 dims),
 * so the inner loop runs as long as the layout allows and the odometer turns rarely.
 */
function collapse(shape: readonly number[], strides: number[][]): { shape: number[]; strides: number[][] } {
  const dims = shape.map((_, d) => d).filter((d) => shape[d] !== 1);
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (const d of dims) {
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k]![last] === s[d]! * shape[d]!)) {
      outShape[last]! *= shape[d]!;
      strides.forEach((s, k) => {
        outStrides[k]![last] = s[d]!;
      });
    } else {
      outShape.push(shape[d]!);
      strides.forEach((s, k) => outStrides[k]!.push(s[d]!));
    }
  }
  if (outShape.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: outShape, strides: outStrides };
}

/** A call's generated function and loop geometry for one set of layouts. */
interface FusedRun {
  readonly program: unknown;
  readonly outputs: unknown;
  readonly run: Compiled;
  readonly geometry: { readonly shape: number[]; readonly strides: number[][] };
}

/** Runs by attrs object and layouts: a planned session passes the same attrs on every run. */
const runs = new LayoutMemo<FusedRun>();

function prepareRun(attrs: Attrs, views: readonly CpuView[], shape: readonly number[], n: number): FusedRun {
  const scalar = views.map((v) => sizeOf(v.shape) === 1);
  const strides = views.map((v) => broadcastStrides(v.shape, v.strides, shape));
  const flat = views.every((_, k) => scalar[k] || isContiguous(shape, strides[k]!));
  const layout: FusedLayout = flat ? "flat" : "strided";
  const run = kernelFor(attrs, views, layout, scalar);
  const geometry = flat ? { shape: [n], strides: [] } : collapse(shape, strides);
  return { program: attrs.program, outputs: attrs.outputs, run, geometry };
}

const fusedKernel: CpuKernel = ({ inputs, outputs, attrs }) => {
  const shape = outputs[0]!.shape;
  const n = sizeOf(shape);
  if (n === 0) return;
  const views = inputs as readonly CpuView[];
  let kept = runs.get(attrs, views, outputs);
  if (!kept || kept.program !== attrs.program || kept.outputs !== attrs.outputs) kept = runs.set(attrs, prepareRun(attrs, views, shape, n), views, outputs);
  const { run, geometry } = kept;
  const targets = (outputs as readonly CpuView[]).map((y) =>
    isContiguous(y.shape, y.strides) ? { raw: rawArray(y.buffer, y.dtype), offset: y.offset } : { raw: scratch(y, n), offset: 0 },
  );
  run(
    views.map((v) => rawArray(v.buffer, v.dtype)),
    views.map((v) => v.offset),
    targets.map((t) => t.raw),
    targets.map((t) => t.offset),
    n,
    geometry.shape,
    geometry.strides,
  );
  (outputs as readonly CpuView[]).forEach((y, m) => {
    const t = targets[m]!;
    if (t.raw !== rawArray(y.buffer, y.dtype)) scatterStrided(t.raw, 0, rawArray(y.buffer, y.dtype), y.offset, y.shape, y.strides);
  });
};

/** Storage for an output the HAL would not normally hand a kernel (a strided one), written back after the loop. */
function scratch(y: CpuView, n: number): RawArray {
  const whole = rawArray(y.buffer, y.dtype);
  return new (whole.constructor as new (n: number) => RawArray)(n);
}

export const fusedKernels: CpuRegistration[] = [cpuKernel("fused", fusedKernel)];
