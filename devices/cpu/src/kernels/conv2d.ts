import { conv2dGeometry, formatShape, listAttr, shapesEqual, ShapeError, type Attrs, type Conv2dGeometry, type Shape } from "@polychip/hal";
import { openOutput, readNumbers, readValues } from "../views.ts";
import { gemm } from "./gemm.ts";
import { cpuKernel, type CpuRegistration } from "./registration.ts";

/** The HAL's conv2d geometry plus what the im2col + GEMM formulation needs: R = Cg·KH·KW rows of P = OH·OW columns per group. */
interface ConvGeometry extends Conv2dGeometry {
  readonly R: number;
  readonly P: number;
  /** 1x1 kernel, stride 1, no padding: the im2col matrix is the input itself. */
  readonly pointwise: boolean;
}

function geometry(op: string, xShape: Shape, wShape: Shape, attrs: Attrs): ConvGeometry {
  const g = conv2dGeometry(op, xShape, wShape, attrs);
  const { win } = g;
  const pointwise = g.KH === 1 && g.KW === 1 && win.sh === 1 && win.sw === 1 && win.pt + win.pl + win.pb + win.pr === 0;
  return { ...g, R: g.Cg * g.KH * g.KW, P: win.oh * win.ow, pointwise };
}

function checkGradOut(op: string, g: ConvGeometry, shape: Shape): void {
  const expected = [g.N, g.OC, g.win.oh, g.win.ow];
  if (!shapesEqual(shape, expected)) throw new ShapeError(`${op}: gradOut must be ${formatShape(expected)}, got ${formatShape(shape)}`);
}

/** Unfolds the Cg channels of one image starting at x[xOff] into cols [R, P]; taps in the padding read 0. */
function im2col(g: ConvGeometry, x: ArrayLike<number>, xOff: number, cols: Float32Array): void {
  const { H, W, KH, KW, P } = g;
  const { sh, sw, dh, dw, pt, pl, oh: OH, ow: OW } = g.win;
  let row = 0;
  for (let c = 0; c < g.Cg; c++) {
    for (let ki = 0; ki < KH; ki++) {
      for (let kj = 0; kj < KW; kj++, row += P) {
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * sh - pt + ki * dh;
          const o = row + oh * OW;
          if (ih < 0 || ih >= H) {
            cols.fill(0, o, o + OW);
            continue;
          }
          const xRow = xOff + (c * H + ih) * W;
          for (let ow = 0, iw = kj * dw - pl; ow < OW; ow++, iw += sw) cols[o + ow] = iw >= 0 && iw < W ? x[xRow + iw]! : 0;
        }
      }
    }
  }
}

/** The adjoint of im2col: adds cols [R, P] back onto the image at dx[dxOff]; taps in the padding are dropped. */
function col2im(g: ConvGeometry, cols: Float64Array, dx: Float64Array, dxOff: number): void {
  const { H, W, KH, KW, P } = g;
  const { sh, sw, dh, dw, pt, pl, oh: OH, ow: OW } = g.win;
  let row = 0;
  for (let c = 0; c < g.Cg; c++) {
    for (let ki = 0; ki < KH; ki++) {
      for (let kj = 0; kj < KW; kj++, row += P) {
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * sh - pt + ki * dh;
          if (ih < 0 || ih >= H) continue;
          const o = row + oh * OW;
          const xRow = dxOff + (c * H + ih) * W;
          for (let ow = 0, iw = kj * dw - pl; ow < OW; ow++, iw += sw) if (iw >= 0 && iw < W) dx[xRow + iw] += cols[o + ow]!;
        }
      }
    }
  }
}

/**
 * conv2d as im2col + GEMM per image and group: out_g [OCg, P] = w_g [OCg, R] · cols [R, P].
 * The gradients reuse the same unfolding: dcols = w_gᵀ · gradOut_g folded back by col2im, and
 * dw_g += gradOut_g · colsᵀ summed over the batch.
 */
