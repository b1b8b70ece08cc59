import { normalizeAxis, numAttr, shapesEqual, sizeOf } from "@polychip/hal";
import type { FastPath } from "../device.ts";
import type { CpuKernel, CpuRegistration } from "../kernels/registration.ts";
import type { CpuView } from "../views.ts";
import type { Struct } from "../wasm/struct.ts";
import { BATCH_NORM, LAYER_NORM, SOFTMAX } from "../wasm/kernels/normalize.ts";
import { targetChunks } from "./grid.ts";
import { LayoutMemo } from "../layout-memo.ts";
import { contiguous, fastKernel, float32Addresses } from "./support.ts";

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
    fastKernel("layerNorm", ref("layerNorm"), ({ inputs: [x, weight, bias], outputs: [y], attrs }, path) => {
      const ptrs = float32Addresses([x, y]);
      const params = float32Addresses([weight, bias]);
      if (!ptrs || !params || !contiguous(x!) || !contiguous(y!)) return false;
      const shape = x!.shape;
      const axis = normalizeAxis("layerNorm", numAttr("layerNorm", attrs, "axis", -1), shape.length);
      const normShape = shape.slice(axis);
      if (!plainParameter(weight, normShape) || !plainParameter(bias, normShape)) return false;
      const D = sizeOf(normShape);
      const n = sizeOf(shape);
      if (n === 0) return true;
      const [px, py] = ptrs as [number, number];
      const epsilon = numAttr("layerNorm", attrs, "epsilon", 1e-5);
      const fields = { x: px, y: py, weight: weight ? params[0]! : 0, bias: bias ? params[weight ? 1 : 0]! : 0, D, lines: n / D, perChunk: 1 };
      launch(path, "layerNorm", LAYER_NORM, fields, n / D, n * 4, 0, [epsilon]);
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
