import { conv2dGeometry, listAttr, shapesEqual, sizeOf, type Attrs, type Shape } from "@polychip/hal";
import type { FastPath } from "../device.ts";
import type { CpuKernel, CpuRegistration } from "../kernels/registration.ts";
import { LayoutMemo } from "../layout-memo.ts";
import type { CpuView } from "../views.ts";
import { CHUNK_RECORD_BYTES, CONV, COLS_OFFSET } from "../wasm/kernels/conv.ts";
import { MR, NC, NR } from "../wasm/kernels/gemm.ts";
import { PADDED_SLACK, paddedRows, paddedWidth } from "../wasm/kernels/conv-pack.ts";
import { withContiguousArena } from "./strided-move.ts";
import { runDepthwiseConv2d, runDepthwiseGradWeight } from "./conv2d-depthwise.ts";
import { runPointwiseDot } from "./conv2d-dot.ts";
import { planFewPositions, runFewPositions, type FewPositionsPlan } from "./conv2d-few-positions.ts";
import { runNarrowPointwise } from "./conv2d-narrow.ts";
import { gradInputAsConv } from "./conv2d-grad-input.ts";
import type { ConvProblem, ForwardEpilogue } from "./conv2d-problem.ts";
import { blockSize, PARALLEL_MIN_MACS, targetChunks } from "./grid.ts";
import { fastKernelWithHalf } from "./half.ts";
import { contiguous, fastKernel, float32Addresses } from "./support.ts";

/** Batch blocks conv2dGradWeight splits a large problem into, whatever the thread count (see there). */
const GRAD_WEIGHT_BATCH_BLOCKS = 16;

/** Largest unfolded (cols) matrix one chunk builds, in bytes: keeps scratch per thread bounded for big images. */
const MAX_COLS_BYTES = 8 * 2 ** 20;

/** Output positions per dcols block of conv2dGradInput (rounded down to whole output rows, at least one): the GEMM's column block. */
const GRAD_INPUT_COLUMNS = NC;

export type Geometry = Record<(typeof CONV.fields)[number], number>;

/** The WASM kernels' geometry record for x and w (the HAL checks them), or undefined for empty tensors, which the reference handles. */
export function geometry(op: string, xShape: Shape, wShape: Shape, attrs: Attrs): Geometry | undefined {
  if (sizeOf(xShape) === 0 || sizeOf(wShape) === 0) return undefined;
  const { N, C, H, W, OC, Cg, OCg, KH, KW, groups, win } = conv2dGeometry(op, xShape, wShape, attrs);
  const { sh, sw, dh, dw, pt, pl } = win;
  const pointwise = KH === 1 && KW === 1 && sh === 1 && sw === 1 && pt + pl + win.pb + win.pr === 0;
  const problem = { image: 0, weight: 0, out: 0, bias: 0, N, C, H, W, OC, KH, KW, sh, sw, dh, dw, pt, pl, OH: win.oh, OW: win.ow, groups, Cg, OCg };
  return record(problem, pointwise);
}

/**
 * The full record of a problem: the sizes the kernels derive, and the chunking fields for the
 * drivers to set. Written out field by field: a spread of this many properties makes a
 * dictionary-mode object, and with it a 1x1 conv spent ~10 us here.
 */
export function record(p: ConvProblem, pointwise: boolean): Geometry {
  return {
    image: p.image,
    weight: p.weight,
    gradOut: 0,
    out: p.out,
    bias: p.bias,
    partial: 0,
    partialStride: 0,
    N: p.N,
    C: p.C,
    H: p.H,
    W: p.W,
    OC: p.OC,
    KH: p.KH,
    KW: p.KW,
    sh: p.sh,
    sw: p.sw,
    dh: p.dh,
    dw: p.dw,
    pt: p.pt,
    pl: p.pl,
    OH: p.OH,
    OW: p.OW,
    groups: p.groups,
    Cg: p.Cg,
    OCg: p.OCg,
    R: p.Cg * p.KH * p.KW,
    P: p.OH * p.OW,
    pointwise: pointwise ? 1 : 0,
    blockA: 1,
    countA: 1,
    blockB: 1,
    countB: 1,
    packFromInput: 0,
    splitColumns: 0,
  };
}

/** Splits `n` into about `parts` blocks no larger than `cap`; returns [block, count]. */
function split(n: number, parts: number, cap: number): [number, number] {
  const block = Math.max(1, Math.min(Math.ceil(n / Math.max(1, parts)), cap));
  return [block, Math.ceil(n / block)];
}