export const conv2dKernels: CpuRegistration[] = [
  cpuKernel("conv2d", ({ inputs: [x, w, bias], outputs: [y], attrs }) => {
    const g = geometry("conv2d", x!.shape, w!.shape, attrs);
    const { N, C, H, W, OC, OCg, R, P } = g;
    const xs = readValues(x!);
    const ws = readValues(w!);
    const b = bias ? readNumbers(bias) : undefined;
    const out = openOutput(y!);
    const v = out.values;
    const acc = new Float64Array(OCg * P);
    const cols = g.pointwise ? undefined : new Float32Array(R * P);
    for (let n = 0; n < N; n++) {
      for (let grp = 0; grp < g.groups; grp++) {
        const xOff = (n * C + grp * g.Cg) * H * W;
        acc.fill(0);
        if (cols) {
          im2col(g, xs, xOff, cols);
          gemm(OCg, P, R, ws, grp * OCg * R, R, 1, cols, 0, P, 1, acc, 0);
        } else {
          gemm(OCg, P, R, ws, grp * OCg * R, R, 1, xs, xOff, P, 1, acc, 0);
        }
        for (let oc = 0; oc < OCg; oc++) {
          const shift = b ? b[grp * OCg + oc]! : 0;
          const yRow = (n * OC + grp * OCg + oc) * P;
          for (let p = 0; p < P; p++) v[yRow + p] = acc[oc * P + p]! + shift;
        }
      }
    }
    out.commit();
  }),

  cpuKernel("conv2dGradInput", ({ inputs: [gradOut, w], outputs: [y], attrs }) => {
    const g = geometry("conv2dGradInput", listAttr("conv2dGradInput", attrs, "inputShape"), w!.shape, attrs);
    checkGradOut("conv2dGradInput", g, gradOut!.shape);
    const { N, C, H, W, OC, OCg, R, P } = g;
    const gs = readValues(gradOut!);
    const ws = readValues(w!);
    const dx = new Float64Array(N * C * H * W);
    const dcols = new Float64Array(R * P);
    for (let n = 0; n < N; n++) {
      for (let grp = 0; grp < g.groups; grp++) {
        dcols.fill(0);
        // A(i = r, k = oc) = w[grp·OCg + oc, r]: w_g read transposed through its strides.
        gemm(R, P, OCg, ws, grp * OCg * R, 1, R, gs, (n * OC + grp * OCg) * P, P, 1, dcols, 0);
        col2im(g, dcols, dx, (n * C + grp * g.Cg) * H * W);
      }
    }
    const out = openOutput(y!);
    out.values.set(dx);
    out.commit();
  }),

  cpuKernel("conv2dGradWeight", ({ inputs: [x, gradOut], outputs: [y], attrs }) => {
    const g = geometry("conv2dGradWeight", x!.shape, listAttr("conv2dGradWeight", attrs, "weightShape"), attrs);
    checkGradOut("conv2dGradWeight", g, gradOut!.shape);
    const { N, C, H, W, OC, OCg, R, P } = g;
    const xs = readValues(x!);
    const gs = readValues(gradOut!);
    const dw = new Float64Array(OC * R);
    const cols = g.pointwise ? undefined : new Float32Array(R * P);
    for (let n = 0; n < N; n++) {
      for (let grp = 0; grp < g.groups; grp++) {
        const xOff = (n * C + grp * g.Cg) * H * W;
        const gOff = (n * OC + grp * OCg) * P;
        if (cols) {
          im2col(g, xs, xOff, cols);
          gemm(OCg, R, P, gs, gOff, P, 1, cols, 0, 1, P, dw, grp * OCg * R);
        } else {
          gemm(OCg, R, P, gs, gOff, P, 1, xs, xOff, 1, P, dw, grp * OCg * R);
        }
      }
    }
    const out = openOutput(y!);
    out.values.set(dw);
    out.commit();
  }),
];
