import { conv2dGeometry, shapesEqual, sizeOf, type Attrs, type Shape } from "@polychip/hal";
import type { FastPath } from "../device.ts";
import type { CpuKernel } from "../kernels/registration.ts";
import { blockSize, PARALLEL_MIN_MACS, targetChunks } from "./grid.ts";
import { privateScratch } from "./private-scratch.ts";
import { contiguous } from "./support.ts";

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

/**
 * What the few-position product derives from a call's layouts: the sizes, where each patch element
 * comes from in the input (-1 for padding), the scratch layout and matmulDot's column blocks.
 */
export interface FewPositionsPlan {
  readonly N: number;
  readonly OC: number;
  readonly R: number;
  readonly P: number;
  readonly rows: number;
  /**
   * The patches [rows, R] as runs, in order: pairs of (element offset in x of the run's first
   * value, or -1 for zeros of the padding; length). A 1-D conv's taps run along a row of x, so
   * most runs are whole kernel rows, copied at once.
   */
  readonly runs: Int32Array;
  /**
   * Where every patch is already a stretch of x, equally spaced (an unpadded 1-D conv of one
   * channel, as Silero's STFT): the first one's element offset and the spacing, so matmulDot
   * reads x in place and nothing is gathered; undefined otherwise.
   */
  readonly inPlace: { readonly first: number; readonly step: number } | undefined;
  /** Whether the products [rows, OC] are y itself (one position per image). */
  readonly direct: boolean;
  readonly productsAt: number;
  readonly tableAt: number;
  readonly nb: number;
  readonly gn: number;
}

/** The plan for this forward conv on `threads` threads, or undefined when the problem is not one (the GEMM path takes it). */
export function planFewPositions(call: Parameters<CpuKernel>[0], threads: number): FewPositionsPlan | undefined {
  const {
    inputs: [x, w, bias],
    outputs: [y],
    attrs,
  } = call;
  if (![x!, w!, y!, ...(bias ? [bias] : [])].every(contiguous) || sizeOf(x!.shape) === 0 || sizeOf(w!.shape) === 0) return undefined;
  if (!fewPositionsTakes(x!.shape, w!.shape, attrs)) return undefined;
  const { N, C, H, W, OC, KH, KW, win } = conv2dGeometry("conv2d", x!.shape, w!.shape, attrs);
  if (bias && !shapesEqual(bias.shape, [OC])) return undefined;
  const P = win.oh * win.ow;
  const rows = N * P;
  const R = C * KH * KW;
  const sources = new Int32Array(rows * R);
  let o = 0;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < win.oh; oh++) {
      for (let ow = 0; ow < win.ow; ow++) {
        for (let c = 0; c < C; c++) {
          for (let kh = 0; kh < KH; kh++) {
            const ih = oh * win.sh - win.pt + kh * win.dh;
            const inRow = ih >= 0 && ih < H;
            const row = ((n * C + c) * H + ih) * W;
            for (let kw = 0; kw < KW; kw++) {
              const iw = ow * win.sw - win.pl + kw * win.dw;
              sources[o++] = inRow && iw >= 0 && iw < W ? row + iw : -1;
            }
          }
        }
      }
    }
  }
  // Patches [rows, R], then the products [rows, OC] (unless they can go straight to y), then matmulDot's table.
  const direct = P === 1;
  const productsAt = rows * R * 4;
  const tableAt = productsAt + (direct ? 0 : rows * OC * 4);
  // Column blocks of weight rows that stay in L1 while every patch row reads them (matmulDot walks rows within a block).
  const l1Block = Math.max(4, Math.floor(BLOCK_BYTES / (R * 4) / 4) * 4);
  const nb = Math.min(l1Block, blockSize(OC, targetChunks(threads, rows * OC * R, PARALLEL_MIN_MACS / 4, PARALLEL_MIN_MACS), 4));
  const runs = runsOf(sources, R);
  return { N, OC, R, P, rows, runs, inPlace: inPlaceOf(runs, R), direct, productsAt, tableAt, nb, gn: Math.ceil(OC / nb) };
}

/** Runs shorter than this are copied value by value: a call to copyWithin costs more. */
const SHORT_RUN = 16;

/**
 * `sources` (an element offset in x, or -1 for a zero, per patch element) as (first offset or -1,
 * length) runs, none crossing from one patch (R elements) into the next.
 */
function runsOf(sources: Int32Array, R: number): Int32Array {
  const runs: number[] = [];
  for (let i = 0; i < sources.length; ) {
    const first = sources[i]!;
    const end = (Math.floor(i / R) + 1) * R;
    let length = 1;
    while (i + length < end && sources[i + length] === (first < 0 ? -1 : first + length)) length++;
    runs.push(first, length);
    i += length;
  }
  return Int32Array.from(runs);
}

/** The patches' place in x when `runs` are whole patches of x, equally spaced (see FewPositionsPlan.inPlace). */
function inPlaceOf(runs: Int32Array, R: number): FewPositionsPlan["inPlace"] {
  const first = runs[0]!;
  const step = runs.length > 2 ? runs[2]! - first : R;
  for (let i = 0; i < runs.length; i += 2) if (runs[i + 1] !== R || runs[i] !== first + (i / 2) * step) return undefined;
  return first >= 0 && step >= 0 ? { first, step } : undefined;
}

/**
 * Runs the few-position product of `plan` on the operands at byte addresses `ptrs` (x, w, y and
 * the bias if any), or returns false, having written nothing, when its scratch does not fit.
 */
export function runFewPositions(path: FastPath, plan: FewPositionsPlan, ptrs: readonly number[]): boolean {
  const { N, OC, R, P, rows, runs, direct, productsAt, tableAt, nb, gn } = plan;
  const [px, pw, py] = ptrs as [number, number, number];
  const rt = path.runtime;
  const base = privateScratch(rt, tableAt + 8);
  if (base === undefined) return false;
  const f32 = rt.f32;
  const xs = px / 4;
  let to = base / 4;
  for (let i = 0; !plan.inPlace && i < runs.length; i += 2) {
    const from = runs[i]!;
    const length = runs[i + 1]!;
    if (from < 0) f32.fill(0, to, to + length);
    else if (length >= SHORT_RUN) f32.copyWithin(to, xs + from, xs + from + length);
    else for (let k = 0; k < length; k++) f32[to + k] = f32[xs + from + k]!;
    to += length;
  }
  rt.i32[(base + tableAt) / 4] = 0;
  rt.i32[(base + tableAt) / 4 + 1] = 0;
  const out = direct ? py : base + productsAt;
  const [patches, patchStride] = plan.inPlace ? [px + plan.inPlace.first * 4, plan.inPlace.step * 4] : [base, R * 4];
  rt.run(path.pool, "matmulDot", [rows, OC, R, patches, patchStride, pw, R * 4, out, base + tableAt, nb, gn, 0], gn, 0, rows * OC * R);
  // y [N, OC, P] from the products [N·P, OC], plus the bias.
  const ys = py / 4;
  const hasBias = ptrs.length > 3;
  const bs = hasBias ? ptrs[3]! / 4 : 0;
  const ps = out / 4;
  for (let n = 0; n < N; n++) {
    for (let oc = 0; oc < OC; oc++) {
      const b = hasBias ? f32[bs + oc]! : 0;
      for (let p = 0; p < P; p++) f32[ys + (n * OC + oc) * P + p] = f32[ps + (n * P + p) * OC + oc]! + b;
    }
  }
  return true;
}
