import { conv2dGeometry, shapesEqual, sizeOf, type Attrs, type Shape } from "@polychip/hal";
import type { FastPath } from "../device.ts";
import type { CpuKernel } from "../kernels/registration.ts";
import { blockSize, PARALLEL_MIN_MACS, targetChunks } from "./grid.ts";
import { privateScratch } from "./private-scratch.ts";
import { contiguous, float32Addresses } from "./support.ts";

/**
 * A convolution with only a few output positions (N·OH·OW <= FEW_POSITIONS): a 1-D conv over a
 * short frame, as in audio models (Silero VAD's STFT: 258 filters of 256 taps over 3 windows, then
 * 128 channels x 3 taps at 3 positions). The im2col + GEMM packs every weight into panels for a
 * product that reads each weight only a few times, so the packing costs as much as the product.
 * Here each output position's receptive field is gathered into one row (zeros for padding), and
 * matmulDot takes the dot product of every row with every weight row, read in place. Groups and
 * unpadded stride-1 1x1 convs are left to the other conv paths.
 */

/** Output positions (over the batch) up to which the dot products beat packing for the GEMM. */
export const FEW_POSITIONS = 8;

/** Bytes of weight rows per column block. */
const BLOCK_BYTES = 16 * 1024;

/** Whether the few-position product takes this forward conv (of non-empty operands). */
export function fewPositionsTakes(xShape: Shape, wShape: Shape, attrs: Attrs): boolean {
  const { N, KH, KW, groups, win } = conv2dGeometry("conv2d", xShape, wShape, attrs);
  const rows = N * win.oh * win.ow;
  // Unpadded stride-1 1x1 convs already skip the packing (conv2d-dot.ts, conv2d-narrow.ts).
  const pointwise = KH === 1 && KW === 1 && win.sh === 1 && win.sw === 1 && win.pt + win.pl + win.pb + win.pr === 0;
  return !pointwise && groups === 1 && rows <= FEW_POSITIONS && rows > 0;
}

/** The few-position product, or false when the problem is not one (the GEMM path takes it). */
export function runFewPositions(path: FastPath, call: Parameters<CpuKernel>[0]): boolean {
  const {
    inputs: [x, w, bias],
    outputs: [y],
    attrs,
  } = call;
  const ptrs = float32Addresses([x, w, y, bias]);
  if (!ptrs || ![x!, w!, y!, ...(bias ? [bias] : [])].every(contiguous) || sizeOf(x!.shape) === 0 || sizeOf(w!.shape) === 0) return false;
  const { N, C, H, W, OC, KH, KW, groups, win } = conv2dGeometry("conv2d", x!.shape, w!.shape, attrs);
  const P = win.oh * win.ow;
  const rows = N * P;
  if (!fewPositionsTakes(x!.shape, w!.shape, attrs) || (bias && !shapesEqual(bias.shape, [OC]))) return false;
  const [px, pw, py] = ptrs as [number, number, number];
  const R = C * KH * KW;
  const rt = path.runtime;
  // Patches [rows, R], then the products [rows, OC] (unless they can go straight to y), then matmulDot's table.
  const direct = P === 1;
  const productsAt = rows * R * 4;
  const tableAt = productsAt + (direct ? 0 : rows * OC * 4);
  const base = privateScratch(rt, tableAt + 8);
  if (base === undefined) return false;
  const f32 = rt.f32;
  const xs = px / 4;
  let o = base / 4;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < win.oh; oh++) {
      for (let ow = 0; ow < win.ow; ow++) {
        for (let c = 0; c < C; c++) {
          for (let kh = 0; kh < KH; kh++) {
            const ih = oh * win.sh - win.pt + kh * win.dh;
            const inRow = ih >= 0 && ih < H;
            const row = xs + ((n * C + c) * H + ih) * W;
            for (let kw = 0; kw < KW; kw++) {
              const iw = ow * win.sw - win.pl + kw * win.dw;
              f32[o++] = inRow && iw >= 0 && iw < W ? f32[row + iw]! : 0;
            }
          }
        }
      }
    }
  }
  rt.i32[(base + tableAt) / 4] = 0;
  rt.i32[(base + tableAt) / 4 + 1] = 0;
  const out = direct ? py : base + productsAt;
  // Column blocks of weight rows that stay in L1 while every patch row reads them (matmulDot walks rows within a block).
  const l1Block = Math.max(4, Math.floor(BLOCK_BYTES / (R * 4) / 4) * 4);
  const nb = Math.min(l1Block, blockSize(OC, targetChunks(path.threads, rows * OC * R, PARALLEL_MIN_MACS / 4, PARALLEL_MIN_MACS), 4));
  const gn = Math.ceil(OC / nb);
  rt.run(path.pool, "matmulDot", [rows, OC, R, base, R * 4, pw, R * 4, out, base + tableAt, nb, gn], gn, 0);
  // y [N, OC, P] from the products [N·P, OC], plus the bias.
  const ys = py / 4;
  const bs = bias ? ptrs[3]! / 4 : 0;
  const ps = out / 4;
  for (let n = 0; n < N; n++) {
    for (let oc = 0; oc < OC; oc++) {
      const b = bias ? f32[bs + oc]! : 0;
      for (let p = 0; p < P; p++) f32[ys + (n * OC + oc) * P + p] = f32[ps + (n * P + p) * OC + oc]! + b;
    }
  }
  return true;
}
