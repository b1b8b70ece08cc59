import { conv2dGeometry, float32ToFloat16Bits, listAttr, window2d, type Attrs, type TensorView } from "@polychip/hal";
import { elementOffsets, type HostBuffer } from "@polychip/plugin-sdk";
import { dmaStore, halves } from "./chip/dma.ts";
import { integerRange, saturate } from "./chip/numerics.ts";
import { ACC_BYTES, type TensorMode } from "./chip/tensor-unit.ts";
import { TileProgram } from "./chip/tile-program.ts";
import type { VectorProgram } from "./chip/vector-program.ts";
import type { NpuSimDevice } from "./device.ts";

/**
 * An elementwise op applied to each conv output on chip, as its own kernel would (rounding to the
 * output dtype after it); `program` is a HAL fused program over [conv value, per-channel operands...].
 */
export type EpilogueOp =
  | { readonly kind: "relu" }
  | { readonly kind: "add"; readonly perChannel: Float64Array }
  | { readonly kind: "program"; readonly program: VectorProgram; readonly perChannel: readonly Float64Array[] };

/** Vector-unit operations per conv output element for the epilogue. */
const epilogueOps = (epilogue: readonly EpilogueOp[]) => epilogue.reduce((s, e) => s + (e.kind === "program" ? e.program.opsPerElement : 1), 0);

/** What a claim fused behind one tensor-unit convolution (a linear layer is a 1×1 conv of [rows, K, 1, 1]). */
export interface FusedConv {
  /** The kernel event's name: "conv2d+relu+maxPool2d". */
  readonly name: string;
  readonly convAttrs: Attrs;
  readonly epilogue: readonly EpilogueOp[];
  /** maxPool2d attrs when a max-pool follows; pooling runs on the conv tile before it leaves the chip. */
  readonly pool?: Attrs;
}

/** DMA of `count` elements at `offsets[start..]` of a view into on-chip `dst` at `at`, each through `onChip` (the zero-point shift of int8 modes). */
function dmaInto(
  view: TensorView<HostBuffer>,
  offsets: Int32Array,
  start: number,
  count: number,
  dst: Float64Array,
  at: number,
  onChip: (v: number) => number,
): void {
  const storage = view.buffer.storage(view.dtype);
  if (view.dtype === "float16") {
    const table = halves();
    for (let i = 0; i < count; i++) dst[at + i] = onChip(table[storage[offsets[start + i]!]!]!);
  } else {
    for (let i = 0; i < count; i++) dst[at + i] = onChip(storage[offsets[start + i]!]!);
  }
}

/** A fused program's one output for conv value `v` of output channel `oc`. */
function runOnChannel(e: Extract<EpilogueOp, { kind: "program" }>, v: number, oc: number, registers: Float64Array): number {
  registers[0] = v;
  for (let k = 0; k < e.perChannel.length; k++) registers[1 + k] = e.perChannel[k]![oc]!;
  e.program.evaluate(registers);
  return registers[e.program.outputs[0]!]!;
}

function roundToHalf(v: number): number {
  return halves()[float32ToFloat16Bits(v)]!;
}

/** Output [N, OC, OH, OW] of the fused chain for input x and weight w. */
export function fusedConvShape(spec: FusedConv, x: readonly number[], w: readonly number[]): number[] {
  const conv = window2d(spec.name, x[2]!, x[3]!, w[2]!, w[3]!, spec.convAttrs);
  if (!spec.pool) return [x[0]!, w[0]!, conv.oh, conv.ow];
  const [pkh, pkw] = listAttr(spec.name, spec.pool, "kernel") as [number, number];
  const pool = window2d(spec.name, conv.oh, conv.ow, pkh, pkw, spec.pool);
  return [x[0]!, w[0]!, pool.oh, pool.ow];
}

