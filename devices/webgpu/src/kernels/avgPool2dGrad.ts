import { requireContiguous } from "../families/contiguous.ts";
import { shapeAttr } from "../families/conv.ts";
import { checkPoolGradOut, poolParams, WINDOW_WGSL } from "../families/pool.ts";
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
    helpers: WINDOW_WGSL.replace(/fn window_argmax[\s\S]*?\n}\n/, ""),
    body: [
      "  let hw = u32(prm_H() * prm_W());",
      "  let plane = e / hw; let at = i32(e % hw);",
      "  let ih = at / prm_W(); let iw = at % prm_W();",
      "  let gbase = prm_g_off() + plane * u32(prm_OH() * prm_OW());",
      "  var acc = 0.0f;",
      "  for (var ki = 0; ki < prm_KH(); ki++) {",
      "    let oh = window_of(ih, ki, prm_sh(), prm_pt(), prm_dh(), prm_OH());",
      "    if (oh < 0) { continue; }",
      "    for (var kj = 0; kj < prm_KW(); kj++) {",
      "      let ow = window_of(iw, kj, prm_sw(), prm_pl(), prm_dw(), prm_OW());",
      "      if (ow < 0) { continue; }",
      "      let count = window_count(oh, ow);",
      "      if (count > 0) { acc += ld_in0(gbase + u32(oh * prm_OW() + ow)) / f32(count); }",
      "    }",
      "  }",
      "  return acc;",
    ].join("\n"),
  });
});
