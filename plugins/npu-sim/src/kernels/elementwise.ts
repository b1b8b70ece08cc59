import { dtypeBytes, isFloat, sizeOf } from "@polychip/hal";
import { BINARY_SCALAR, broadcastOffsets, UNARY_SCALAR } from "@polychip/plugin-sdk";
import { dmaLoad, dmaStore } from "../chip/dma.ts";
import { planStream } from "../chip/stream-tiling.ts";
import { TileProgram } from "../chip/tile-program.ts";
import { VECTOR_OP_COST } from "../chip/vector-program.ts";
import { npuOf } from "../device.ts";
import { NPU_DTYPES } from "../dtypes.ts";
import { npuKernel, type NpuKernel, type NpuRegistration } from "./registration.ts";

const f32 = Math.fround;
const same = (v: number) => v;

/** Computes one output element from the tile's loaded inputs; `flat` is its row-major position in the whole output. */
export type ElementFn = (values: Float64Array[], i: number, flat: number) => number;

/**
 * A streaming vector-unit kernel: the output is cut into tiles of as many elements as fit the
 * neuron RAM double-buffered (inputs and output), tiles go round-robin to the cores, each tile
 * is DMA'd in (any strided or broadcast input view), computed and DMA'd out. Float results are
 * rounded to fp32 by the unit (float16 outputs round to nearest even on the store); integer and
 * bool results are stored as the dtype stores them (integers wrap, as 32-bit lanes do).
 * 32-bit lanes (float32, int32) run at half the fp16 rate.
 */
export function streamKernel(op: string, opsPerElement: number, fn: ElementFn): NpuKernel {
  return ({ inputs, outputs: [y] }, device) => {
    const npu = npuOf(device, op);
    const n = sizeOf(y!.shape);
    const prog = new TileProgram(npu.profile, op, "vector", inputs[0]?.dtype ?? y!.dtype);
    const offsets = inputs.map((v) => broadcastOffsets(v, y!.shape));
    const outBytes = dtypeBytes(y!.dtype);
    const bytesPerElement = inputs.reduce((s, v) => s + dtypeBytes(v.dtype), 0) + outBytes;
    const tile = planStream(prog, n, bytesPerElement);
    const wide = Math.max(outBytes, ...inputs.map((v) => dtypeBytes(v.dtype))) >= 4;
    const round = isFloat(y!.dtype) ? f32 : same;
    for (let start = 0, t = 0; start < n; start += tile, t++) {
      const count = Math.min(tile, n - start);
      const loaded = inputs.map((v, k) => dmaLoad(v, offsets[k]!, start, count));
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = round(fn(loaded, i, start + i));
      dmaStore(y!, start, out);
      prog.step(t, { inBytes: count * (bytesPerElement - outBytes), computeCycles: prog.vectorCycles(count, opsPerElement, wide), outBytes: count * outBytes });
    }
    npu.record(prog.finish());
  };
}

export const elementwiseKernels: NpuRegistration[] = [
  ...Object.entries(UNARY_SCALAR).map(([op, fn]) =>
    npuKernel(
      op,
      NPU_DTYPES,
      streamKernel(op, VECTOR_OP_COST[op] ?? 1, ([x], i) => fn(x![i]!)),
    ),
  ),
  ...Object.entries(BINARY_SCALAR).map(([op, [floatFn, intFn]]) =>
    npuKernel(op, NPU_DTYPES, (call, device) => {
      const fn = isFloat(call.inputs[0]!.dtype) ? floatFn : intFn;
      streamKernel(op, VECTOR_OP_COST[op] ?? 1, ([a, b], i) => fn(a![i]!, b![i]!))(call, device);
    }),
  ),
  // The engine looks `where` up by its condition (bool), the kit by its values: every dtype.
  npuKernel(
    "where",
    NPU_DTYPES,
    streamKernel("where", 1, ([c, a, b], i) => (c![i]! !== 0 ? a![i]! : b![i]!)),
  ),
];
