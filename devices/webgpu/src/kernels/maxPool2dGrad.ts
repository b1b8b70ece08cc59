import { requireContiguous } from "../families/contiguous.ts";
import { checkPoolGradOut, poolParams, WINDOW_WGSL } from "../families/pool.ts";
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
    helpers: WINDOW_WGSL,
    body: [
      "  let hw = u32(prm_H() * prm_W());",
      "  let plane = e / hw; let at = i32(e % hw);",
      "  let ih = at / prm_W(); let iw = at % prm_W();",
      "  let base = prm_x_off() + plane * hw;",
      "  let gbase = prm_g_off() + plane * u32(prm_OH() * prm_OW());",
      "  var acc = 0.0f;",
      "  for (var ki = 0; ki < prm_KH(); ki++) {",
      "    let oh = window_of(ih, ki, prm_sh(), prm_pt(), prm_dh(), prm_OH());",
      "    if (oh < 0) { continue; }",
      "    for (var kj = 0; kj < prm_KW(); kj++) {",
      "      let ow = window_of(iw, kj, prm_sw(), prm_pl(), prm_dw(), prm_OW());",
      "      if (ow < 0) { continue; }",
      "      if (window_argmax(base, oh, ow) == at) { acc += ld_in1(gbase + u32(oh * prm_OW() + ow)); }",
      "    }",
      "  }",
      "  return acc;",
    ].join("\n"),
  });
});
