import { conv2dGeometry, type Conv2dGeometry } from "@polychip/hal";
import { openOutput, readValues } from "../views.ts";
import { cpuKernel, type CpuRegistration } from "./registration.ts";

/**
 * conv2dNhwc (HAL 1.6): x[N,H,W,C], w[OC,C/groups,KH,KW], out [N,OH,OW,OC], as a direct loop. With
 * channels innermost, one output position is a run of OC sums whose taps read runs of C
 * neighbouring inputs. Taps in the padding are skipped; each sum runs over the taps in (ki, kj, c)
 * order and adds the bias last, as the NCHW direct kernel does.
 */
export const conv2dNhwcReference: CpuRegistration = cpuKernel("conv2dNhwc", ({ inputs: [x, w, bias], outputs: [y], attrs }) => {
  const [n, h, width, c] = x!.shape as [number, number, number, number];
  const g = conv2dGeometry("conv2dNhwc", [n, c, h, width], w!.shape, attrs);
  const out = openOutput(y!);
  convNhwc(g, readValues(x!), tapMajorWeights(g, readValues(w!)), bias && readValues(bias), out.values);
  out.commit();
});

/** w[OC, Cg, KH, KW] as [KH, KW, Cg, OC]: the OC weights of one tap and input channel side by side. */
export function tapMajorWeights(g: Conv2dGeometry, w: ArrayLike<number>): Float32Array {
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
