import { sizeOf } from "@polychip/hal";
import type { FastPath } from "../device.ts";
import type { CpuKernel, CpuRegistration } from "../kernels/registration.ts";
import { writeValues } from "../views.ts";
import { address, contiguous, fastKernel } from "./support.ts";

/**
 * dynamicQuantizeLinear in one kernel on the calling thread (the tensors are activations of a
 * few thousand elements): x's range by `dqlRange`, the scale and zero point in float32 here, y by
 * `dqlQuantize` (wasm/kernels/dynamic-quantize.ts), instead of the decomposition's two reductions
 * and two elementwise programs. A range that is NaN, infinite or zero wide (scale 0 makes
 * the reference divide 0 by 0) leaves it to the reference decomposition, as do empty or
 * non-contiguous x and y and buffers outside the WASM memory.
 */
export function fastDynamicQuantize(reference: CpuKernel): CpuRegistration {
  return fastKernel("dynamicQuantizeLinear", reference, dynamicQuantizeFast, ["float32"]);
}

const f = Math.fround;

/** Round half to even of a float32 value (exact: the result is an integer below 2^24 or the value itself). */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function dynamicQuantizeFast({ inputs: [x], outputs: [y, scaleOut, zeroPointOut] }: Parameters<CpuKernel>[0], path: FastPath): boolean {
  const [px, py] = [address(x!), address(y!)];
  const n = sizeOf(x!.shape);
  if (px === undefined || py === undefined || n === 0 || !contiguous(x!) || !contiguous(y!)) return false;
  const rt = path.runtime;
  const range = rt.tableFor(16);
  rt.call("dqlRange", px, n, range);
  const [min, max] = [rt.f32[range / 4]!, rt.f32[range / 4 + 1]!];
  // The reference's float32 steps: lo = min(min, 0), hi = max(max, 0), scale = (hi − lo) / 255.
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  const scale = f(f(hi - lo) / 255);
  if (!(scale > 0 && scale < Infinity)) return false;
  const zeroPoint = Math.min(Math.max(roundHalfEven(f(f(-lo) / scale)), 0), 255);
  rt.call("dqlQuantize", px, n, py, scale, zeroPoint);
  writeValues(scaleOut!, [scale]);
  writeValues(zeroPointOut!, [zeroPoint]);
  return true;
}
