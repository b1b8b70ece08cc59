import { KernelError, sizeOf, type TensorView } from "@polychip/hal";
import { elementOffsets, type HostBuffer } from "@polychip/plugin-sdk";
import { dmaLoad } from "../chip/dma.ts";
import { int8Mode } from "../chip/int8-mode.ts";
import { integerRange } from "../chip/numerics.ts";
import { npuOf } from "../device.ts";
import { fusedActivation, runConv2dProgram } from "./conv2d-program.ts";
import { runMatmulProgram } from "./matmul-program.ts";
import { npuKernel, type NpuRegistration } from "./registration.ts";

function values(v: TensorView<HostBuffer>): Float64Array {
  return dmaLoad(v, elementOffsets(v.shape, v.strides, v.offset), 0, sizeOf(v.shape));
}

/** A per-tensor parameter (scalar or [1]). */
function scalar(op: string, what: string, v: TensorView<HostBuffer>): number {
  const vs = values(v);
  if (vs.length !== 1) throw new KernelError(`npu-sim ${op}: ${what} must be per-tensor (one value), got [${v.shape.join(", ")}]`);
  return vs[0]!;
}

/** A per-tensor or per-channel parameter, as a lookup by channel. */
function perChannel(op: string, what: string, v: TensorView<HostBuffer>, channels: number): (c: number) => number {
  const vs = values(v);
  if (vs.length === 1) return () => vs[0]!;
  if (vs.length !== channels) throw new KernelError(`npu-sim ${op}: ${what} must have 1 or ${channels} entries, got [${v.shape.join(", ")}]`);
  return (c) => vs[c]!;
}

/**
 * Kernels for the proposed HAL ops quantizedMatmul / quantizedConv2d (ONNX QLinearMatMul /
 * QLinearConv, see hal/src/ops/quantized.ts): the int8 path of the tensor unit.
 */
export const quantizedKernels: NpuRegistration[] = [
  // Inputs: a, aScale, aZeroPoint, b, bScale (per-tensor or per-column), bZeroPoint, yScale, yZeroPoint.
  npuKernel("quantizedMatmul", ["int8", "uint8"], ({ inputs, outputs: [y], attrs }, device) => {
    const op = "quantizedMatmul";
    const [a, aScale, aZero, b, bScale, bZero, yScale, yZero] = inputs as TensorView<HostBuffer>[];
    const N = y!.shape[y!.shape.length - 1]!;
    const sa = scalar(op, "aScale", aScale!);
    const sb = perChannel(op, "bScale", bScale!, N);
    const sy = scalar(op, "yScale", yScale!);
    const mode = int8Mode({
      inputZero: scalar(op, "aZeroPoint", aZero!),
      weightZero: perChannel(op, "bZeroPoint", bZero!, N),
      multiplier: (c) => (sa * sb(c)) / sy,
      outputZero: scalar(op, "yZeroPoint", yZero!),
      outputRange: integerRange(y!.dtype),
      relu: false,
    });
    runMatmulProgram(npuOf(device, op), op, a!, b!, y!, attrs, mode);
  }),
  // Inputs: x, xScale, xZeroPoint, w, wScale (per-tensor or per output channel), wZeroPoint, yScale, yZeroPoint, bias (int32, optional).
  npuKernel("quantizedConv2d", ["int8", "uint8"], ({ inputs, outputs: [y], attrs }, device) => {
    const op = "quantizedConv2d";
    const [x, xScale, xZero, w, wScale, wZero, yScale, yZero, bias] = inputs as (TensorView<HostBuffer> | undefined)[];
    const OC = w!.shape[0]!;
    const sx = scalar(op, "xScale", xScale!);
    const sw = perChannel(op, "wScale", wScale!, OC);
    const sy = scalar(op, "yScale", yScale!);
    const mode = int8Mode({
      inputZero: scalar(op, "xZeroPoint", xZero!),
      weightZero: perChannel(op, "wZeroPoint", wZero!, OC),
      multiplier: (c) => (sx * sw(c)) / sy,
      outputZero: scalar(op, "yZeroPoint", yZero!),
      outputRange: integerRange(y!.dtype),
      bias: bias ? values(bias) : undefined,
      relu: fusedActivation(op, attrs) === "relu",
    });
    runConv2dProgram(npuOf(device, op), op, x!, w!, y!, attrs, mode);
  }),
];
