import { requireContiguous } from "../families/contiguous.ts";
import { shapeAttr } from "../families/conv.ts";
import { checkPoolGradOut, gatherOverWindows, poolParams, WINDOW_ARGMAX_WGSL, WINDOW_WGSL } from "../families/pool.ts";
import type { WebGpuKernel } from "../families/registration.ts";
import { mapKernel } from "../wgsl/map-kernel.ts";

/** A forward pooling kernel: one invocation per output pixel, `body` computing it from plane `x_off` on. */
function windowKernel(op: "maxPool2d" | "avgPool2d", helpers: string, body: readonly string[]): WebGpuKernel {
  return ({ inputs: [x], outputs: [y], attrs }, device) => {
    requireContiguous(op, [x]);
    const { params } = poolParams(op, x!.shape, attrs);
    params.u32("x_off", x!.offset);
    mapKernel(device, { op, key: op, inputs: [{ buffer: x!.buffer, dtype: x!.dtype }], output: y!, params, helpers, body: body.join("\n") });
  };
}

/** Max over each window; padding never wins (a window wholly in padding gives -Inf); NaN propagates. */
const maxPool2d = windowKernel("maxPool2d", WINDOW_ARGMAX_WGSL, [
  "  let ohw = u32(prm_OH() * prm_OW());",
  "  let plane = e / ohw; let q = e % ohw;",
  "  let base = prm_x_off() + plane * u32(prm_H() * prm_W());",
  "  let at = window_argmax(base, i32(q) / prm_OW(), i32(q) % prm_OW());",
  "  if (at < 0) { return -f_inf(); }",
  "  return ld_in0(base + u32(at));",
]);

/**
 * Gradient of maxPool2d, gathered per input pixel so no two invocations add into one element: each
 * pixel sums gradOut over the windows that contain it and whose first max (as maxPool2d picks it) it is.
 */
const maxPool2dGrad: WebGpuKernel = ({ inputs: [x, gradOut], outputs: [y], attrs }, device) => {
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
};

/** Mean over each window with the HAL's divisor (see WINDOW_WGSL's window_count); a window wholly in padding gives 0. */
const avgPool2d = windowKernel("avgPool2d", WINDOW_WGSL, [
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
]);

/** Gradient of avgPool2d, gathered per input pixel: the sum of gradOut / divisor over the windows that contain it. */
const avgPool2dGrad: WebGpuKernel = ({ inputs: [gradOut], outputs: [y], attrs }, device) => {
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
    body: gatherOverWindows("let count = window_count(oh, ow); if (count > 0) { acc += ld_in0(gbase + u32(oh * prm_OW() + ow)) / f32(count); }"),
  });
};

export const pool = { maxPool2d, maxPool2dGrad, avgPool2d, avgPool2dGrad };
