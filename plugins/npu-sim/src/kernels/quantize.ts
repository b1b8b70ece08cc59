import { dtypeBytes, KernelError, normalizeAxis, numAttr, sizeOf, type Attrs, type TensorView } from "@polychip/hal";
import { elementOffsets, type HostBuffer } from "@polychip/plugin-sdk";
import { dmaLoad, dmaStore } from "../chip/dma.ts";
import { integerRange, roundHalfEven, saturate } from "../chip/numerics.ts";
import { planStream } from "../chip/stream-tiling.ts";
import { TileProgram } from "../chip/tile-program.ts";
import { npuOf } from "../device.ts";
import { npuKernel, type NpuRegistration } from "./registration.ts";

const f32 = Math.fround;

/**
 * Scale and zero point per element position, ONNX style: a scalar (or [1]) parameter is
 * per-tensor; a 1-D parameter of x.shape[axis] entries is per-axis (attrs.axis, default 1).
 */
export interface QuantParams {
  readonly scale: Float64Array;
  readonly zeroPoint: Float64Array;
  /** Elements per step of the quantisation axis, and its length (1 for per-tensor). */
  readonly inner: number;
  readonly channels: number;
}

export function quantParams(
  op: string,
  x: TensorView<HostBuffer>,
  scale: TensorView<HostBuffer>,
  zeroPoint: TensorView<HostBuffer> | undefined,
  attrs: Attrs,
): QuantParams {
  const load = (v: TensorView<HostBuffer>) => dmaLoad(v, elementOffsets(v.shape, v.strides, v.offset), 0, sizeOf(v.shape));
  const s = load(scale);
  const z = zeroPoint ? load(zeroPoint) : new Float64Array(s.length);
  if (z.length !== s.length) throw new KernelError(`npu-sim ${op}: scale has ${s.length} entries but zeroPoint has ${z.length}`);
  if (s.length === 1) return { scale: s, zeroPoint: z, inner: 1, channels: 1 };
  const axis = normalizeAxis(op, numAttr(op, attrs, "axis", 1), x.shape.length);
  if (scale.shape.length !== 1 || s.length !== x.shape[axis]) {
    throw new KernelError(
      `npu-sim ${op}: a per-axis scale must be 1-D with ${x.shape[axis]} entries (axis ${axis} of [${x.shape.join(", ")}]), got [${scale.shape.join(", ")}]`,
    );
  }
  return { scale: s, zeroPoint: z, inner: sizeOf(x.shape.slice(axis + 1)), channels: s.length };
}

/** A streaming vector-unit kernel over x with per-position quantisation parameters held on chip. */
function quantStream(op: string, opsPerElement: number, convert: (v: number, scale: number, zp: number) => number) {
  return (
    { inputs: [x, scale, zp], outputs: [y], attrs }: { inputs: readonly TensorView<HostBuffer>[]; outputs: readonly TensorView<HostBuffer>[]; attrs: Attrs },
    device: unknown,
  ) => {
    const npu = npuOf(device, op);
    const q = quantParams(op, x!, scale!, zp, attrs);
    const n = sizeOf(y!.shape);
    const prog = new TileProgram(npu.profile, op, "vector", x!.dtype);
    const paramBytes = q.channels * (dtypeBytes(scale!.dtype) + (zp ? dtypeBytes(zp.dtype) : 0));
    const perElement = dtypeBytes(x!.dtype) + dtypeBytes(y!.dtype);
    const tile = planStream(prog, n, perElement, paramBytes);
    const xOff = elementOffsets(x!.shape, x!.strides, x!.offset);
    const float32 = x!.dtype === "float32" || y!.dtype === "float32";
    for (let start = 0, t = 0; start < n; start += tile, t++) {
      const count = Math.min(tile, n - start);
      const v = dmaLoad(x!, xOff, start, count);
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        const c = Math.floor((start + i) / q.inner) % q.channels;
        out[i] = convert(v[i]!, q.scale[c]!, q.zeroPoint[c]!);
      }
      dmaStore(y!, start, out);
      // The first tile on each core also brings the parameters on chip.
      const params = t < npu.profile.cores ? paramBytes : 0;
      prog.step(t, {
        inBytes: count * dtypeBytes(x!.dtype) + params,
        computeCycles: prog.vectorCycles(count, opsPerElement, float32),
        outBytes: count * dtypeBytes(y!.dtype),
      });
    }
    npu.record(prog.finish());
  };
}

/**
 * Kernels for the proposed HAL ops quantizeLinear / dequantizeLinear (ONNX QuantizeLinear /
 * DequantizeLinear semantics; see hal/src/ops/quantized.ts):
 * quantize: y = saturate(roundHalfToEven(x / scale) + zeroPoint), the division in fp32, NaN → 0;
 * dequantize: y = (float32(x) - float32(zeroPoint)) * scale in fp32, rounded to y's dtype.
 */
export const quantizeKernels: NpuRegistration[] = [
  npuKernel("quantizeLinear", ["float32", "float16"], (call, device) => {
    const [lo, hi] = integerRange(call.outputs[0]!.dtype);
    quantStream("quantizeLinear", 3, (v, s, zp) => saturate(roundHalfEven(f32(v / s)) + zp, lo, hi))(call, device);
  }),
  npuKernel("dequantizeLinear", ["int8", "uint8", "int32"], (call, device) => {
    quantStream("dequantizeLinear", 2, (v, s, zp) => f32(f32(f32(v) - f32(zp)) * s))(call, device);
  }),
];
