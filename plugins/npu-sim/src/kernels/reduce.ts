import { boolAttr, dtypeBytes, isFloat, listAttr, normalizeAxis, numAttr, sizeOf, type TensorView } from "@polychip/hal";
import { ARG_BETTER, argIndex, elementOffsets, REDUCE_SCALAR, reducedPositions, type HostBuffer } from "@polychip/plugin-sdk";
import { dmaLoad, dmaStore } from "../chip/dma.ts";
import { planStream } from "../chip/stream-tiling.ts";
import { TileProgram } from "../chip/tile-program.ts";
import { npuOf, type NpuSimDevice } from "../device.ts";
import { NPU_DTYPES } from "../dtypes.ts";
import { npuKernel, type NpuKernel, type NpuRegistration } from "./registration.ts";

/** Bytes of one accumulator lane kept on chip per input element in flight (fp32 / int32). */
const ACC_BYTES = 4;

/**
 * Streams the input through the vector unit in tiles and returns its values in row-major order;
 * the accumulators (one per output) stay on chip and are stored once. The launch is charged as
 * a stream of the input plus the output store.
 */
function streamInput(
  npu: NpuSimDevice,
  op: string,
  x: TensorView<HostBuffer>,
  outputs: number,
  outBytes: number,
  opsPerElement: number,
): { values: Float64Array; prog: TileProgram } {
  const n = sizeOf(x.shape);
  const bytes = dtypeBytes(x.dtype);
  const prog = new TileProgram(npu.profile, op, "vector", x.dtype);
  const tile = planStream(prog, n, bytes + ACC_BYTES);
  const offsets = elementOffsets(x.shape, x.strides, x.offset);
  const values = dmaLoad(x, offsets, 0, n);
  const tiles = Math.max(1, Math.ceil(n / tile));
  for (let t = 0; t < tiles; t++) {
    const count = Math.min(tile, n - t * tile);
    prog.step(t, {
      inBytes: count * bytes,
      computeCycles: prog.vectorCycles(count, opsPerElement, bytes >= 4),
      outBytes: t === tiles - 1 ? outputs * outBytes : 0,
    });
  }
  return { values, prog };
}

function reduceKernel(op: string): NpuKernel {
  const [init, floatStep, intStep] = REDUCE_SCALAR[op]!;
  return ({ inputs: [x], outputs: [y], attrs }, device) => {
    const npu = npuOf(device, op);
    const rank = x!.shape.length;
    const axes = attrs.axes === undefined || attrs.axes === null ? [...Array(rank).keys()] : listAttr(op, attrs, "axes").map((a) => normalizeAxis(op, a, rank));
    const m = sizeOf(y!.shape);
    const { values, prog } = streamInput(npu, op, x!, m, dtypeBytes(y!.dtype), 1);
    const float = isFloat(x!.dtype);
    const step = float ? floatStep : intStep;
    // float32 lanes accumulate in fp32; float16 inputs accumulate in fp32 too and round once on the store.
    const round = float ? Math.fround : (v: number) => v;
    const target = reducedPositions(x!.shape, axes);
    const acc = new Float64Array(m).fill(init);
    for (let i = 0; i < values.length; i++) acc[target[i]!] = round(step(acc[target[i]!]!, values[i]!));
    dmaStore(y!, 0, acc);
    npu.record(prog.finish());
  };
}

function argKernel(op: "argMax" | "argMin"): NpuKernel {
  return ({ inputs: [x], outputs: [y], attrs }, device) => {
    const npu = npuOf(device, op);
    const axis = normalizeAxis(op, numAttr(op, attrs, "axis"), x!.shape.length);
    const last = boolAttr(attrs, "selectLastIndex");
    const outer = sizeOf(x!.shape.slice(0, axis));
    const n = x!.shape[axis]!;
    const inner = sizeOf(x!.shape.slice(axis + 1));
    const { values, prog } = streamInput(npu, op, x!, outer * inner, 4, 2);
    const out = new Float64Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) out[o * inner + i] = argIndex(n, (k) => values[(o * n + k) * inner + i]!, ARG_BETTER[op], last);
    }
    dmaStore(y!, 0, out);
    npu.record(prog.finish());
  };
}

export const reduceKernels: NpuRegistration[] = [
  ...Object.keys(REDUCE_SCALAR).map((op) => npuKernel(op, NPU_DTYPES, reduceKernel(op))),
  npuKernel("argMax", NPU_DTYPES, argKernel("argMax")),
  npuKernel("argMin", NPU_DTYPES, argKernel("argMin")),
];
