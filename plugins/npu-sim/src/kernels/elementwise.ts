import { dtypeBytes, sizeOf } from "@polychip/hal";
import { broadcastOffsets } from "@polychip/plugin-sdk";
import { dmaLoad, dmaStore } from "../chip/dma.ts";
import { planStream } from "../chip/stream-tiling.ts";
import { TileProgram } from "../chip/tile-program.ts";
import { npuOf } from "../device.ts";
import { npuKernel, type NpuKernel, type NpuRegistration } from "./registration.ts";

const f32 = Math.fround;

/**
 * A streaming vector-unit kernel: the output is cut into tiles of as many elements as fit the
 * neuron RAM double-buffered (inputs and output), tiles go round-robin to the cores, each tile
 * is DMA'd in (any strided or broadcast input view), computed in fp32 and DMA'd out (float16
 * outputs round to nearest even on the store).
 */
function streamKernel(op: string, opsPerElement: number, fn: (values: Float64Array[], i: number) => number): NpuKernel {
  return ({ inputs, outputs: [y] }, device) => {
    const npu = npuOf(device, op);
    const n = sizeOf(y!.shape);
    const prog = new TileProgram(npu.profile, op, "vector", y!.dtype);
    const offsets = inputs.map((v) => broadcastOffsets(v, y!.shape));
    const bytesPerElement = inputs.reduce((s, v) => s + dtypeBytes(v.dtype), 0) + dtypeBytes(y!.dtype);
    const tile = planStream(prog, n, bytesPerElement);
    const float32 = y!.dtype === "float32";
    for (let start = 0, t = 0; start < n; start += tile, t++) {
      const count = Math.min(tile, n - start);
      const loaded = inputs.map((v, k) => dmaLoad(v, offsets[k]!, start, count));
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = f32(fn(loaded, i));
      dmaStore(y!, start, out);
      prog.step(t, { inBytes: count * (bytesPerElement - dtypeBytes(y!.dtype)), computeCycles: prog.vectorCycles(count, opsPerElement, float32), outBytes: count * dtypeBytes(y!.dtype) });
    }
    npu.record(prog.finish());
  };
}

const FLOATS = ["float32", "float16"] as const;

export const elementwiseKernels: NpuRegistration[] = [
  npuKernel("add", FLOATS, streamKernel("add", 1, ([a, b], i) => a![i]! + b![i]!)),
  npuKernel("mul", FLOATS, streamKernel("mul", 1, ([a, b], i) => a![i]! * b![i]!)),
  // NaN passes through, as max(x, 0) on the vector unit keeps a NaN operand.
  npuKernel("relu", FLOATS, streamKernel("relu", 1, ([x], i) => {
    const v = x![i]!;
    return v > 0 || v !== v ? v : 0;
  })),
];

export { streamKernel };
