import { requireContiguous } from "../families/contiguous.ts";
import { checkGradOut, convGeometry, shapeAttr } from "../families/conv.ts";
import { FLOATS, webgpuKernel } from "../families/registration.ts";
import { inputBinding, scatterOutputBinding } from "../wgsl/dtypes.ts";
import { tiledGemm } from "../wgsl/tiled-gemm.ts";

/**
 * Gradient of conv2d w.r.t. x as a GEMM per group over input pixels, so no two invocations add
 * into one element: dx_g [Cg, N·H·W] = w_gᵀ [Cg, OCg·KH·KW] · B, where B((oc, ki, kj), (n, ih, iw))
 * is the gradOut tap that pixel (ih, iw) fed through kernel tap (ki, kj), or 0 when none did.
 */
export const conv2dGradInputKernel = webgpuKernel("conv2dGradInput", FLOATS, ({ inputs: [gradOut, w], outputs: [y], attrs }, device) => {
  requireContiguous("conv2dGradInput", [gradOut, w]);
  const g = convGeometry("conv2dGradInput", shapeAttr("conv2dGradInput", attrs, "inputShape"), w!.shape, attrs);
  checkGradOut("conv2dGradInput", g, gradOut!.shape);
  const HW = g.H * g.W;
  if (g.N * g.C * HW === 0) return;
  tiledGemm(device, {
    op: "conv2dGradInput",
    key: `conv2dGradInput:${w!.dtype}`,
    scalar: "f32",
    M: g.Cg,
    N: g.N * HW,
    batches: g.groups,
    reads: [gradOut!.buffer, w!.buffer],
    writes: [y!.buffer],
    args: { N: g.N, C: g.C, H: g.H, W: g.W, OC: g.OC, KH: g.KH, KW: g.KW, groups: g.groups },
    params: () =>
      g.params()
        .u32("M", g.Cg)
        .u32("N", g.N * HW)
        .u32("K", g.OCg * g.KH * g.KW)
        .u32("g_off", gradOut!.offset)
        .u32("w_off", w!.offset)
        .u32("out_off", y!.offset),
    bindings: [inputBinding(1, "gy", gradOut!.dtype), inputBinding(2, "w", w!.dtype), scatterOutputBinding(3, "y", y!.dtype)].join("\n"),
    functions: [
      "fn load_a(z: u32, c: u32, k: u32) -> f32 {",
      "  let kk = prm_cKH() * prm_cKW();",
      "  return ld_w(prm_w_off() + ((z * prm_cOCg() + k / kk) * prm_cCg() + c) * kk + k % kk);",
      "}",
      "fn load_b(z: u32, k: u32, col: u32) -> f32 {",
      "  let kk = prm_cKH() * prm_cKW();",
      "  let oc = k / kk; let ki = i32((k % kk) / prm_cKW()); let kj = i32(k % prm_cKW());",
      "  let hw = prm_cH() * prm_cW();",
      "  let n = col / hw; let q = col % hw;",
      "  let th = i32(q / prm_cW()) + prm_pt() - ki * prm_dh();",
      "  let tw = i32(q % prm_cW()) + prm_pl() - kj * prm_dw();",
      "  if (th < 0 || tw < 0 || th % prm_sh() != 0 || tw % prm_sw() != 0) { return 0.0f; }",
      "  let oh = u32(th / prm_sh()); let ow = u32(tw / prm_sw());",
      "  if (oh >= prm_cOH() || ow >= prm_cOW()) { return 0.0f; }",
      "  return ld_gy(prm_g_off() + ((n * prm_cOC() + z * prm_cOCg() + oc) * prm_cOH() + oh) * prm_cOW() + ow);",
      "}",
      "fn store(z: u32, c: u32, col: u32, v: f32) {",
      "  let hw = prm_cH() * prm_cW();",
      "  st_y(prm_out_off() + ((col / hw) * prm_cC() + z * prm_cCg() + c) * hw + col % hw, v);",
      "}",
    ].join("\n"),
  });
});
