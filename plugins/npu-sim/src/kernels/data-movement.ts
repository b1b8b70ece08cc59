import { dtypeBytes, isFloat, numAttr, randomStandardNormal, randomUnit, sizeOf, type DType } from "@polychip/hal";
import { castValue, elementOffsets } from "@polychip/plugin-sdk";
import { dmaLoad, dmaScatter } from "../chip/dma.ts";
import { planStream } from "../chip/stream-tiling.ts";
import { TileProgram } from "../chip/tile-program.ts";
import { npuOf } from "../device.ts";
import { NPU_DTYPES } from "../dtypes.ts";
import { streamKernel } from "./elementwise.ts";
import { npuKernel, type NpuKernel, type NpuRegistration } from "./registration.ts";

const f32 = Math.fround;

/** The HAL cast rule on the vector unit: float → int truncates (int8/uint8 saturate, NaN → 0), to bool is x != 0. */
const toDType = (v: number, to: DType) => (isFloat(to) ? v : castValue(v, to));

/**
 * copy is pure DMA: a gather descriptor over the source view, a scatter descriptor over the
 * destination (which may be a strided region of a larger buffer, as concat and pad write), staged
 * through neuron RAM in tiles; the vector unit does nothing.
 */
const copyKernel: NpuKernel = ({ inputs: [x], outputs: [y] }, device) => {
  const npu = npuOf(device, "copy");
  const n = sizeOf(y!.shape);
  const bytes = dtypeBytes(x!.dtype);
  const prog = new TileProgram(npu.profile, "copy", "vector", x!.dtype);
  const source = elementOffsets(x!.shape, x!.strides, x!.offset);
  // Positions relative to the destination's offset, which dmaScatter adds.
  const target = elementOffsets(y!.shape, y!.strides, 0);
  const tile = planStream(prog, n, bytes);
  for (let start = 0, t = 0; start < n; start += tile, t++) {
    const count = Math.min(tile, n - start);
    dmaScatter(y!, target.subarray(start, start + count), dmaLoad(x!, source, start, count));
    prog.step(t, { inBytes: count * bytes, computeCycles: 0, outBytes: count * bytes });
  }
  npu.record(prog.finish());
};

/** cast reads one dtype and writes another; registered under every source dtype. */
const castKernel: NpuKernel = (call, device) => {
  const to = call.outputs[0]!.dtype;
  streamKernel("cast", 1, ([x], i) => toDType(x![i]!, to))(call, device);
};

const fillKernel: NpuKernel = (call, device) => {
  const y = call.outputs[0]!;
  const value = toDType(numAttr("fill", call.attrs, "value", 0), y.dtype);
  streamKernel("fill", 1, () => value)(call, device);
};

/** Random fills follow the HAL's counter-based stream bit for bit (every step rounded to fp32), so they match every device. */
const randomUniformKernel: NpuKernel = (call, device) => {
  const { attrs } = call;
  const to = call.outputs[0]!.dtype;
  const seed = numAttr("randomUniform", attrs, "seed", 0);
  const low = f32(numAttr("randomUniform", attrs, "low", 0));
  const span = f32(f32(numAttr("randomUniform", attrs, "high", 1)) - low);
  streamKernel("randomUniform", 8, (_, _i, flat) => toDType(f32(low + f32(span * randomUnit(seed, flat))), to))(call, device);
};

const randomNormalKernel: NpuKernel = (call, device) => {
  const { attrs } = call;
  const to = call.outputs[0]!.dtype;
  const seed = numAttr("randomNormal", attrs, "seed", 0);
  const mean = f32(numAttr("randomNormal", attrs, "mean", 0));
  const std = f32(numAttr("randomNormal", attrs, "std", 1));
  streamKernel("randomNormal", 16, (_, _i, flat) => toDType(f32(mean + f32(std * f32(randomStandardNormal(seed, flat)))), to))(call, device);
};

export const dataMovementKernels: NpuRegistration[] = [
  npuKernel("copy", NPU_DTYPES, copyKernel),
  npuKernel("cast", NPU_DTYPES, castKernel),
  npuKernel("fill", NPU_DTYPES, fillKernel),
  npuKernel("randomUniform", NPU_DTYPES, randomUniformKernel),
  npuKernel("randomNormal", NPU_DTYPES, randomNormalKernel),
];
