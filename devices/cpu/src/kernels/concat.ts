import { contiguousStrides, normalizeAxis, numAttr, sizeOf } from "@polychip/hal";
import { openRawOutput, readRaw } from "../views.ts";
import { cpuKernel, type CpuRegistration } from "./registration.ts";

/** Blocks from this many elements move with one TypedArray.set; shorter ones element by element. */
const MIN_BLOCK_COPY = 16;

/**
 * concat along attrs.axis: each input's elements move unchanged into its slab of the output. With
 * the output and each input's values in row-major order, an input is `outer` blocks of
 * x.shape[axis]·inner consecutive elements, each landing at a fixed offset of the output's block.
 */
export const concatKernels: CpuRegistration[] = [
  cpuKernel("concat", ({ inputs, outputs: [y], attrs }) => {
    const axis = normalizeAxis("concat", numAttr("concat", attrs, "axis", 0), y!.shape.length);
    const out = openRawOutput(y!);
    const total = sizeOf(y!.shape);
    if (total > 0) {
      const inner = contiguousStrides(y!.shape)[axis]!;
      const yBlock = y!.shape[axis]! * inner;
      const outer = total / yBlock;
      const r = out.raw;
      let at = 0;
      for (const x of inputs) {
        const xs = readRaw(x);
        const xBlock = x.shape[axis]! * inner;
        for (let o = 0; o < outer; o++) {
          const [src, dst] = [o * xBlock, o * yBlock + at];
          if (xBlock >= MIN_BLOCK_COPY) r.set(xs.subarray(src, src + xBlock), dst);
          else for (let k = 0; k < xBlock; k++) r[dst + k] = xs[src + k]!;
        }
        at += xBlock;
      }
    }
    out.commit();
  }),
];
