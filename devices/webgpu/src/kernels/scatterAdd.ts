import { normalizeAxis, numAttr } from "@polychip/hal";
import { requireContiguous } from "../families/contiguous.ts";
import { ALL, webgpuKernel } from "../families/registration.ts";
import { scalarOf } from "../wgsl/dtypes.ts";
import { mapKernel } from "../wgsl/map-kernel.ts";
import { ParamBlock } from "../runtime/params.ts";

/**
 * torch.scatter_add, written as a gather so it needs no float atomics: each output element scans
 * the index entries along the axis that could target it and adds the matching src values in index
 * order, the order the CPU device adds them in (so float32 sums agree exactly). bool ORs.
 */
export const scatterAddKernel = webgpuKernel("scatterAdd", ALL, ({ inputs: [x, idx, src], outputs: [y], attrs }, device) => {
  requireContiguous("scatterAdd", [x, idx, src]);
  const rank = x!.shape.length;
  const axis = normalizeAxis("scatterAdd", numAttr("scatterAdd", attrs, "axis", 0), rank);
  const s = scalarOf(x!.dtype);
  const params = new ParamBlock()
    .u32("xshape", x!.shape)
    .u32("ishape", idx!.shape)
    .u32("ist", idx!.strides)
    .u32("sst", src!.strides)
    .u32("axis", axis)
    .u32("x_off", x!.offset)
    .u32("idx_off", idx!.offset)
    .u32("src_off", src!.offset);
  const add = s === "bool" ? "acc = acc || ld_in2(si + j * prm_sst(prm_axis()));" : "acc = acc + ld_in2(si + j * prm_sst(prm_axis()));";
  mapKernel(device, {
    op: "scatterAdd",
    key: `scatterAdd:r${rank}`,
    inputs: [x!, idx!, src!].map((v) => ({ buffer: v.buffer, dtype: v.dtype })),
    output: y!,
    params,
    body: [
      "  var acc = ld_in0(prm_x_off() + e);",
      "  var ii = prm_idx_off(); var si = prm_src_off();",
      "  var tgt = 0u; var r = e;",
      `  for (var d: i32 = ${rank - 1}; d >= 0; d--) {`,
      "    let ud = u32(d);",
      "    let c = r % prm_xshape(ud); r = r / prm_xshape(ud);",
      "    if (ud == prm_axis()) { tgt = c; continue; }",
      "    if (c >= prm_ishape(ud)) { return acc; }",
      "    ii += c * prm_ist(ud); si += c * prm_sst(ud);",
      "  }",
      "  for (var j = 0u; j < prm_ishape(prm_axis()); j++) {",
      `    if (ld_in1(ii + j * prm_ist(prm_axis())) == i32(tgt)) { ${add} }`,
      "  }",
      "  return acc;",
    ].join("\n"),
  });
});
