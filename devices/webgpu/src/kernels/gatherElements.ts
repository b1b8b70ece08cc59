import { normalizeAxis, numAttr } from "@polychip/hal";
import { requireContiguous } from "../families/contiguous.ts";
import { ALL, webgpuKernel } from "../families/registration.ts";
import { mapKernel } from "../wgsl/map-kernel.ts";
import { ParamBlock } from "../runtime/params.ts";

/** torch.gather: out[c] = x[c with c[axis] = idx[c]]; out-of-range indices are clamped (see gather.ts). */
export const gatherElementsKernel = webgpuKernel("gatherElements", ALL, ({ inputs: [x, idx], outputs: [y], attrs }, device) => {
  requireContiguous("gatherElements", [x, idx]);
  const rank = x!.shape.length;
  const axis = normalizeAxis("gatherElements", numAttr("gatherElements", attrs, "axis", 0), rank);
  const params = new ParamBlock()
    .u32("ishape", idx!.shape)
    .u32("xst", x!.strides)
    .u32("axis", axis)
    .u32("dim", x!.shape[axis]!)
    .u32("x_off", x!.offset)
    .u32("idx_off", idx!.offset);
  mapKernel(device, {
    op: "gatherElements",
    key: `gatherElements:r${rank}`,
    inputs: [x!, idx!].map((v) => ({ buffer: v.buffer, dtype: v.dtype })),
    output: y!,
    params,
    body: [
      "  let k = u32(clamp(ld_in1(prm_idx_off() + e), 0i, i32(prm_dim()) - 1i));",
      "  var xi = prm_x_off();",
      "  var r = e;",
      `  for (var d: i32 = ${rank - 1}; d >= 0; d--) {`,
      "    let sz = prm_ishape(u32(d));",
      "    let c = select(r % sz, k, u32(d) == prm_axis());",
      "    r = r / sz;",
      "    xi += c * prm_xst(u32(d));",
      "  }",
      "  return ld_in0(xi);",
    ].join("\n"),
  });
});
