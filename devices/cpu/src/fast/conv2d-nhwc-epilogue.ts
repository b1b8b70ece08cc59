import { conv2dGeometry, isContiguous, parseEpilogue, type Attrs } from "@polychip/hal";
import type { FastPath } from "../device.ts";
import type { CpuKernel } from "../kernels/registration.ts";
import type { CpuView } from "../views.ts";
import { runMatmulEpilogue } from "./matmul-epilogue.ts";

/** The matmulEpilogue attributes standing for each conv2dNhwcEpilogue's (kept, so the matmul's layout memo hits). */
const asMatmul = new WeakMap<Attrs, Attrs>();

/**
 * conv2dNhwcEpilogue (float32) for a 1x1 conv without its own bias: the GEMM [N·H·W, C] x w[OC, C]ᵀ
 * with the program in its micro-kernel (matmulEpilogue's in-loop path). Extra inputs must flatten
 * to the GEMM's rows and columns: a scalar, a per-channel [.., OC] vector, or a whole contiguous
 * [N, H, W, OC] value (a residual). Returns false, having written nothing, for anything else.
 */
export function runConvNhwcEpilogue(call: Parameters<CpuKernel>[0], path: FastPath): boolean {
  const { inputs, outputs, attrs } = call;
  const e = parseEpilogue("conv2dNhwcEpilogue", attrs, inputs.length);
  const [x, w] = inputs as CpuView[];
  if (e.baseInputs !== 2 || !isContiguous(x!.shape, x!.strides) || !isContiguous(w!.shape, w!.strides)) return false;
  const [n, h, width, c] = x!.shape as [number, number, number, number];
  const g = conv2dGeometry("conv2dNhwcEpilogue", [n, c, h, width], w!.shape, e.baseAttrs);
  const { sh, sw, pt, pl, pb, pr } = g.win;
  if (g.KH !== 1 || g.KW !== 1 || sh !== 1 || sw !== 1 || pt + pl + pb + pr !== 0 || g.groups !== 1) return false;
  const rows = n * h * width;
  const full = [n, h, width, g.OC];
  const extras = (inputs.slice(2) as CpuView[]).map((v) => asRowsAndColumns(v, full, rows));
  if (extras.some((v) => v === undefined)) return false;
  if (outputs.some((y) => !isContiguous(y.shape, y.strides))) return false;
  const flat = (v: CpuView, cols: number): CpuView => ({ ...v, shape: [v.shape.length === 4 ? rows : 1, cols], strides: [cols, 1] });
  let matmulAttrs = asMatmul.get(attrs);
  if (!matmulAttrs) asMatmul.set(attrs, (matmulAttrs = { program: attrs.program!, outputs: attrs.outputs!, baseInputs: 2, transposeB: true }));
  return runMatmulEpilogue(
    {
      ...call,
      op: "matmulEpilogue",
      inputs: [flat(x!, c), { ...w!, shape: [g.OC, c], strides: [c, 1] }, ...(extras as CpuView[])],
      outputs: (outputs as CpuView[]).map((y) => flat(y, g.OC)),
      attrs: matmulAttrs,
    },
    path,
  );
}

/** `v` (broadcast to the conv's [N, H, W, OC]) as an operand of the [N·H·W, OC] product, or undefined. */
function asRowsAndColumns(v: CpuView, full: readonly number[], rows: number): CpuView | undefined {
  const aligned = [...new Array(Math.max(0, 4 - v.shape.length)).fill(1), ...v.shape];
  if (aligned.length !== 4) return undefined;
  if (aligned.every((d) => d === 1)) return { ...v, shape: [1], strides: [1] };
  if (aligned.slice(0, 3).every((d) => d === 1) && aligned[3] === full[3]) return { ...v, shape: [full[3]!], strides: [v.strides.at(-1)!] };
  if (aligned.every((d, i) => d === full[i]) && isContiguous(v.shape, v.strides)) return { ...v, shape: [rows, full[3]!], strides: [full[3]!, 1] };
  return undefined;
}
