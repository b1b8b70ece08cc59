import { boolAttr, dtypeBytes, listAttr, window2d, type Attrs, type TensorView } from "@polychip/hal";
import { elementOffsets, type HostBuffer } from "@polychip/plugin-sdk";
import { dmaLoad, dmaStore } from "../chip/dma.ts";
import { TileProgram } from "../chip/tile-program.ts";
import { npuOf, type NpuSimDevice } from "../device.ts";
import { npuKernel, type NpuRegistration } from "./registration.ts";

const f32 = Math.fround;

/** Taps of a window along one axis that land in [lo, hi). */
function tapsWithin(start: number, k: number, d: number, lo: number, hi: number): number {
  let n = 0;
  for (let i = 0, p = start; i < k; i++, p += d) if (p >= lo && p < hi) n++;
  return n;
}

/**
 * Pooling on the vector unit. A tile is (image, block of channels, block of output rows): the
 * input rows its windows touch go to neuron RAM, the pooled block comes back. max: padding never
 * wins, the first NaN in a window propagates, a window entirely in padding gives -Inf. avg: an
 * fp32 sum over the taps inside the input, divided by the taps inside the input (or, with
 * countIncludePad, inside the padded input); a window with no taps gives 0.
 */
function runPool(npu: NpuSimDevice, op: "maxPool2d" | "avgPool2d", x: TensorView<HostBuffer>, y: TensorView<HostBuffer>, attrs: Attrs): void {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [KH, KW] = listAttr(op, attrs, "kernel") as [number, number];
  const win = window2d(op, H, W, KH, KW, attrs);
  const { oh: OH, ow: OW, sh, sw, dh, dw, pt, pl, pb, pr } = win;
  const includePad = boolAttr(attrs, "countIncludePad");
  const eb = dtypeBytes(x.dtype);
  const prog = new TileProgram(npu.profile, op, "vector", x.dtype);
  const rowsNeeded = (toh: number) => Math.min(H, (toh - 1) * sh + (KH - 1) * dh + 1);
  const neuron = (tc: number, toh: number) => 2 * tc * rowsNeeded(toh) * W * eb + 2 * tc * toh * OW * eb;
  let tc = Math.max(1, C);
  let toh = Math.max(1, Math.ceil(OH / Math.max(1, Math.ceil(npu.profile.cores / Math.max(1, N)))));
  while (!prog.fits(neuron(tc, toh))) {
    if (toh > 1) toh = Math.ceil(toh / 2);
    else if (tc > 1) tc = Math.ceil(tc / 2);
    else break;
  }
  prog.reserve(neuron(tc, toh), 0, `${op} input ${x.dtype}[${x.shape.join(", ")}] (one output row needs ${rowsNeeded(1)} input rows of ${W})`);
  const xOff = elementOffsets(x.shape, x.strides, x.offset);
  const float32 = x.dtype === "float32";
  let block = 0;
  for (let n = 0; n < N; n++) {
    for (let c0 = 0; c0 < C; c0 += tc) {
      const chans = Math.min(tc, C - c0);
      for (let oh0 = 0; oh0 < OH; oh0 += toh, block++) {
        const rows = Math.min(toh, OH - oh0);
        const ihLo = Math.max(0, oh0 * sh - pt);
        const ihHi = Math.min(H - 1, (oh0 + rows - 1) * sh - pt + (KH - 1) * dh);
        const slabRows = Math.max(0, ihHi - ihLo + 1);
        let inBytes = 0;
        for (let c = 0; c < chans; c++) {
          const plane = new Float64Array(slabRows * W);
          for (let r = 0; r < slabRows; r++) plane.set(dmaLoad(x, xOff, ((n * C + c0 + c) * H + ihLo + r) * W, W), r * W);
          inBytes += plane.length * eb;
          for (let r = 0; r < rows; r++) {
            const oh = oh0 + r;
            const out = new Float64Array(OW);
            for (let ow = 0; ow < OW; ow++) {
              const h0 = oh * sh - pt;
              const w0 = ow * sw - pl;
              let m = -Infinity;
              let sum = 0;
              for (let kh = 0, ih = h0; kh < KH; kh++, ih += dh) {
                if (ih < 0 || ih >= H) continue;
                for (let kw = 0, iw = w0; kw < KW; kw++, iw += dw) {
                  if (iw < 0 || iw >= W) continue;
                  const v = plane[(ih - ihLo) * W + iw]!;
                  if (op === "maxPool2d") {
                    if (m === m && (v > m || v !== v)) m = v; // once NaN, stays NaN
                  } else sum = f32(sum + v);
                }
              }
              if (op === "maxPool2d") out[ow] = m;
              else {
                const count = includePad
                  ? tapsWithin(h0, KH, dh, -pt, H + pb) * tapsWithin(w0, KW, dw, -pl, W + pr)
                  : tapsWithin(h0, KH, dh, 0, H) * tapsWithin(w0, KW, dw, 0, W);
                out[ow] = count > 0 ? f32(sum / count) : 0;
              }
            }
            dmaStore(y, ((n * C + c0 + c) * OH + oh) * OW, out);
          }
        }
        const outputs = chans * rows * OW;
        prog.step(block, { inBytes, computeCycles: prog.vectorCycles(outputs, KH * KW + (op === "avgPool2d" ? 1 : 0), float32), outBytes: outputs * eb });
      }
    }
  }
  npu.record(prog.finish());
}

const FLOATS = ["float32", "float16"] as const;

export const poolKernels: NpuRegistration[] = [
  npuKernel("maxPool2d", FLOATS, ({ inputs: [x], outputs: [y], attrs }, device) => runPool(npuOf(device, "maxPool2d"), "maxPool2d", x!, y!, attrs)),
  npuKernel("avgPool2d", FLOATS, ({ inputs: [x], outputs: [y], attrs }, device) => runPool(npuOf(device, "avgPool2d"), "avgPool2d", x!, y!, attrs)),
];