function launch(path: FastPath, name: string, g: Geometry, chunks: number, scratchBytes: number, epilogue?: ForwardEpilogue): void {
  const rt = path.runtime;
  const geo = rt.tableFor(CONV.bytes + (epilogue?.descriptorBytes ?? 0));
  CONV.write(rt.i32, geo, g);
  // A chunk per image and group at least: a small grouped conv has as many chunks as a large one.
  const work = g.N * g.OC * g.P * g.R;
  if (!epilogue) {
    rt.run(path.pool, name, [geo], chunks, scratchBytes, work);
    return;
  }
  epilogue.writeDescriptor(geo + CONV.bytes);
  rt.runModule(path.pool, epilogue.module, [geo, geo + CONV.bytes], chunks, scratchBytes, work);
}

/** Scratch bytes (past the GEMM's) of packing from the input for chunks of `outRows` output rows: the row-offset table, the padded copy. */
function paddedScratch(g: Geometry, outRows: number): number {
  return Math.ceil((g.R * 4) / 16) * 16 + (g.Cg * paddedRows(g, outRows) * paddedWidth(g) + PADDED_SLACK) * 4;
}

/** The forward conv on contiguous operands: the direct kernel where it applies, else the GEMM packing from the image. */
function forward(path: FastPath, g: Geometry): boolean {
  if (runDepthwiseConv2d(path, g) || runPointwiseDot(path, g) || runNarrowPointwise(path, g)) return true;
  forwardGemm(path, g);
  return true;
}

/** The forward conv on the GEMM, packing from the image (or a cols matrix), with `epilogue` in its micro-kernel if given. */
export function forwardGemm(path: FastPath, g: Geometry, epilogue?: ForwardEpilogue): void {
  const base = g.N * g.groups;
  const target = targetChunks(path.threads, g.N * g.OC * g.P * g.R, PARALLEL_MIN_MACS / 4, PARALLEL_MIN_MACS);
  const PW = paddedWidth(g);
  // Pack the GEMM's panels from a zero-bordered copy of the input rows a chunk reads
  // (wasm/kernels/conv-pack.ts) rather than from a cols matrix, unless the copy would be the
  // larger (a strided 1x1 conv reads only a fraction of its input).
  if (g.pointwise || g.Cg * paddedRows(g, g.OH) * PW >= g.R * g.P) {
    const rowCap = g.pointwise ? g.OH : Math.max(1, Math.floor(MAX_COLS_BYTES / (g.R * g.OW * 4)));
    [g.blockA, g.countA] = split(g.OH, Math.ceil(target / base), rowCap);
    // A cols matrix is built per chunk: a block of columns would build all of its row's.
    splitFurther(g, Math.ceil(target / (base * g.countA)), g.pointwise === 1);
    const cols = g.pointwise ? 0 : g.R * g.blockA * g.OW * 4;
    launch(path, "conv2dForward", g, base * g.countA * g.countB, COLS_OFFSET + CHUNK_RECORD_BYTES + cols, epilogue);
    return;
  }
  g.packFromInput = 1;
  const rowCap = Math.max(1, Math.floor((MAX_COLS_BYTES / (g.Cg * PW * 4) - (g.KH - 1) * g.dh - 1) / g.sh) + 1);
  [g.blockA, g.countA] = split(g.OH, Math.ceil(target / base), rowCap);
  splitFurther(g, Math.ceil(target / (base * g.countA)), true);
  launch(path, "conv2dForward", g, base * g.countA * g.countB, COLS_OFFSET + CHUNK_RECORD_BYTES + paddedScratch(g, g.blockA), epilogue);
}

/**
 * How many blocks to cut `length` into, of the `parts` the job aims for: every block after the
 * first repacks the operand the split does not cut, `width` wide (the weights [OCg, R] for blocks
 * of columns, the input panels [R, positions] for blocks of channels), and packing a float costs
 * about ten multiply-adds, so blocks stay 4x longer than that where they can (a quarter of the
 * work at most; Piper's 384-channel flow conv over 49 frames did 8 % more work in 8 blocks than in
 * 1). But never fewer than half the parts: a worker that is woken late (a busy machine) holds up
 * the one block it took, so blocks must stay small enough for the caller to run the rest.
 */
const blocksOf = (parts: number, length: number, width: number): number => Math.max(2, Math.ceil(parts / 2), Math.min(parts, Math.floor(length / (4 * width))));

