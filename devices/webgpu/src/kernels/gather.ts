import { normalizeAxis, numAttr, sizeOf } from "@polychip/hal";
import { requireContiguous } from "../families/contiguous.ts";
import { ALL, webgpuKernel } from "../families/registration.ts";
import { mapKernel } from "../wgsl/map-kernel.ts";
import { ParamBlock } from "../runtime/params.ts";

/**
 * ONNX Gather: out[outer, j, inner] = x[outer, idx[j], inner]. The GPU cannot throw, so an index
 * outside [0, dim) (which the CPU device rejects) is clamped into range rather than read out of bounds.
 */
export const gatherKernel = webgpuKernel("gather", ALL, ({ inputs: [x, idx], outputs: [y], attrs }, device) => {
  requireContiguous("gather", [x, idx]);
  const axis = normalizeAxis("gather", numAttr("gather", attrs, "axis", 0), x!.shape.length);
  const params = new ParamBlock()
    .u32("inner", sizeOf(x!.shape.slice(axis + 1)))
    .u32("nidx", sizeOf(idx!.shape))
    .u32("dim", x!.shape[axis]!)
    .u32("x_off", x!.offset)
    .u32("idx_off", idx!.offset);
  mapKernel(device, {
    op: "gather",
    key: "gather",
    inputs: [x!, idx!].map((v) => ({ buffer: v.buffer, dtype: v.dtype })),
    output: y!,
    params,
    body: [
      "  let inner = prm_inner(); let nidx = prm_nidx();",
      "  let i = e % inner; let t = e / inner; let j = t % nidx; let outer = t / nidx;",
      "  let k = u32(clamp(ld_in1(prm_idx_off() + j), 0i, i32(prm_dim()) - 1i));",
      "  return ld_in0(prm_x_off() + (outer * prm_dim() + k) * inner + i);",
    ].join("\n"),
  });
});