/**
 * One tile program for conv → epilogue (bias adds, ReLU) → max-pool: a tile is (image, group,
 * block of output channels, block of *pooled* rows). The input rows the block needs come in, the
 * conv rows are accumulated, finished and pooled on chip, and only the pooled block goes back to
 * DRAM — the conv output never exists in DRAM. Numerics are exactly those of running the ops one
 * by one on this chip (same accumulation order, the same rounding after each op), since max-pool
 * commutes with rounding and with requantisation. Tiles are spread over the cores by image and
 * row block and, when that leaves cores idle (batch 1, a 1×1 "linear" conv), by channel block.
 */
export function runFusedConv(
  npu: NpuSimDevice,
  spec: FusedConv,
  x: TensorView<HostBuffer>,
  w: TensorView<HostBuffer>,
  y: TensorView<HostBuffer>,
  mode: TensorMode,
): void {
  const op = spec.name;
  const { N, C, H, W, OC, Cg, OCg, KH, KW, groups: G, win: conv } = conv2dGeometry(op, x.shape, w.shape, spec.convAttrs);
  const { oh: OH, ow: OW } = conv;
  const [pkh, pkw] = spec.pool ? (listAttr(op, spec.pool, "kernel") as [number, number]) : [1, 1];
  const pool = window2d(op, OH, OW, pkh, pkw, spec.pool ?? {});
  const [POH, POW] = [pool.oh, pool.ow];
  const integerOut = y.dtype !== "float16" && y.dtype !== "float32";
  const [lo, hi] = integerOut ? integerRange(y.dtype) : [-Infinity, Infinity];
  const halfOut = y.dtype === "float16";
  const cores = npu.profile.cores;
  const prog = new TileProgram(npu.profile, op, "tensor", x.dtype);

  /** Conv rows [r0, r1) the pooled rows [p0, p0 + rows) read. */
  const convRows = (p0: number, rows: number): [number, number] =>
    spec.pool ? [Math.max(0, p0 * pool.sh - pool.pt), Math.min(OH, (p0 + rows - 1) * pool.sh - pool.pt + (pkh - 1) * pool.dh + 1)] : [p0, p0 + rows];
  const inputRows = (r0: number, r1: number): [number, number] => [
    Math.max(0, r0 * conv.sh - conv.pt),
    Math.min(H - 1, (r1 - 1) * conv.sh - conv.pt + (KH - 1) * conv.dh),
  ];
  const maxConvRows = (rows: number) => Math.min(OH, spec.pool ? (rows - 1) * pool.sh + (pkh - 1) * pool.dh + 1 : rows);
  const maxInputRows = (rows: number) => Math.min(H, (maxConvRows(rows) - 1) * conv.sh + (KH - 1) * conv.dh + 1);
  const neuron = (toc: number, rows: number) =>
    2 * Cg * maxInputRows(rows) * W * mode.inBytes + toc * maxConvRows(rows) * OW * ACC_BYTES + 2 * toc * rows * POW * mode.outBytes;
  const weight = (toc: number) => 2 * (toc * Cg * KH * KW * mode.weightBytes + toc * ACC_BYTES);
  // Spread by images and rows (every busy core loads the weights) or by output channels (every core
  // reads every input), whichever moves fewer bytes — a linear layer's weights dwarf its inputs.
  let rows = Math.max(1, Math.ceil(POH / Math.max(1, Math.ceil(cores / Math.max(1, N * G)))));
  const rowBlocks = Math.ceil(POH / rows);
  const inputBytes = N * C * H * W * mode.inBytes;
  const weightBytes = OC * Cg * KH * KW * mode.weightBytes;
  const byChannels = Math.min(cores, OCg) * inputBytes + weightBytes < inputBytes + Math.min(cores, N * G * rowBlocks) * weightBytes;
  if (byChannels) rows = POH;
  let toc = byChannels ? Math.ceil(OCg / Math.min(cores, OCg)) : Math.max(1, Math.ceil(OCg / Math.max(1, Math.floor(cores / Math.max(1, N * G * rowBlocks)))));
  while (!prog.fits(neuron(toc, rows), weight(toc))) {
    if (weight(toc) > prog.weightCapacity && toc > 1) toc = Math.ceil(toc / 2);
    else if (rows > 1) rows = Math.ceil(rows / 2);
    else if (toc > 1) toc = Math.ceil(toc / 2);
    else break;
  }
  prog.reserve(
    neuron(toc, rows),
    weight(toc),
    `${op} input ${x.dtype}[${x.shape.join(", ")}] (one pooled row needs ${Cg} channels × ${maxInputRows(1)} rows × ${W} columns on chip)`,
  );

  const xOff = elementOffsets(x.shape, x.strides, x.offset);
  const wOff = elementOffsets(w.shape, w.strides, w.offset);
  const taps = Cg * KH * KW;
  const resident: (string | undefined)[] = new Array(cores).fill(undefined);
  const poolOps = spec.pool ? pkh * pkw : 0;
  const registers = new Float64Array(Math.max(0, ...spec.epilogue.map((e) => (e.kind === "program" ? e.program.valueCount : 0))));
  let block = 0;
  let channelBlock = 0;
  for (let g = 0; g < G; g++) {
    for (let oc0 = 0; oc0 < OCg; oc0 += toc, channelBlock++) {
      const ocs = Math.min(toc, OCg - oc0);
      const wBlock = new Float64Array(ocs * taps);
      for (let o = 0; o < ocs; o++) {
        const oc = g * OCg + oc0 + o;
        dmaInto(w, wOff, oc * taps, taps, wBlock, o * taps, (v) => mode.weight(v, oc));
      }
      const wKey = `${g}/${oc0}`;
      for (let n = 0; n < N; n++) {
        for (let p0 = 0; p0 < POH; p0 += rows, block++) {
          const core = (byChannels ? channelBlock : block) % cores;
          const prows = Math.min(rows, POH - p0);
          const [r0, r1] = convRows(p0, prows);
          const [ihLo, ihHi] = inputRows(r0, r1);
          const slabRows = Math.max(0, ihHi - ihLo + 1);
          const slab = new Float64Array(Cg * slabRows * W);
          for (let c = 0; c < Cg; c++) {
            dmaInto(x, xOff, ((n * C + g * Cg + c) * H + ihLo) * W, slabRows * W, slab, c * slabRows * W, mode.activation);
          }
          const wBytes = resident[core] === wKey ? 0 : ocs * (taps * mode.weightBytes + ACC_BYTES);
          resident[core] = wKey;
          const plane = new Float64Array((r1 - r0) * OW);
          const out = new Float64Array(POW);
          for (let o = 0; o < ocs; o++) {
            const oc = g * OCg + oc0 + o;
            const geometry = { H, W, OW, KH, KW, Cg, slabRows, ihLo, ...conv };
            if (mode.int8) integerConvRows(plane, slab, wBlock, o * taps, r0, r1, geometry);
            else halfConvRows(plane, slab, wBlock, o * taps, r0, r1, geometry);
            for (let i = 0; i < plane.length; i++) {
              let v = mode.finish(plane[i]!, oc);
              if (halfOut) v = roundToHalf(v);
              for (const e of spec.epilogue) {
                if (e.kind === "relu") v = v > 0 || v !== v ? v : 0;
                else if (e.kind === "program") v = runOnChannel(e, v, oc, registers);
                else v = halfOut ? roundToHalf(Math.fround(v + e.perChannel[oc]!)) : Math.fround(v + e.perChannel[oc]!);
              }
              plane[i] = v;
            }
            for (let p = p0; p < p0 + prows; p++) {
              if (spec.pool) poolRow(out, plane, p, r0, OH, OW, pkh, pkw, pool);
              else out.set(plane.subarray((p - r0) * OW, (p - r0 + 1) * OW));
              if (integerOut) for (let i = 0; i < POW; i++) out[i] = saturate(out[i]!, lo, hi);
              dmaStore(y, ((n * OC + oc) * POH + p) * POW, out);
            }
          }
          const macs = ocs * (r1 - r0) * OW * taps;
          prog.macs += macs;
          const vectorWork = prog.vectorCycles(ocs * (r1 - r0) * OW, epilogueOps(spec.epilogue), false) + prog.vectorCycles(ocs * prows * POW, poolOps, false);
          prog.step(core, {
            inBytes: slab.length * mode.inBytes + wBytes,
            computeCycles: prog.tensorCycles(macs, mode.int8) + vectorWork,
            outBytes: ocs * prows * POW * mode.outBytes,
          });
        }
      }
    }
  }
  npu.record(prog.finish(mode.int8));
}

