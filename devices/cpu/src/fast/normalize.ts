import { normalizeAxis, numAttr, shapesEqual, sizeOf } from "@polychip/hal";
import type { FastPath } from "../device.ts";
import type { CpuKernel, CpuRegistration } from "../kernels/registration.ts";
import type { CpuView } from "../views.ts";
import type { Struct } from "../wasm/struct.ts";
import { BATCH_NORM, LAYER_NORM, SOFTMAX } from "../wasm/kernels/normalize.ts";
import { targetChunks } from "./grid.ts";
import { LayoutMemo } from "../layout-memo.ts";
import { address, contiguous, fastKernel, float32Addresses } from "./support.ts";

function launch<F extends string>(
  path: FastPath,
  name: string,
  struct: Struct<F>,
  fields: Record<F, number>,
  lines: number,
  work: number,
  scratchBytes: number,
  extra: number[] = [],
): void {
  const chunks = targetChunks(path.threads, work, 1 << 14);
  const perChunk = Math.max(1, Math.ceil(lines / chunks));
  (fields as Record<string, number>).perChunk = perChunk;
  const rt = path.runtime;
  const geo = rt.tableFor(struct.bytes);
  struct.write(rt.i32, geo, fields);
  rt.run(path.pool, name, [geo, ...extra], Math.ceil(lines / perChunk), scratchBytes);
}

/** A parameter the WASM kernel reads directly: absent, or contiguous float32 of exactly `shape`. */
const plainParameter = (v: CpuView | undefined, shape: readonly number[]) => !v || (contiguous(v) && shapesEqual(v.shape, shape));

/** A softmax's axis length and the elements after it, by call and input layout (the axis attribute is read once). */
const softmaxRows = new LayoutMemo<{ readonly D: number; readonly inner: number }>();

/** What a layerNorm call derives from its attrs, layouts and thread count: its record (addresses left 0), epsilon and chunk count. */
interface LayerNormPlan {
  readonly threads: number;
  readonly lines: number;
  readonly record: Int32Array;
  readonly epsilon: number;
  readonly chunks: number;
}

const layerNormPlans = new LayoutMemo<LayerNormPlan | false>();
const [LAYER_NORM_X, LAYER_NORM_Y, LAYER_NORM_WEIGHT, LAYER_NORM_BIAS] = (["x", "y", "weight", "bias"] as const).map((f) => LAYER_NORM.slot(f));

/** The plan of a float32 contiguous layerNorm whose weight and bias (if any) have exactly the normalised shape, or false (each call still checks its buffers are in the WASM memory). */
function layerNormPlan({ inputs: [x, weight, bias], outputs: [y], attrs }: Parameters<CpuKernel>[0], threads: number): LayerNormPlan | false {
  if ([x, y, weight, bias].some((v) => v && v.dtype !== "float32") || !contiguous(x!) || !contiguous(y!)) return false;
  const shape = x!.shape;
  const axis = normalizeAxis("layerNorm", numAttr("layerNorm", attrs, "axis", -1), shape.length);
  const normShape = shape.slice(axis);
  if (!plainParameter(weight, normShape) || !plainParameter(bias, normShape)) return false;
  const D = sizeOf(normShape);
  const n = sizeOf(shape);
  const lines = D === 0 ? 0 : n / D;
  const perChunk = Math.max(1, Math.ceil(lines / targetChunks(threads, n * 4, 1 << 14)));
  const record = LAYER_NORM.record({ x: 0, y: 0, weight: 0, bias: 0, D, lines, perChunk });
  return { threads, lines: n === 0 ? 0 : lines, record, epsilon: numAttr("layerNorm", attrs, "epsilon", 1e-5), chunks: Math.ceil(lines / perChunk) };
}

/**
 * softmax, logSoftmax, layerNorm and batchNorm (float32, contiguous) in WASM, in float64 like the
 * reference. Parameters that need broadcasting (a layerNorm weight of fewer dims) stay on the reference.
 */
export function fastNormalize(ref: (op: string) => CpuKernel): CpuRegistration[] {
  const softmax = (op: string, log: boolean) =>
    fastKernel(op, ref(op), (call, path) => {
      const [x] = call.inputs;
      const [y] = call.outputs;
      const ptrs = float32Addresses([x, y]);
      if (!ptrs || !contiguous(x!) || !contiguous(y!)) return false;
      const shape = x!.shape;
      const n = sizeOf(shape);
      if (n === 0) return true;
      let rows = softmaxRows.get(call, call.inputs);
      if (!rows) {
        const axis = normalizeAxis(op, numAttr(op, call.attrs, "axis", -1), shape.length);
        rows = softmaxRows.set(call, { D: shape[axis] ?? 1, inner: sizeOf(shape.slice(axis + 1)) }, call.inputs);
      }
      const { D, inner } = rows;
      const [px, py] = ptrs as [number, number];
      launch(path, "softmax", SOFTMAX, { x: px, y: py, D, inner, lines: n / D, log: log ? 1 : 0, perChunk: 1 }, n / D, n * 8, D * 8);
      return true;
    });
  return [
    softmax("softmax", false),
    softmax("logSoftmax", true),
    fastKernel("layerNorm", ref("layerNorm"), (call, path) => {
      const { inputs, outputs } = call;
      const [x, weight, bias] = inputs;
      const y = outputs[0]!;
      // Per attrs and layouts, what the call derives from them (a small model launches this every run).
      let plan = layerNormPlans.get(call.attrs, inputs, outputs);
      if (plan === undefined || (plan !== false && plan.threads !== path.threads))
        plan = layerNormPlans.set(call.attrs, layerNormPlan(call, path.threads), inputs, outputs);
      if (plan === false) return false;
      const px = address(x!);
      const py = address(y);
      const pw = weight ? address(weight) : 0;
      const pb = bias ? address(bias) : 0;
      if (px === undefined || py === undefined || pw === undefined || pb === undefined) return false;
      if (plan.lines === 0) return true;
      const rt = path.runtime;
      const geo = rt.tableFor(LAYER_NORM.bytes);
      const at = geo / 4;
      const i32 = rt.i32;
      i32.set(plan.record, at);
      i32[at + LAYER_NORM_X] = px;
      i32[at + LAYER_NORM_Y] = py;
      i32[at + LAYER_NORM_WEIGHT] = pw;
      i32[at + LAYER_NORM_BIAS] = pb;
      rt.run(path.pool, "layerNorm", [geo, plan.epsilon], plan.chunks, 0);
      return true;
    }),
    fastKernel("batchNorm", ref("batchNorm"), ({ inputs, outputs: [y], attrs }, path) => {
      const [x, ...params] = inputs as [CpuView, ...CpuView[]];
      const ptrs = float32Addresses([x, y, ...params]);
      const C = x.shape[1] ?? 1;
      if (!ptrs || x.shape.length < 2 || ![x, y!, ...params].every(contiguous) || !params.every((p) => shapesEqual(p.shape, [C]))) return false;
      const n = sizeOf(x.shape);
      if (n === 0) return true;
      const inner = sizeOf(x.shape.slice(2));
      const [px, py, scale, bias, mean, variance] = ptrs as [number, number, number, number, number, number];
      const epsilon = numAttr("batchNorm", attrs, "epsilon", 1e-5);
      const fields = { x: px, y: py, scale, bias, mean, variance, C, inner, lines: n / inner, perChunk: 1 };
      launch(path, "batchNorm", BATCH_NORM, fields, n / inner, n * 2, 0, [epsilon]);
      return true;
    }),
  ];
}
