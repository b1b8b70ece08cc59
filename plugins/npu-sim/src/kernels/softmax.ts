import { dtypeBytes, KernelError, normalizeAxis, numAttr, sizeOf } from "@polychip/hal";
import { elementOffsets } from "@polychip/plugin-sdk";
import { dmaLoad, dmaScatter } from "../chip/dma.ts";
import { TileProgram } from "../chip/tile-program.ts";
import { npuOf } from "../device.ts";
import { npuKernel, type NpuRegistration } from "./registration.ts";

const f32 = Math.fround;

/** Vector-unit operations per element: max, subtract, exp (4), add, divide. */
const OPS_PER_ELEMENT = 8;

/**
 * softmax along attrs.axis on the vector unit, in fp32: each tile holds whole rows (a row that
 * does not fit the neuron RAM cannot tile), loaded through a strided descriptor when the axis is
 * not the last. The row sum is accumulated across the vector lanes and then reduced, as the
 * hardware does; x - max keeps exp in range; ±Inf and NaN propagate as the formula says.
 */
export const softmaxKernels: NpuRegistration[] = [
  npuKernel("softmax", ["float32", "float16"], ({ inputs: [x], outputs: [y], attrs }, device) => {
    const npu = npuOf(device, "softmax");
    const shape = x!.shape;
    const axis = normalizeAxis("softmax", numAttr("softmax", attrs, "axis", -1), shape.length);
    const D = shape[axis] ?? 1;
    const inner = sizeOf(shape.slice(axis + 1));
    const rowsTotal = sizeOf(shape) / Math.max(1, D);
    const eb = dtypeBytes(x!.dtype);
    const prog = new TileProgram(npu.profile, "softmax", "vector", x!.dtype);
    const rowBytes = D * (2 * eb + 2 * eb + 4); // double-buffered in and out, plus the fp32 exponentials
    const fit = Math.floor(prog.neuronCapacity / Math.max(1, rowBytes));
    if (fit < 1) {
      throw new KernelError(
        `npu-sim softmax: cannot tile: a row of ${D} ${x!.dtype} elements needs ${rowBytes} bytes of neuron RAM but a core has ${prog.neuronCapacity}`,
      );
    }
    const tileRows = Math.max(1, Math.min(fit, Math.ceil(rowsTotal / npu.profile.cores)));
    prog.reserve(tileRows * rowBytes, 0, `rows of ${D}`);
    const xOff = elementOffsets(x!.shape, x!.strides, x!.offset);
    const lanes = npu.profile.vectorLanes;
    const partial = new Float64Array(lanes);
    let tile = 0;
    for (let r0 = 0; r0 < rowsTotal; r0 += tileRows, tile++) {
      const rows = Math.min(tileRows, rowsTotal - r0);
      for (let r = r0; r < r0 + rows; r++) {
        const o = Math.floor(r / inner);
        const i = r % inner;
        const positions = new Int32Array(D);
        for (let d = 0; d < D; d++) positions[d] = (o * D + d) * inner + i;
        const rowOffsets = positions.map((p) => xOff[p]!);
        const v = dmaLoad(x!, rowOffsets, 0, D);
        let m = -Infinity;
        for (let d = 0; d < D; d++) m = Math.max(m, v[d]!);
        partial.fill(0);
        const e = new Float64Array(D);
        for (let d = 0; d < D; d++) {
          e[d] = f32(Math.exp(f32(v[d]! - m)));
          partial[d % lanes] = f32(partial[d % lanes]! + e[d]!);
        }
        // Tree reduction of the lane partial sums.
        for (let width = lanes / 2; width >= 1; width /= 2) for (let l = 0; l < width; l++) partial[l] = f32(partial[l]! + partial[l + width]!);
        const sum = partial[0]!;
        for (let d = 0; d < D; d++) e[d] = f32(e[d]! / sum);
        dmaScatter(y!, positions, e);
      }
      const n = rows * D;
      prog.step(tile, { inBytes: n * eb, computeCycles: prog.vectorCycles(n, OPS_PER_ELEMENT, x!.dtype === "float32"), outBytes: n * eb });
    }
    npu.record(prog.finish());
  }),
];