interface ConvGeometry {
  readonly H: number;
  readonly W: number;
  readonly OW: number;
  readonly KH: number;
  readonly KW: number;
  readonly Cg: number;
  readonly slabRows: number;
  readonly ihLo: number;
  readonly sh: number;
  readonly sw: number;
  readonly dh: number;
  readonly dw: number;
  readonly pt: number;
  readonly pl: number;
}

/** For each kernel column kw, the output columns [lo, hi) it reaches inside the input, as [lo0, hi0, lo1, hi1, ...]. */
function columnRanges(g: ConvGeometry): Int32Array {
  const out = new Int32Array(2 * g.KW);
  for (let kw = 0; kw < g.KW; kw++) {
    const shift = g.pl - kw * g.dw;
    out[2 * kw] = Math.max(0, Math.ceil(shift / g.sw));
    out[2 * kw + 1] = Math.min(g.OW, Math.floor((g.W - 1 + shift) / g.sw) + 1);
  }
  return out;
}

/** Few outputs and many taps (a linear layer as a 1×1 conv): sum along the taps instead, one dot product per output. */
const DOT_BELOW = 8;

/**
 * int8 accumulation for conv rows [r0, r1): products of (activation − zero) and (weight − zero)
 * summed exactly, then wrapped to int32 — the same as wrapping after every step, since wrapping
 * is arithmetic mod 2³² (the sums stay far below 2⁵³, where float64 is exact). The loops run
 * weight-outer so the inner loop streams a row; each output still sums in (channel, row, column) order.
 */
