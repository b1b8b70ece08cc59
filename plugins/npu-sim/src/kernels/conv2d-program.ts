import { conv2dGeometry, KernelError, type Attrs, type TensorView } from "@polychip/hal";
import { elementOffsets, type HostBuffer } from "@polychip/plugin-sdk";
import { dmaLoad } from "../chip/dma.ts";
import { plainSink, type TileSink } from "../chip/tile-sink.ts";
import { ACC_BYTES, type TensorMode } from "../chip/tensor-unit.ts";
import { TileProgram, type Unit } from "../chip/tile-program.ts";
import type { NpuSimDevice } from "../device.ts";

/**
 * The conv2d tile program (direct convolution, no im2col), shared by fp16 and int8 on the tensor
 * unit and fp32 on the vector unit (`unit`).
 * A tile is (image, group, block of output channels, block of output rows): the input rows the
 * block's windows touch (all of the group's channels) go to neuron RAM, the block's weights (and
 * bias) to weight RAM, the accumulators and output block to neuron RAM; padding is generated
 * on-chip, never loaded. Tiles that share weights run back to back so each core loads a weight
 * block once. A row of input too wide for the neuron RAM cannot tile and fails clearly. `sink`
 * takes each finished output row (a GEMM epilogue runs its program there, on chip).
 */
