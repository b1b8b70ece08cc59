import { requireContiguous } from "../families/contiguous.ts";
import { poolParams, WINDOW_ARGMAX_WGSL } from "../families/pool.ts";
import { FLOATS, webgpuKernel } from "../families/registration.ts";
import { mapKernel } from "../wgsl/map-kernel.ts";

/** Max over each window; padding never wins (a window wholly in padding gives -Inf); NaN propagates. */
export const maxPool2dKernel = webgpuKernel("maxPool2d", FLOATS, ({ inputs: [x], outputs: [y], attrs }, device) => {
  requireContiguous("maxPool2d", [x]);
  const { params } = poolParams("maxPool2d", x!.shape, attrs);
  params.u32("x_off", x!.offset);
  mapKernel(device, {
    op: "maxPool2d",
    key: "maxPool2d",
    inputs: [{ buffer: x!.buffer, dtype: x!.dtype }],
    output: y!,
    params,
    helpers: WINDOW_ARGMAX_WGSL,
    body: [
      "  let ohw = u32(prm_OH() * prm_OW());",
      "  let plane = e / ohw; let q = e % ohw;",
      "  let base = prm_x_off() + plane * u32(prm_H() * prm_W());",
      "  let at = window_argmax(base, i32(q) / prm_OW(), i32(q) % prm_OW());",
      "  if (at < 0) { return -f_inf(); }",
      "  return ld_in0(base + u32(at));",
    ].join("\n"),
  });
});