/**
 * Splits each (image, group, block of rows) chunk into up to `parts` blocks where there are too
 * few rows to give every thread work (a 1-D conv has one): blocks of output columns when a chunk
 * holds one row wider than it has channels, else blocks of output channels. Blocks keep the GEMM's
 * register tile whole.
 */
function splitFurther(g: Geometry, parts: number, columnsAllowed: boolean): void {
  g.splitColumns = 0;
  [g.blockB, g.countB] = [g.OCg, 1];
  if (parts <= 1) return;
  const positions = g.blockA * g.OW;
  if (columnsAllowed && g.blockA === 1 && g.OW > g.OCg && g.OW >= 2 * NR) {
    g.splitColumns = 1;
    g.blockB = blockSize(g.OW, blocksOf(parts, g.OW, g.OCg), NR);
    g.countB = Math.ceil(g.OW / g.blockB);
  } else if (g.OCg >= 2 * MR) {
    g.blockB = blockSize(g.OCg, blocksOf(parts, g.OCg, positions), MR);
    g.countB = Math.ceil(g.OCg / g.blockB);
  }
}

/**
 * What conv2dForward derives from a call's layouts on `threads` threads: the few-position plan, or
 * the geometry record (its addresses set per call, its chunking by forwardGemm) and whether x needs
 * a contiguous copy; false when the fast path declines.
 */
type ForwardRoute =
  | { readonly threads: number; readonly few: FewPositionsPlan; readonly g?: undefined; readonly copyInput?: undefined }
  | { readonly threads: number; readonly few?: undefined; readonly g: Geometry; readonly copyInput: boolean }
  | false;

/** Routes per attrs object: a planned session passes the same one on every run, which then derives nothing. */
const forwardRoutes = new LayoutMemo<ForwardRoute>();

function forwardRouteOf(call: Parameters<CpuKernel>[0], threads: number): ForwardRoute {
  const few = planFewPositions(call, threads);
  if (few) return { threads, few };
  const {
    inputs: [x, w, bias],
    outputs: [y],
    attrs,
  } = call;
  if (![w!, y!, ...(bias ? [bias] : [])].every(contiguous)) return false;
  const g = geometry("conv2d", x!.shape, w!.shape, attrs);
  if (!g || (bias && !shapesEqual(bias.shape, [g.OC]))) return false;
  return { threads, g, copyInput: !contiguous(x!) };
}

/** The forward conv (float32) in WASM, or false when it declines. */
function conv2dForward(call: Parameters<CpuKernel>[0], path: FastPath): boolean {
  const {
    inputs: [x, w, bias],
    outputs: [y],
    attrs,
  } = call;
  const ptrs = float32Addresses([x, w, y, bias]);
  if (!ptrs) return false;
  let route = forwardRoutes.get(attrs, call.inputs, call.outputs);
  if (route === undefined || (route !== false && route.threads !== path.threads)) {
    route = forwardRoutes.set(attrs, forwardRouteOf(call, path.threads), call.inputs, call.outputs);
  }
  if (route === false) return false;
  if (route.few) return runFewPositions(path, route.few, ptrs);
  const g = route.g;
  [g.image, g.weight, g.out] = ptrs as [number, number, number];
  g.bias = bias ? ptrs[3]! : 0;
  if (!route.copyInput) return forward(path, g);
  // A transposed or sliced input (a graph's Transpose or Slice feeding the conv): convolve a contiguous copy.
  return (
    withContiguousArena(path, x!, (copy) => {
      g.image = copy;
      return forward(path, g);
    }) ?? false
  );
}

const gradOutFits = (g: Geometry, gradOut: CpuView) => shapesEqual(gradOut.shape, [g.N, g.OC, g.OH, g.OW]);

/**
 * conv2d and its gradients (float32, NCHW, contiguous operands; the forward also float16 through
 * float32 copies) on the WASM im2col + GEMM; see
 * wasm/kernels/conv.ts for the chunking. Anything else — other dtypes, strided views, empty
 * tensors, shapes the reference must reject — goes to the reference kernel.
 */