export function runConv2dProgram(
  npu: NpuSimDevice,
  op: string,
  x: TensorView<HostBuffer>,
  w: TensorView<HostBuffer>,
  y: TensorView<HostBuffer>,
  attrs: Attrs,
  mode: TensorMode,
  sink: TileSink = plainSink(y),
  unit: Unit = "tensor",
): void {
  const { N, C, H, W, OC, Cg, OCg, KH, KW, groups: G, win } = conv2dGeometry(op, x.shape, w.shape, attrs);
  const { oh: OH, ow: OW, sh, sw, dh, dw, pt, pl } = win;
  const cores = npu.profile.cores;
  const prog = new TileProgram(npu.profile, op, unit, x.dtype);
  prog.members = sink.members;
  // The vector unit does one MAC per lane per cycle, at the 32-bit rate for fp32 (as its matmul does).
  const macCycles = (macs: number) => (unit === "tensor" ? prog.tensorCycles(macs, mode.int8) : prog.vectorCycles(macs, 1, mode.inBytes >= 4));

  const rowsNeeded = (toh: number) => Math.min(H, (toh - 1) * sh + (KH - 1) * dh + 1);
  const neuron = (toc: number, toh: number) => 2 * Cg * rowsNeeded(toh) * W * mode.inBytes + toc * toh * OW * ACC_BYTES + 2 * toc * toh * OW * mode.outBytes;
  const weight = (toc: number) => 2 * (toc * Cg * KH * KW * mode.weightBytes + toc * ACC_BYTES);
  let toc = Math.max(1, OCg);
  let toh = Math.max(1, Math.ceil(OH / Math.max(1, Math.ceil(cores / Math.max(1, N * G)))));
  while (!prog.fits(neuron(toc, toh), weight(toc))) {
    if (weight(toc) > prog.weightCapacity && toc > 1) toc = Math.ceil(toc / 2);
    else if (toh > 1) toh = Math.ceil(toh / 2);
    else if (toc > 1) toc = Math.ceil(toc / 2);
    else break;
  }
  prog.reserve(
    neuron(toc, toh),
    weight(toc),
    `conv2d input ${x.dtype}[${x.shape.join(", ")}] (one output row needs ${Cg} channels × ${rowsNeeded(1)} rows × ${W} columns on chip)`,
  );

  const xOff = elementOffsets(x.shape, x.strides, x.offset);
  const wOff = elementOffsets(w.shape, w.strides, w.offset);
  const resident: (string | undefined)[] = new Array(cores).fill(undefined);
  const taps = Cg * KH * KW;
  let block = 0;
  const fp32 = !mode.int8;
  for (let g = 0; g < G; g++) {
    for (let oc0 = 0; oc0 < OCg; oc0 += toc) {
      const ocs = Math.min(toc, OCg - oc0);
      // The weight block [ocs, Cg, KH, KW], loaded once per core that runs a tile of it.
      const wBlock = new Float64Array(ocs * taps);
      for (let o = 0; o < ocs; o++) {
        const oc = g * OCg + oc0 + o;
        const row = dmaLoad(w, wOff, oc * taps, taps);
        for (let t = 0; t < taps; t++) wBlock[o * taps + t] = mode.weight(row[t]!, oc);
      }
      const wKey = `${g}/${oc0}`;
      for (let n = 0; n < N; n++) {
        for (let oh0 = 0; oh0 < OH; oh0 += toh, block++) {
          const core = block % cores;
          const rows = Math.min(toh, OH - oh0);
          const ihLo = Math.max(0, oh0 * sh - pt);
          const ihHi = Math.min(H - 1, (oh0 + rows - 1) * sh - pt + (KH - 1) * dh);
          const slabRows = Math.max(0, ihHi - ihLo + 1);
          // DMA in: the input rows the block's windows touch, for the group's channels.
          const slab = new Float64Array(Cg * slabRows * W);
          for (let c = 0; c < Cg; c++) {
            for (let r = 0; r < slabRows; r++) {
              const vals = dmaLoad(x, xOff, ((n * C + g * Cg + c) * H + ihLo + r) * W, W);
              for (let i = 0; i < W; i++) slab[(c * slabRows + r) * W + i] = mode.activation(vals[i]!);
            }
          }
          const wBytes = resident[core] === wKey ? 0 : ocs * (taps * mode.weightBytes + ACC_BYTES);
          resident[core] = wKey;
          for (let o = 0; o < ocs; o++) {
            const oc = g * OCg + oc0 + o;
            for (let r = 0; r < rows; r++) {
              const oh = oh0 + r;
              const out = new Float64Array(OW);
              for (let ow = 0; ow < OW; ow++) {
                let acc = 0;
                for (let c = 0; c < Cg; c++) {
                  for (let kh = 0; kh < KH; kh++) {
                    const ih = oh * sh - pt + kh * dh;
                    if (ih < 0 || ih >= H) continue;
                    const slabRow = (c * slabRows + ih - ihLo) * W;
                    const wRow = o * taps + (c * KH + kh) * KW;
                    for (let kw = 0; kw < KW; kw++) {
                      const iw = ow * sw - pl + kw * dw;
                      if (iw < 0 || iw >= W) continue;
                      // fp32 accumulation inline (see matmul-program's accumulateTile): the hot loop.
                      acc = fp32 ? Math.fround(acc + slab[slabRow + iw]! * wBlock[wRow + kw]!) : mode.accumulate(acc, slab[slabRow + iw]!, wBlock[wRow + kw]!);
                    }
                  }
                }
                out[ow] = mode.finish(acc, oc);
              }
              sink.store(((n * OC + oc) * OH + oh) * OW, out);
            }
          }
          const macs = ocs * rows * OW * taps;
          prog.macs += macs;
          const stored = sink.cost(prog, ocs * rows * OW);
          prog.step(core, {
            inBytes: slab.length * mode.inBytes + wBytes + stored.inBytes,
            computeCycles: macCycles(macs) + stored.computeCycles,
            outBytes: stored.outBytes,
          });
        }
      }
    }
  }
  npu.record(prog.finish(mode.int8));
}

/** attrs.activation: absent/null/"none" = plain conv2d, "relu" = fused ReLU; anything else is refused. */
export function fusedActivation(op: string, attrs: Attrs): "relu" | undefined {
  const a = attrs.activation;
  if (a === undefined || a === null || a === "none") return undefined;
  if (a === "relu") return "relu";
  throw new KernelError(`npu-sim ${op}: activation ${JSON.stringify(a)} is not supported (use "relu" or leave it out)`);
}
