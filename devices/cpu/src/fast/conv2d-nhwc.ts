import { conv2dGeometry, type Conv2dGeometry } from "@polychip/hal";
import type { FastPath } from "../device.ts";
import { tapMajorWeights } from "../kernels/conv2d-nhwc.ts";
import type { CpuKernel, CpuRegistration } from "../kernels/registration.ts";
import { readValues, type CpuView } from "../views.ts";
import { DEPTHWISE_NHWC } from "../wasm/kernels/conv-depthwise-nhwc.ts";
import { PARALLEL_MIN_MACS, targetChunks } from "./grid.ts";
import { runMatmul } from "./matmul.ts";
import { contiguous, fastKernel, float32Addresses } from "./support.ts";

/**
 * conv2dNhwc (HAL 1.6) in WASM for float32: depthwise convs on the channels-last direct kernel
 * (wasm/kernels/conv-depthwise-nhwc.ts), 1x1 convs as the plain GEMM [N·H·W, C] x wᵀ [C, OC];
 * anything else (and views outside the WASM memory or strided) on the reference loop.
 */
export function fastConv2dNhwc(reference: CpuKernel): CpuRegistration {
  return fastKernel("conv2dNhwc", reference, ({ inputs: [x, w, bias], outputs: [y], attrs }, path) => {
    const [n, h, width, c] = x!.shape as [number, number, number, number];
    const g = conv2dGeometry("conv2dNhwc", [n, c, h, width], w!.shape, attrs);
    return runDepthwiseNhwc(path, g, x!, w!, bias, y!) || runPointwiseNhwc(path, g, x!, w!, bias, y!);
  });
}

function runDepthwiseNhwc(path: FastPath, g: Conv2dGeometry, x: CpuView, w: CpuView, bias: CpuView | undefined, y: CpuView): boolean {
  const { N, C, H, W, Cg, OCg, KH, KW } = g;
  const { sh, sw, dh, dw, pt, pl, oh: OH, ow: OW } = g.win;
  if (Cg !== 1 || OCg !== 1 || C % 4 !== 0 || N * OH * OW === 0) return false;
  const views = [x, y, ...(bias ? [bias] : [])];
  const ptrs = float32Addresses(views);
  if (!ptrs || !views.every(contiguous)) return false;
  const [image, out, biasAt = 0] = ptrs as [number, number, number?];
  const rt = path.runtime;
  // The weights go after the record, 16-byte aligned, as [KH, KW, C].
  const weightAt = (DEPTHWISE_NHWC.bytes + 15) & ~15;
  const table = rt.tableFor(weightAt + KH * KW * C * 4);
  rt.f32.set(tapMajorWeights(g, readValues(w)), (table + weightAt) / 4);
  const rows = N * OH;
  const target = targetChunks(path.threads, rows * OW * C * KH * KW, PARALLEL_MIN_MACS / 16, PARALLEL_MIN_MACS / 4);
  const perChunk = Math.max(1, Math.ceil(rows / target));
  const fields = { image, weight: table + weightAt, out, bias: biasAt, N, H, W, C, KH, KW, sh, sw, dh, dw, pt, pl, OH, OW, perChunk };
  DEPTHWISE_NHWC.write(rt.i32, table, fields);
  rt.run(path.pool, "conv2dDepthwiseNhwc", [table], Math.ceil(rows / perChunk), 0);
  return true;
}

/** A 1x1 conv over channels-last activations is one GEMM: [N·H·W, C] x w[OC, C]ᵀ, then the bias along the rows. */
function runPointwiseNhwc(path: FastPath, g: Conv2dGeometry, x: CpuView, w: CpuView, bias: CpuView | undefined, y: CpuView): boolean {
  const { N, C, H, W, OC, KH, KW, groups } = g;
  const { sh, sw, pt, pl, pb, pr } = g.win;
  if (KH !== 1 || KW !== 1 || sh !== 1 || sw !== 1 || pt + pl + pb + pr !== 0 || groups !== 1 || !contiguous(x) || !contiguous(w)) return false;
  const rows = N * H * W;
  const a = { ...x, shape: [rows, C], strides: [C, 1] };
  const b = { ...w, shape: [OC, C], strides: [C, 1] };
  const out = { ...y, shape: [rows, OC], strides: [OC, 1] };
  if (!runMatmul(a, b, out, { transposeB: true }, path)) return false;
  if (bias) addRowBias(path, out, readValues(bias));
  return true;
}

function addRowBias(path: FastPath, out: CpuView, bias: ArrayLike<number>): void {
  const [rows, cols] = out.shape as [number, number];
  const f32 = path.runtime.f32;
  let at = float32Addresses([out])![0]! / 4;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++, at++) f32[at] += bias[c]!;
}
