import { elementwise } from "../families/elementwise.ts";
import { ALL, webgpuKernel } from "../families/registration.ts";

/** Strided view to strided view: the destination may be a slice of a larger buffer (concat, in-place updates). */
export const copyKernel = webgpuKernel("copy", ALL, ({ inputs: [x], outputs: [y] }, device) => {
  elementwise(device, { op: "copy", key: "copy", inputs: [x!], output: y!, expr: ([v]) => v!, stridedOutput: true });
});
