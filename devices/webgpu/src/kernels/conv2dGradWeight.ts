import { requireContiguous } from "../families/contiguous.ts";
import { checkGradOut, convGeometry, im2colWgsl, shapeAttr } from "../families/conv.ts";
import { FLOATS, webgpuKernel } from "../families/registration.ts";
import { inputBinding, scatterOutputBinding } from "../wgsl/dtypes.ts";
import { tiledGemm } from "../wgsl/tiled-gemm.ts";

/** Gradient of conv2d w.r.t. w as a GEMM per group: dw_g [OCg, Cg·KH·KW] = gradOut_g [OCg, N·OH·OW] · im2col(x)_gᵀ. */
export const conv2dGradWeightKernel = webgpuKernel("conv2dGradWeight", FLOATS, ({ inputs: [x, gradOut], outputs: [y], attrs }, device) => {
  requireContiguous("conv2dGradWeight", [x, gradOut]);
  const g = convGeometry("conv2dGradWeight", x!.shape, shapeAttr("conv2dGradWeight", attrs, "weightShape"), attrs);
  checkGradOut("conv2dGradWeight", g, gradOut!.shape);
  const R = g.Cg * g.KH * g.KW;
  const P = g.OH * g.OW;
  if (g.OC * R === 0) return;
  tiledGemm(device, {
    op: "conv2dGradWeight",
    key: `conv2dGradWeight:${x!.dtype}`,
    scalar: "f32",
    M: g.OCg,
    N: R,
    batches: g.groups,
    bFast: "k", // consecutive k are consecutive output pixels, so neighbouring input pixels
    reads: [x!.buffer, gradOut!.buffer],
    writes: [y!.buffer],
    args: { N: g.N, C: g.C, H: g.H, W: g.W, OC: g.OC, KH: g.KH, KW: g.KW, groups: g.groups },
    params: () =>
      g.params()
        .u32("M", g.OCg)
        .u32("N", R)
        .u32("K", g.N * P)
        .u32("x_off", x!.offset)
        .u32("g_off", gradOut!.offset)
        .u32("out_off", y!.offset),
    bindings: [inputBinding(1, "x", x!.dtype), inputBinding(2, "gy", gradOut!.dtype), scatterOutputBinding(3, "y", y!.dtype)].join("\n"),
    functions: [
      im2colWgsl("f32"),
      "fn load_a(z: u32, m: u32, k: u32) -> f32 {",
      "  let P = prm_cOH() * prm_cOW();",
      "  return ld_gy(prm_g_off() + ((k / P) * prm_cOC() + z * prm_cOCg() + m) * P + k % P);",
      "}",
      "fn load_b(z: u32, k: u32, r: u32) -> f32 { return im2col(z, r, k); }",
      "fn store(z: u32, m: u32, r: u32, v: f32) { st_y(prm_out_off() + (z * prm_cOCg() + m) * prm_N() + r, v); }",
    ].join("\n"),
  });
});
