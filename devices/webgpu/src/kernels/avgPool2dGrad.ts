import { requireContiguous } from "../families/contiguous.ts";
import { shapeAttr } from "../families/conv.ts";
import { checkPoolGradOut, gatherOverWindows, poolParams, WINDOW_WGSL } from "../families/pool.ts";
import { FLOATS, webgpuKernel } from "../families/registration.ts";
import { mapKernel } from "../wgsl/map-kernel.ts";

/** Gradient of avgPool2d, gathered per input pixel: the sum of gradOut / divisor over the windows that contain it. */
export const avgPool2dGradKernel = webgpuKernel("avgPool2dGrad", FLOATS, ({ inputs: [gradOut], outputs: [y], attrs }, device) => {
  requireContiguous("avgPool2dGrad", [gradOut]);
  const xShape = shapeAttr("avgPool2dGrad", attrs, "inputShape");
  const { params, OH, OW } = poolParams("avgPool2dGrad", xShape, attrs);
  checkPoolGradOut("avgPool2dGrad", xShape, OH, OW, gradOut!.shape);
  params.u32("g_off", gradOut!.offset);
  mapKernel(device, {
    op: "avgPool2dGrad",
    key: "avgPool2dGrad",
    inputs: [{ buffer: gradOut!.buffer, dtype: gradOut!.dtype }],
    output: y!,
    params,
    helpers: WINDOW_WGSL,
    body: gatherOverWindows(
      "let count = window_count(oh, ow); if (count > 0) { acc += ld_in0(gbase + u32(oh * prm_OW() + ow)) / f32(count); }",
    ),
  });
});