export function fastConv2d(ref: (op: string) => CpuKernel): CpuRegistration[] {
  return [
    ...fastKernelWithHalf("conv2d", ref("conv2d"), conv2dForward),

    fastKernel("conv2dGradInput", ref("conv2dGradInput"), ({ inputs: [gradOut, w], outputs: [y], attrs }, path) => {
      const ptrs = float32Addresses([gradOut, w, y]);
      if (!ptrs || ![gradOut!, w!, y!].every(contiguous)) return false;
      const g = geometry("conv2dGradInput", listAttr("conv2dGradInput", attrs, "inputShape"), w!.shape, attrs);
      if (!g || !gradOutFits(g, gradOut!) || !shapesEqual(y!.shape, [g.N, g.C, g.H, g.W])) return false;
      [g.gradOut, g.weight, g.out] = ptrs as [number, number, number];
      if (gradInputAsConv(path, g.gradOut, g, (problem) => forward(path, record(problem, false)))) return true;
      const base = g.N * g.groups;
      const taps = g.KH * g.KW;
      const target = targetChunks(path.threads, g.N * g.OC * g.P * g.R, PARALLEL_MIN_MACS / 4, PARALLEL_MIN_MACS);
      // dcols for GRAD_INPUT_COLUMNS output positions (whole output rows) at a time: a block stays in
      // cache from the GEMM's store to col2im's read, and the scratch no longer grows with the image.
      g.blockB = Math.max(1, Math.floor(GRAD_INPUT_COLUMNS / g.OW));
      const columns = Math.min(g.OH, g.blockB) * g.OW;
      const channelCap = g.pointwise ? g.Cg : Math.max(1, Math.floor(MAX_COLS_BYTES / (taps * columns * 4)));
      [g.blockA, g.countA] = split(g.Cg, Math.ceil(target / base), channelCap);
      const cols = g.pointwise ? 0 : g.blockA * taps * columns * 4;
      launch(path, "conv2dGradInput", g, base * g.countA, COLS_OFFSET + cols);
      return true;
    }),

    fastKernel("conv2dGradWeight", ref("conv2dGradWeight"), ({ inputs: [x, gradOut], outputs: [y], attrs }, path) => {
      const ptrs = float32Addresses([x, gradOut, y]);
      if (!ptrs || ![x!, gradOut!, y!].every(contiguous)) return false;
      const g = geometry("conv2dGradWeight", x!.shape, listAttr("conv2dGradWeight", attrs, "weightShape"), attrs);
      if (!g || !gradOutFits(g, gradOut!) || !shapesEqual(y!.shape, [g.OC, g.Cg, g.KH, g.KW])) return false;
      [g.image, g.gradOut, g.out] = ptrs as [number, number, number];
      if (runDepthwiseGradWeight(path, g, g.gradOut, g.out)) return true;
      const rt = path.runtime;
      // Split the batch: each block of images sums into its own copy of dw (the first into the output,
      // the others into partial buffers added at the end), so every chunk unfolds and packs each
      // image once. R is split only when one image's cols matrix would be too big. The number of
      // batch blocks fixes the order of the sums, so it depends on the problem, never on the thread
      // count: dw is bitwise the same on 1 and N threads.
      // Pack colsᵀ from a padded copy of each image (as the forward does) where that copy is the
      // smaller and fits the scratch cap; R is then never split (the copy holds every channel).
      const padded = g.Cg * paddedRows(g, g.OH) * paddedWidth(g);
      if (!g.pointwise && padded < g.R * g.P && padded * 4 <= MAX_COLS_BYTES) g.packFromInput = 1;
      const rowCap = g.pointwise || g.packFromInput ? g.R : Math.max(8, Math.floor(MAX_COLS_BYTES / (g.P * 4 * 8)) * 8);
      [g.blockA, g.countA] = split(g.R, 1, rowCap);
      const batchBlocks = g.N * g.OC * g.P * g.R >= PARALLEL_MIN_MACS ? GRAD_WEIGHT_BATCH_BLOCKS : 1;
      [g.blockB, g.countB] = split(g.N, batchBlocks, g.N);
      const outBytes = g.OC * g.R * 4;
      let partial: number | undefined;
      if (g.countB > 1) {
        g.partialStride = Math.ceil(outBytes / 64) * 64;
        partial = rt.arena.alloc(g.partialStride * (g.countB - 1));
        if (partial === undefined) return false;
        g.partial = partial;
      }
      try {
        const cols = g.packFromInput ? paddedScratch(g, g.OH) : g.pointwise ? 0 : g.blockA * g.P * 4;
        launch(path, "conv2dGradWeight", g, g.groups * g.countA * g.countB, COLS_OFFSET + cols);
        for (let b = 1; b < g.countB; b++) rt.call("addF32", g.out, g.partial + (b - 1) * g.partialStride, g.OC * g.R);
      } finally {
        if (partial !== undefined) rt.arena.free(partial, g.partialStride * (g.countB - 1));
      }
      return true;
    }),
  ];
}
