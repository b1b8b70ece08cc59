import { requireContiguous } from "../families/contiguous.ts";
import { convGeometry, im2colWgsl } from "../families/conv.ts";
import { FLOATS, webgpuKernel } from "../families/registration.ts";
import { inputBinding, scatterOutputBinding } from "../wgsl/dtypes.ts";
import { tiledGemm } from "../wgsl/tiled-gemm.ts";

/**
 * conv2d as an implicit GEMM per group: y_g [OCg, N·OH·OW] = w_g [OCg, Cg·KH·KW] · im2col(x)_g,
 * with the unfolded input computed while loading tiles (never stored), and the bias added on store.
 */
export const conv2dKernel = webgpuKernel("conv2d", FLOATS, ({ inputs: [x, w, bias], outputs: [y], attrs }, device) => {
  requireContiguous("conv2d", [x, w, bias]);
  const g = convGeometry("conv2d", x!.shape, w!.shape, attrs);
  const P = g.OH * g.OW;
  const R = g.Cg * g.KH * g.KW;
  if (g.N * P * g.OC === 0) return;
  const hasBias = bias !== undefined;
  tiledGemm(device, {
    op: "conv2d",
    key: `conv2d:${x!.dtype}:${hasBias ? "bias" : "nobias"}`,
    scalar: "f32",
    M: g.OCg,
    N: g.N * P,
    batches: g.groups,
    reads: hasBias ? [x!.buffer, w!.buffer, bias.buffer] : [x!.buffer, w!.buffer],
    writes: [y!.buffer],
    args: { N: g.N, C: g.C, H: g.H, W: g.W, OC: g.OC, KH: g.KH, KW: g.KW, groups: g.groups },
    params: () =>
      g.params()
        .u32("M", g.OCg)
        .u32("N", g.N * P)
        .u32("K", R)
        .u32("x_off", x!.offset)
        .u32("w_off", w!.offset)
        .u32("b_off", bias?.offset ?? 0)
        .u32("out_off", y!.offset),
    bindings: [
      inputBinding(1, "x", x!.dtype),
      inputBinding(2, "w", w!.dtype),
      hasBias ? inputBinding(3, "bias", bias.dtype) : "",
      scatterOutputBinding(hasBias ? 4 : 3, "y", y!.dtype),
    ].join("\n"),
    functions: [
      im2colWgsl("f32"),
      "fn load_a(z: u32, m: u32, k: u32) -> f32 { return ld_w(prm_w_off() + (z * prm_cOCg() + m) * prm_K() + k); }",
      "fn load_b(z: u32, k: u32, n: u32) -> f32 { return im2col(z, k, n); }",
      "fn store(z: u32, m: u32, col: u32, v: f32) {",
      "  let P = prm_cOH() * prm_cOW();",
      "  let oc = z * prm_cOCg() + m;",
      `  st_y(prm_out_off() + ((col / P) * prm_cOC() + oc) * P + col % P, v${hasBias ? " + ld_bias(prm_b_off() + oc)" : ""});`,
      "}",
    ].join("\n"),
  });
});

