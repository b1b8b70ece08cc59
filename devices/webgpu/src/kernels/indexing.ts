import { normalizeAxis, numAttr, sizeOf } from "@polychip/hal";
import { requireContiguous } from "../families/contiguous.ts";
import { checkIndexFits, checkIndices } from "../families/index-checks.ts";
import type { WebGpuKernel } from "../families/registration.ts";
import { ParamBlock } from "../runtime/params.ts";
import { scalarOf } from "../wgsl/dtypes.ts";
import { mapKernel } from "../wgsl/map-kernel.ts";

/**
 * ONNX Gather: out[outer, j, inner] = x[outer, idx[j], inner]. An index outside [0, dim) is recorded
 * as a fault by a check dispatch first (checkIndices), which the next read or sync throws as the CPU
 * device's ShapeError; the shader cannot stop, so it clamps that index and never reads out of bounds.
 */
const gather: WebGpuKernel = ({ inputs: [x, idx], outputs: [y], attrs }, device) => {
  requireContiguous("gather", [x, idx]);
  const axis = normalizeAxis("gather", numAttr("gather", attrs, "axis", 0), x!.shape.length);
  checkIndices(device, "gather", idx!, axis, x!.shape[axis]!);
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
};

/** torch.gather: out[c] = x[c with c[axis] = idx[c]]; an index out of range faults (see gather). */
const gatherElements: WebGpuKernel = ({ inputs: [x, idx], outputs: [y], attrs }, device) => {
  requireContiguous("gatherElements", [x, idx]);
  const rank = x!.shape.length;
  const axis = normalizeAxis("gatherElements", numAttr("gatherElements", attrs, "axis", 0), rank);
  checkIndexFits("gatherElements", idx!.shape, x!.shape, "input", axis, false);
  checkIndices(device, "gatherElements", idx!, axis, x!.shape[axis]!);
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
};

/**
 * torch.scatter_add, written as a gather so it needs no float atomics: each output element scans
 * the index entries along the axis that could target it and adds the matching src values in index
 * order, the order the CPU device adds them in (so float32 sums agree exactly). bool ORs. An index
 * out of range matches no element here; checkIndices records it as a fault (see gather).
 */
const scatterAdd: WebGpuKernel = ({ inputs: [x, idx, src], outputs: [y], attrs }, device) => {
  requireContiguous("scatterAdd", [x, idx, src]);
  const rank = x!.shape.length;
  const axis = normalizeAxis("scatterAdd", numAttr("scatterAdd", attrs, "axis", 0), rank);
  checkIndexFits("scatterAdd", idx!.shape, x!.shape, "input", axis, false);
  checkIndexFits("scatterAdd", idx!.shape, src!.shape, "src", axis, true);
  checkIndices(device, "scatterAdd", idx!, axis, x!.shape[axis]!);
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
};

export const indexing = { gather, gatherElements, scatterAdd };
