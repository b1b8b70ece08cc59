import { requireContiguous } from "../families/contiguous.ts";
import { poolParams, WINDOW_WGSL } from "../families/pool.ts";
import { FLOATS, webgpuKernel } from "../families/registration.ts";
import { mapKernel } from "../wgsl/map-kernel.ts";

/** Mean over each window with the HAL's divisor (see WINDOW_WGSL's window_count); a window wholly in padding gives 0. */
export const avgPool2dKernel = webgpuKernel("avgPool2d", FLOATS, ({ inputs: [x], outputs: [y], attrs }, device) => {
  requireContiguous("avgPool2d", [x]);
  const { params } = poolParams("avgPool2d", x!.shape, attrs);
  params.u32("x_off", x!.offset);
  mapKernel(device, {
    op: "avgPool2d",
    key: "avgPool2d",
    inputs: [{ buffer: x!.buffer, dtype: x!.dtype }],
    output: y!,
    params,
    helpers: WINDOW_WGSL,
    body: [
      "  let ohw = u32(prm_OH() * prm_OW());",
      "  let plane = e / ohw; let q = i32(e % ohw);",
      "  let oh = q / prm_OW(); let ow = q % prm_OW();",
      "  let base = prm_x_off() + plane * u32(prm_H() * prm_W());",
      "  var sum = 0.0f;",
      "  for (var ki = 0; ki < prm_KH(); ki++) {",
      "    let ih = oh * prm_sh() - prm_pt() + ki * prm_dh();",
      "    if (ih < 0 || ih >= prm_H()) { continue; }",
      "    for (var kj = 0; kj < prm_KW(); kj++) {",
      "      let iw = ow * prm_sw() - prm_pl() + kj * prm_dw();",
      "      if (iw >= 0 && iw < prm_W()) { sum += ld_in0(base + u32(ih * prm_W() + iw)); }",
      "    }",
      "  }",
      "  let count = window_count(oh, ow);",
      "  return select(0.0f, sum / f32(count), count > 0);",
    ].join("\n"),
  });
});
