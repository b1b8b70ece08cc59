import { conv2dGeometry, type Conv2dGeometry } from "@polychip/hal";
import type { FastPath } from "../device.ts";
import { cpuKernel, type CpuRegistration } from "../kernels/registration.ts";
import { openOutput, readValues, type CpuView } from "../views.ts";
import { DEPTHWISE_NHWC } from "../wasm/kernels/conv-depthwise-nhwc.ts";
import { PARALLEL_MIN_MACS, targetChunks } from "./grid.ts";
import { runMatmul } from "./matmul.ts";
import { contiguous, fastPathOf, float32Addresses } from "./support.ts";

/**
 * conv2dNhwc (HAL 1.6) on the cpu: x[N,H,W,C], w[OC,C/groups,KH,KW], out [N,OH,OW,OC]. float32
 * in the WASM memory takes the fast paths: depthwise convs on the channels-last direct kernel
 * (wasm/kernels/conv-depthwise-nhwc.ts), 1x1 convs as the plain GEMM [N·H·W, C] x wᵀ [C, OC].
 * Anything else runs the direct loop below: with channels innermost, one output position is a run
 * of OC sums whose taps read runs of C neighbouring inputs. Taps in the padding are skipped; each
 * sum runs over the taps in (ki, kj, c) order and adds the bias last, as the NCHW direct kernel does.
 */
export const conv2dNhwcKernel: CpuRegistration = cpuKernel(
  "conv2dNhwc",
  (call, device) => {
    const {
      inputs: [x, w, bias],
      outputs: [y],
      attrs,
    } = call;
    const [n, h, width, c] = x!.shape as [number, number, number, number];
    const g = conv2dGeometry("conv2dNhwc", [n, c, h, width], w!.shape, attrs);
    const path = fastPathOf(device);
    if (path && (runDepthwiseNhwc(path, g, x!, w!, bias, y!) || runPointwiseNhwc(path, g, x!, w!, bias, y!))) return;
    const out = openOutput(y!);
    convNhwc(g, readValues(x!), tapMajorWeights(g, readValues(w!)), bias && readValues(bias), out.values);
    out.commit();
  },
  ["float32", "float16"],
);

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

/** w[OC, Cg, KH, KW] as [KH, KW, Cg, OC]: the OC weights of one tap and input channel side by side. */
function tapMajorWeights(g: Conv2dGeometry, w: ArrayLike<number>): Float32Array {
  const { OC, Cg, KH, KW } = g;
  const out = new Float32Array(w.length);
  for (let oc = 0; oc < OC; oc++)
    for (let ci = 0; ci < Cg; ci++) for (let k = 0; k < KH * KW; k++) out[(k * Cg + ci) * OC + oc] = w[(oc * Cg + ci) * KH * KW + k]!;
  return out;
}

function convNhwc(
  g: Conv2dGeometry,
  x: ArrayLike<number>,
  w: Float32Array,
  bias: ArrayLike<number> | undefined,
  out: ArrayLike<number> & { [i: number]: number },
): void {
  const { N, C, H, W, OC, Cg, OCg, KH, KW } = g;
  const { sh, sw, dh, dw, pt, pl, oh: OH, ow: OW } = g.win;
  const acc = new Float32Array(OC);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        acc.fill(0);
        for (let ki = 0; ki < KH; ki++) {
          const ih = oh * sh - pt + ki * dh;
          if (ih < 0 || ih >= H) continue;
          for (let kj = 0; kj < KW; kj++) {
            const iw = ow * sw - pl + kj * dw;
            if (iw < 0 || iw >= W) continue;
            const xAt = ((n * H + ih) * W + iw) * C;
            const wAt = (ki * KW + kj) * Cg * OC;
            if (Cg === 1 && OCg === 1) {
              for (let ch = 0; ch < C; ch++) acc[ch] += w[wAt + ch]! * x[xAt + ch]!;
              continue;
            }
            for (let oc = 0; oc < OC; oc++) {
              const c0 = Math.floor(oc / OCg) * Cg;
              let s = acc[oc]!;
              for (let ci = 0; ci < Cg; ci++) s += w[wAt + ci * OC + oc]! * x[xAt + c0 + ci]!;
              acc[oc] = s;
            }
          }
        }
        const at = ((n * OH + oh) * OW + ow) * OC;
        for (let oc = 0; oc < OC; oc++) out[at + oc] = bias ? acc[oc]! + bias[oc]! : acc[oc]!;
      }
    }
  }
}
