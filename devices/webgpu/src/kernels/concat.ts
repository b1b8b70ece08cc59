import { contiguousStrides, normalizeAxis, numAttr, sizeOf } from "@polychip/hal";
import { elementwise } from "../families/elementwise.ts";
import { ALL, webgpuKernel } from "../families/registration.ts";

/** concat along attrs.axis: each input is copied into its slab of the output (one strided copy per input, in one batch). */
export const concatKernel = webgpuKernel("concat", ALL, ({ inputs, outputs: [y], attrs }, device) => {
  const axis = normalizeAxis("concat", numAttr("concat", attrs, "axis", 0), y!.shape.length);
  const strides = contiguousStrides(y!.shape);
  let start = 0;
  for (const x of inputs) {
    if (sizeOf(x.shape) > 0) {
      const slab = { buffer: y!.buffer, dtype: y!.dtype, shape: x.shape, strides, offset: y!.offset + start * strides[axis]! };
      elementwise(device, { op: "concat", key: "copy", inputs: [x], output: slab, expr: ([v]) => v!, stridedOutput: true });
    }
    start += x.shape[axis]!;
  }
});
