import type { FastPath } from "../device.ts";
import type { ConvProblem } from "./conv2d-problem.ts";

/**
 * The input gradient of a stride-1 convolution is itself a stride-1 convolution: of gradOut with
 * the weights flipped in both taps and with input and output channels swapped (per group), padded
 * by d·(K-1) - p. Run that way it takes the forward paths — the GEMM with K = OCg·KH·KW over an
 * unfolded gradOut, or the direct kernel for depthwise layers — instead of a GEMM with K = OCg
 * followed by a col2im scatter. It pays when OCg <= Cg (16 -> 16 channels on 28x28, batch 64:
 * 7.8 -> 7.2 ms; depthwise layers move from a one-row GEMM to the direct kernel); with more output
 * than input channels the swapped GEMM has fewer rows to share its packing (32 -> 64 channels: 11.3
 * -> 13.1 ms), so those stay on col2im, as do strided convolutions and padding wider than the
 * window. Returns false for those; `forward` runs the transformed problem. `g` describes the
 * forward conv (its image unused); `gradOut` is the address of the gradient.
 */
export function gradInputAsConv(path: FastPath, gradOut: number, g: ConvProblem, forward: (problem: ConvProblem) => boolean): boolean {
  if (!gradInputRunsAsConv(g)) return false;
  const { OC, Cg, OCg, KH, KW, groups } = g;
  const rt = path.runtime;
  const taps = KH * KW;
  const bytes = Math.max(64, OC * Cg * taps * 4);
  const flipped = rt.arena.alloc(bytes);
  if (flipped === undefined) return false;
  try {
    // w'[grp·Cg + c, oc, ki, kj] = w[grp·OCg + oc, c, KH-1-ki, KW-1-kj]
    const f32 = rt.f32;
    const src = g.weight / 4;
    const dst = flipped / 4;
    for (let grp = 0; grp < groups; grp++) {
      for (let oc = 0; oc < OCg; oc++) {
        for (let c = 0; c < Cg; c++) {
          const from = src + ((grp * OCg + oc) * Cg + c) * taps;
          const to = dst + ((grp * Cg + c) * OCg + oc) * taps;
          for (let t = 0; t < taps; t++) f32[to + taps - 1 - t] = f32[from + t]!;
        }
      }
    }
    return forward(gradInputConvProblem(g, gradOut, flipped));
  } finally {
    rt.arena.free(flipped, bytes);
  }
}

/** Whether gradInputAsConv runs the input gradient of `g` as a forward conv (see there for which do). */
export function gradInputRunsAsConv(g: ConvProblem): boolean {
  const { KH, KW, dh, dw, Cg, OCg } = g;
  return g.sh === 1 && g.sw === 1 && KH * KW > 1 && dh * (KH - 1) - g.pt >= 0 && dw * (KW - 1) - g.pl >= 0 && OCg <= Cg;
}

/** The forward conv that computes the input gradient of `g`: `gradOut` convolved with the `flipped` weights, written to g.out. */
export function gradInputConvProblem(g: ConvProblem, gradOut: number, flipped: number): ConvProblem {
  const { N, C, H, W, OC, KH, KW, dh, dw, OH, OW, groups, Cg, OCg } = g;
  return {
    image: gradOut,
    weight: flipped,
    out: g.out,
    bias: 0,
    N,
    C: OC,
    H: OH,
    W: OW,
    OC: C,
    KH,
    KW,
    sh: 1,
    sw: 1,
    dh,
    dw,
    pt: dh * (KH - 1) - g.pt,
    pl: dw * (KW - 1) - g.pl,
    OH: H,
    OW: W,
    groups,
    Cg: OCg,
    OCg: Cg,
  };
}