function integerConvRows(plane: Float64Array, slab: Float64Array, w: Float64Array, wBase: number, r0: number, r1: number, g: ConvGeometry): void {
  if (plane.length < DOT_BELOW) return integerConvDots(plane, slab, w, wBase, r0, r1, g);
  const cols = columnRanges(g);
  plane.fill(0);
  for (let c = 0; c < g.Cg; c++) {
    for (let kh = 0; kh < g.KH; kh++) {
      for (let kw = 0; kw < g.KW; kw++) {
        const wv = w[wBase + (c * g.KH + kh) * g.KW + kw]!;
        const lo = cols[2 * kw]!;
        const hi = cols[2 * kw + 1]!;
        for (let oh = r0; oh < r1; oh++) {
          const ih = oh * g.sh - g.pt + kh * g.dh;
          if (ih < 0 || ih >= g.H) continue;
          const s = (c * g.slabRows + ih - g.ihLo) * g.W - g.pl + kw * g.dw;
          const p = (oh - r0) * g.OW;
          for (let ow = lo; ow < hi; ow++) plane[p + ow] += slab[s + ow * g.sw]! * wv;
        }
      }
    }
  }
  for (let i = 0; i < plane.length; i++) plane[i] = plane[i]! | 0;
}

/** fp16 products accumulated in fp32, each output in (channel, kernel row, kernel column) order, as the tensor unit's conv does. */
function halfConvRows(plane: Float64Array, slab: Float64Array, w: Float64Array, wBase: number, r0: number, r1: number, g: ConvGeometry): void {
  if (plane.length < DOT_BELOW) return halfConvDots(plane, slab, w, wBase, r0, r1, g);
  const cols = columnRanges(g);
  const f32 = Math.fround;
  plane.fill(0);
  for (let c = 0; c < g.Cg; c++) {
    for (let kh = 0; kh < g.KH; kh++) {
      for (let kw = 0; kw < g.KW; kw++) {
        const wv = w[wBase + (c * g.KH + kh) * g.KW + kw]!;
        const lo = cols[2 * kw]!;
        const hi = cols[2 * kw + 1]!;
        for (let oh = r0; oh < r1; oh++) {
          const ih = oh * g.sh - g.pt + kh * g.dh;
          if (ih < 0 || ih >= g.H) continue;
          const s = (c * g.slabRows + ih - g.ihLo) * g.W - g.pl + kw * g.dw;
          const p = (oh - r0) * g.OW;
          for (let ow = lo; ow < hi; ow++) plane[p + ow] = f32(plane[p + ow]! + slab[s + ow * g.sw]! * wv);
        }
      }
    }
  }
}

