import { boolAttr, formatShape, listAttr, ShapeError, window2d, type Attrs, type Shape } from "@polychip/hal";
import { ParamBlock } from "../runtime/params.ts";

/** Pooling geometry as parameters: planes of H x W (N·C of them), the window and the output size. */
export function poolParams(op: string, xShape: Shape, attrs: Attrs): { params: ParamBlock; OH: number; OW: number } {
  if (xShape.length !== 4) throw new ShapeError(`${op}: input must be 4-D (NCHW), got ${formatShape(xShape)}`);
  const [, , H, W] = xShape as [number, number, number, number];
  const [kh, kw] = listAttr(op, attrs, "kernel") as [number, number];
  const win = window2d(op, H, W, kh, kw, attrs);
  const params = new ParamBlock()
    .i32("H", H)
    .i32("W", W)
    .i32("OH", win.oh)
    .i32("OW", win.ow)
    .i32("KH", kh)
    .i32("KW", kw)
    .i32("sh", win.sh)
    .i32("sw", win.sw)
    .i32("dh", win.dh)
    .i32("dw", win.dw)
    .i32("pt", win.pt)
    .i32("pl", win.pl)
    .i32("pb", win.pb)
    .i32("pr", win.pr)
    .u32("include_pad", boolAttr(attrs, "countIncludePad") ? 1 : 0);
  return { params, OH: win.oh, OW: win.ow };
}

export function checkPoolGradOut(op: string, xShape: Shape, OH: number, OW: number, shape: Shape): void {
  const expected = [xShape[0]!, xShape[1]!, OH, OW];
  if (shape.length !== 4 || shape.some((d, i) => d !== expected[i])) {
    throw new ShapeError(`${op}: gradOut must be ${formatShape(expected)}, got ${formatShape(shape)}`);
  }
}

/**
 * WGSL helpers of the pooling kernels. `window_count(oh, ow)`: the avgPool2d divisor, taps inside
 * the input, or inside the padded input for countIncludePad (PyTorch/ONNX). `window_of(...)`: the
 * window along one axis that holds an input position through a given tap, or -1.
 */
export const WINDOW_WGSL = `fn taps_within(start: i32, k: i32, d: i32, lo: i32, hi: i32) -> i32 {
  var n = 0;
  for (var i = 0; i < k; i++) { let p = start + i * d; if (p >= lo && p < hi) { n++; } }
  return n;
}
fn window_count(oh: i32, ow: i32) -> i32 {
  let h0 = oh * prm_sh() - prm_pt(); let w0 = ow * prm_sw() - prm_pl();
  if (prm_include_pad() != 0u) {
    return taps_within(h0, prm_KH(), prm_dh(), -prm_pt(), prm_H() + prm_pb()) * taps_within(w0, prm_KW(), prm_dw(), -prm_pl(), prm_W() + prm_pr());
  }
  return taps_within(h0, prm_KH(), prm_dh(), 0, prm_H()) * taps_within(w0, prm_KW(), prm_dw(), 0, prm_W());
}
// Windows (oh, ow) that contain input pixel (ih, iw) through tap (ki, kj), or -1.
fn window_of(i: i32, k: i32, s: i32, p: i32, d: i32, outSize: i32) -> i32 {
  let t = i + p - k * d;
  if (t < 0 || t % s != 0) { return -1; }
  let o = t / s;
  return select(-1, o, o < outSize);
}`;

/**
 * WGSL `window_argmax(base, oh, ow) -> i32` (reads input 0): index within the plane of window
 * (oh, ow)'s max, the first in row-major window order on ties, the first NaN if any, -1 when every
 * tap is padding (as the CPU device picks it).
 */
export const WINDOW_ARGMAX_WGSL = `fn window_argmax(base: u32, oh: i32, ow: i32) -> i32 {
  var best = -1; var m = 0.0f;
  for (var ki = 0; ki < prm_KH(); ki++) {
    let ih = oh * prm_sh() - prm_pt() + ki * prm_dh();
    if (ih < 0 || ih >= prm_H()) { continue; }
    for (var kj = 0; kj < prm_KW(); kj++) {
      let iw = ow * prm_sw() - prm_pl() + kj * prm_dw();
      if (iw < 0 || iw >= prm_W()) { continue; }
      let at = ih * prm_W() + iw;
      let v = ld_in0(base + u32(at));
      if (is_nan(v)) { return at; }
      if (best < 0 || v > m) { m = v; best = at; }
    }
  }
  return best;
}`;

/**
 * A gradient kernel's body, gathered per input pixel so no two invocations add into one element:
 * `acc` sums `term` over every window (oh, ow) that holds the pixel. The term may use `plane` and
 * `hw` (the pixel's plane and its size), `at` (the pixel within it) and `gbase` (the plane's start
 * in gradOut).
 */
export function gatherOverWindows(term: string): string {
  return [
    "  let hw = u32(prm_H() * prm_W());",
    "  let plane = e / hw; let at = i32(e % hw);",
    "  let ih = at / prm_W(); let iw = at % prm_W();",
    "  let gbase = prm_g_off() + plane * u32(prm_OH() * prm_OW());",
    "  var acc = 0.0f;",
    "  for (var ki = 0; ki < prm_KH(); ki++) {",
    "    let oh = window_of(ih, ki, prm_sh(), prm_pt(), prm_dh(), prm_OH());",
    "    if (oh < 0) { continue; }",
    "    for (var kj = 0; kj < prm_KW(); kj++) {",
    "      let ow = window_of(iw, kj, prm_sw(), prm_pl(), prm_dw(), prm_OW());",
    "      if (ow < 0) { continue; }",
    `      ${term}`,
    "    }",
    "  }",
    "  return acc;",
  ].join("\n");
}
