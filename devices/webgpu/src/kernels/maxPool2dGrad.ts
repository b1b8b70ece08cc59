import { requireContiguous } from "../families/contiguous.ts";
import { checkPoolGradOut, gatherOverWindows, poolParams, WINDOW_ARGMAX_WGSL, WINDOW_WGSL } from "../families/pool.ts";
import { FLOATS, webgpuKernel } from "../families/registration.ts";
import { mapKernel } from "../wgsl/map-kernel.ts";

/**
 * Gradient of maxPool2d, gathered per input pixel so no two invocations add into one element: each
 * pixel sums gradOut over the windows that contain it and whose first max (as maxPool2d picks it) it is.
 */
export const maxPool2dGradKernel = webgpuKernel("maxPool2dGrad", FLOATS, ({ inputs: [x, gradOut], outputs: [y], attrs }, device) => {
  requireContiguous("maxPool2dGrad", [x, gradOut]);
  const { params, OH, OW } = poolParams("maxPool2dGrad", x!.shape, attrs);
  checkPoolGradOut("maxPool2dGrad", x!.shape, OH, OW, gradOut!.shape);
  params.u32("x_off", x!.offset).u32("g_off", gradOut!.offset);
  mapKernel(device, {
    op: "maxPool2dGrad",
    key: "maxPool2dGrad",
    inputs: [x!, gradOut!].map((v) => ({ buffer: v.buffer, dtype: v.dtype })),
    output: y!,
    params,
    helpers: `${WINDOW_WGSL}\n${WINDOW_ARGMAX_WGSL}`,
    body: gatherOverWindows("if (window_argmax(prm_x_off() + plane * hw, oh, ow) == at) { acc += ld_in1(gbase + u32(oh * prm_OW() + ow)); }"),
  });
});
