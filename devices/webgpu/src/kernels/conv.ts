import { requireContiguous } from "../families/contiguous.ts";
import { bakesConvGeometry, checkGradOut, convGeometry, im2colWgsl, shapeAttr } from "../families/conv.ts";
import type { KernelCall } from "@polychip/hal";
import type { EpilogueOf } from "../families/epilogue-store.ts";
import type { WebGpuKernel } from "../families/registration.ts";
import type { WebGpuBuffer } from "../runtime/buffer.ts";
import type { Dispatcher } from "../runtime/dispatch.ts";
import { inputBinding, scatterOutputBinding } from "../wgsl/dtypes.ts";
import { tiledGemm } from "../wgsl/tiled-gemm.ts";

/**
 * conv2d as an implicit GEMM per group: y_g [OCg, N·OH·OW] = w_g [OCg, Cg·KH·KW] · im2col(x)_g,
 * with the unfolded input computed while loading tiles (never stored), and the bias added on store.
 * With an epilogue, the store runs its program instead (conv2dEpilogue: still one dispatch).
 */
export function conv2dThrough({ inputs: [x, w, bias], outputs: [y], attrs }: KernelCall<WebGpuBuffer>, device: Dispatcher, epilogue?: EpilogueOf): void {
  requireContiguous("conv2d", [x, w, bias]);
  const g = convGeometry("conv2d", x!.shape, w!.shape, attrs, bakesConvGeometry(device));
  const P = g.OH * g.OW;
  const R = g.Cg * g.KH * g.KW;
  if (g.N * P * g.OC === 0) return;
  const hasBias = bias !== undefined;
  const reads = hasBias ? [x!, w!, bias] : [x!, w!];
  const epi = epilogue?.(reads.length + 1);
  tiledGemm(device, {
    op: epi ? "conv2dEpilogue" : "conv2d",
    key: `conv2d:${x!.dtype}:${hasBias ? "bias" : "nobias"}${epi ? `:${epi.key}` : ""}`,
    scalar: "f32",
    M: g.OCg,
    N: g.N * P,
    batches: g.groups,
    reads: [...reads, ...(epi?.reads ?? [])].map((v) => v.buffer),
    writes: (epi?.writes ?? [y!]).map((v) => v.buffer),
    args: { N: g.N, C: g.C, H: g.H, W: g.W, OC: g.OC, KH: g.KH, KW: g.KW, groups: g.groups },
    params: () => {
      const block = g
        .params()
        .u32("M", g.OCg)
        .u32("N", g.N * P)
        .u32("K", R)
        .u32("x_off", x!.offset)
        .u32("w_off", w!.offset)
        .u32("b_off", bias?.offset ?? 0);
      return epi ? epi.params(block) : block.u32("out_off", y!.offset);
    },
    bindings: [
      inputBinding(1, "x", x!.dtype),
      inputBinding(2, "w", w!.dtype),
      hasBias ? inputBinding(3, "bias", bias.dtype) : "",
      epi ? epi.bindings : scatterOutputBinding(reads.length + 1, "y", y!.dtype),
    ].join("\n"),
    functions: [
      im2colWgsl("f32"),
      epi?.functions ?? "",
      "fn load_a(z: u32, m: u32, k: u32) -> f32 { return ld_w(prm_w_off() + (z * prm_cOCg() + m) * prm_K() + k); }",
      "fn load_b(z: u32, k: u32, n: u32) -> f32 { return im2col(z, k, n); }",
      "fn store(z: u32, m: u32, col: u32, v: f32) {",
      "  let P = prm_cOH() * prm_cOW();",
      "  let oc = z * prm_cOCg() + m;",
      "  let e = ((col / P) * prm_cOC() + oc) * P + col % P;",
      `  let value = v${hasBias ? " + ld_bias(prm_b_off() + oc)" : ""};`,
      epi ? "  epilogue_store(e, value);" : "  st_y(prm_out_off() + e, value);",
      "}",
    ].join("\n"),
  });
}

const conv2d: WebGpuKernel = (call, device) => conv2dThrough(call, device);

/**
 * Gradient of conv2d w.r.t. x as a GEMM per group over input pixels, so no two invocations add
 * into one element: dx_g [Cg, N·H·W] = w_gᵀ [Cg, OCg·KH·KW] · B, where B((oc, ki, kj), (n, ih, iw))
 * is the gradOut tap that pixel (ih, iw) fed through kernel tap (ki, kj), or 0 when none did.
 */
export function conv2dGradInputThrough(
  { inputs: [gradOut, w], outputs: [y], attrs }: KernelCall<WebGpuBuffer>,
  device: Dispatcher,
  epilogue?: EpilogueOf,
): void {
  requireContiguous("conv2dGradInput", [gradOut, w]);
  const g = convGeometry("conv2dGradInput", shapeAttr("conv2dGradInput", attrs, "inputShape"), w!.shape, attrs, bakesConvGeometry(device));
  checkGradOut("conv2dGradInput", g, gradOut!.shape);
  const HW = g.H * g.W;
  if (g.N * g.C * HW === 0) return;
  const epi = epilogue?.(3);
  tiledGemm(device, {
    op: epi ? "conv2dGradInputEpilogue" : "conv2dGradInput",
    key: `conv2dGradInput:${w!.dtype}${epi ? `:${epi.key}` : ""}`,
    scalar: "f32",
    M: g.Cg,
    N: g.N * HW,
    batches: g.groups,
    reads: [gradOut!, w!, ...(epi?.reads ?? [])].map((v) => v.buffer),
    writes: (epi?.writes ?? [y!]).map((v) => v.buffer),
    args: { N: g.N, C: g.C, H: g.H, W: g.W, OC: g.OC, KH: g.KH, KW: g.KW, groups: g.groups },
    params: () => {
      const block = g
        .params()
        .u32("M", g.Cg)
        .u32("N", g.N * HW)
        .u32("K", g.OCg * g.KH * g.KW)
        .u32("g_off", gradOut!.offset)
        .u32("w_off", w!.offset);
      return epi ? epi.params(block) : block.u32("out_off", y!.offset);
    },
    bindings: [inputBinding(1, "gy", gradOut!.dtype), inputBinding(2, "w", w!.dtype), epi ? epi.bindings : scatterOutputBinding(3, "y", y!.dtype)].join("\n"),
    functions: [
      epi?.functions ?? "",
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
      "  let e = ((col / hw) * prm_cC() + z * prm_cCg() + c) * hw + col % hw;",
      epi ? "  epilogue_store(e, v);" : "  st_y(prm_out_off() + e, v);",
      "}",
    ].join("\n"),
  });
}

const conv2dGradInput: WebGpuKernel = (call, device) => conv2dGradInputThrough(call, device);

/** Gradient of conv2d w.r.t. w as a GEMM per group: dw_g [OCg, Cg·KH·KW] = gradOut_g [OCg, N·OH·OW] · im2col(x)_gᵀ. */
const conv2dGradWeight: WebGpuKernel = ({ inputs: [x, gradOut], outputs: [y], attrs }, device) => {
  requireContiguous("conv2dGradWeight", [x, gradOut]);
  const g = convGeometry("conv2dGradWeight", x!.shape, shapeAttr("conv2dGradWeight", attrs, "weightShape"), attrs, bakesConvGeometry(device));
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
      g
        .params()
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
};

export const conv = { conv2d, conv2dGradInput, conv2dGradWeight };
