import { numAttr, sizeOf } from "@polychip/hal";
import { requireContiguous } from "../families/contiguous.ts";
import { FLOATS, webgpuKernel } from "../families/registration.ts";
import { mapKernel } from "../wgsl/map-kernel.ts";
import { ParamBlock } from "../runtime/params.ts";

/** Inference batch norm over channel dim 1: (x - mean) / sqrt(var + epsilon) * scale + bias. */
export const batchNormKernel = webgpuKernel("batchNorm", FLOATS, ({ inputs, outputs: [y], attrs }, device) => {
  requireContiguous("batchNorm", inputs);
  const [x, scale, bias, mean, variance] = inputs as [typeof inputs[0], typeof inputs[0], typeof inputs[0], typeof inputs[0], typeof inputs[0]];
  const params = new ParamBlock()
    .u32("C", x.shape[1] ?? 1)
    .u32("inner", sizeOf(x.shape.slice(2)))
    .f32("eps", numAttr("batchNorm", attrs, "epsilon", 1e-5))
    .u32("offs", [x, scale, bias, mean, variance].map((v) => v.offset));
  mapKernel(device, {
    op: "batchNorm",
    key: "batchNorm",
    inputs: [x, scale, bias, mean, variance].map((v) => ({ buffer: v.buffer, dtype: v.dtype })),
    output: y!,
    params,
    body: [
      "  let c = (e / prm_inner()) % prm_C();",
      "  let inv = 1.0f / sqrt(ld_in4(prm_offs(4u) + c) + prm_eps());",
      "  return (ld_in0(prm_offs(0u) + e) - ld_in3(prm_offs(3u) + c)) * inv * ld_in1(prm_offs(1u) + c) + ld_in2(prm_offs(2u) + c);",
    ].join("\n"),
  });
});
