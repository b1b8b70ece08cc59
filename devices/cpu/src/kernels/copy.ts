import { DTypeError, formatShape, shapesEqual, ShapeError } from "@polychip/hal";
import { rawArray, readRaw, scatterStrided } from "../views.ts";
import { cpuKernel, type CpuRegistration } from "./registration.ts";

/**
 * copy: strided source view into a destination view that may itself be strided (a slice of a
 * larger buffer). Bits move unchanged. The source is read completely before the first write, so
 * overlapping views of one buffer copy as if through a temporary.
 */
export const copyKernels: CpuRegistration[] = [
  cpuKernel("copy", ({ inputs: [x], outputs: [y] }) => {
    if (x!.dtype !== y!.dtype) throw new DTypeError(`copy: source is ${x!.dtype} but destination is ${y!.dtype}`);
    if (!shapesEqual(x!.shape, y!.shape)) throw new ShapeError(`copy: source shape ${formatShape(x!.shape)} differs from destination ${formatShape(y!.shape)}`);
    let src = readRaw(x!);
    if (x!.buffer === y!.buffer) src = src.slice();
    scatterStrided(src, 0, rawArray(y!.buffer, y!.dtype), y!.offset, y!.shape, y!.strides);
  }),
];