function integerConvDots(plane: Float64Array, slab: Float64Array, w: Float64Array, wBase: number, r0: number, r1: number, g: ConvGeometry): void {
  for (let oh = r0; oh < r1; oh++) {
    for (let ow = 0; ow < g.OW; ow++) {
      let acc = 0;
      for (let c = 0; c < g.Cg; c++) {
        for (let kh = 0; kh < g.KH; kh++) {
          const ih = oh * g.sh - g.pt + kh * g.dh;
          if (ih < 0 || ih >= g.H) continue;
          const s = (c * g.slabRows + ih - g.ihLo) * g.W;
          const k = wBase + (c * g.KH + kh) * g.KW;
          for (let kw = 0; kw < g.KW; kw++) {
            const iw = ow * g.sw - g.pl + kw * g.dw;
            if (iw >= 0 && iw < g.W) acc += slab[s + iw]! * w[k + kw]!;
          }
        }
      }
      plane[(oh - r0) * g.OW + ow] = acc | 0;
    }
  }
}

function halfConvDots(plane: Float64Array, slab: Float64Array, w: Float64Array, wBase: number, r0: number, r1: number, g: ConvGeometry): void {
  const f32 = Math.fround;
  for (let oh = r0; oh < r1; oh++) {
    for (let ow = 0; ow < g.OW; ow++) {
      let acc = 0;
      for (let c = 0; c < g.Cg; c++) {
        for (let kh = 0; kh < g.KH; kh++) {
          const ih = oh * g.sh - g.pt + kh * g.dh;
          if (ih < 0 || ih >= g.H) continue;
          const s = (c * g.slabRows + ih - g.ihLo) * g.W;
          const k = wBase + (c * g.KH + kh) * g.KW;
          for (let kw = 0; kw < g.KW; kw++) {
            const iw = ow * g.sw - g.pl + kw * g.dw;
            if (iw >= 0 && iw < g.W) acc = f32(acc + slab[s + iw]! * w[k + kw]!);
          }
        }
      }
      plane[(oh - r0) * g.OW + ow] = acc;
    }
  }
}

/** One pooled row from the conv rows held on chip: padding never wins, the first NaN propagates, an all-padding window is −Inf. */
function poolRow(
  out: Float64Array,
  plane: Float64Array,
  p: number,
  r0: number,
  OH: number,
  OW: number,
  pkh: number,
  pkw: number,
  pool: ReturnType<typeof window2d>,
): void {
  for (let q = 0; q < out.length; q++) {
    let m = -Infinity;
    for (let kh = 0, r = p * pool.sh - pool.pt; kh < pkh; kh++, r += pool.dh) {
      if (r < 0 || r >= OH) continue;
      for (let kw = 0, c = q * pool.sw - pool.pl; kw < pkw; kw++, c += pool.dw) {
        if (c < 0 || c >= OW) continue;
        const v = plane[(r - r0) * OW + c]!;
        if (m === m && (v > m || v !== v)) m = v;
      }
    }
    out[q] = m;
  }
}
