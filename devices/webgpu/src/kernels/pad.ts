import { listAttr, numAttr, ShapeError } from "@polychip/hal";
import { castHost } from "../families/cast-expr.ts";
import { ALL, webgpuKernel } from "../families/registration.ts";
import { scalarOf } from "../wgsl/dtypes.ts";
import { mapKernel } from "../wgsl/map-kernel.ts";
import { ParamBlock } from "../runtime/params.ts";

const MODES = ["constant", "reflect", "edge"] as const;

/**
 * pad: attrs.pads [begin_0.., end_0..] (negative crops), attrs.mode constant | reflect | edge,
 * attrs.value (cast to the dtype). reflect mirrors without repeating the edge and keeps mirroring
 * for pads wider than the input; edge repeats the border. Any input strides work.
 */
export const padKernel = webgpuKernel("pad", ALL, ({ inputs: [x], outputs: [y], attrs }, device) => {
  const mode = (attrs.mode ?? "constant") as (typeof MODES)[number];
  if (!MODES.includes(mode)) throw new ShapeError(`pad: mode must be constant, reflect or edge, got ${JSON.stringify(attrs.mode)}`);
  const rank = x!.shape.length;
  const pads = listAttr("pad", attrs, "pads");
  if (mode !== "constant") {
    x!.shape.forEach((d, i) => {
      if (d === 0 && y!.shape[i]! > 0) throw new ShapeError(`pad: mode '${mode}' cannot pad dim ${i}, which is empty`);
    });
  }
  const s = scalarOf(y!.dtype);
  const value = castHost(numAttr("pad", attrs, "value", 0), y!.dtype);
  const params = new ParamBlock()
    .u32("yshape", y!.shape)
    .i32("xshape", x!.shape)
    .i32("xst", x!.strides)
    .i32("begin", pads.slice(0, rank))
    .i32("x_off", x!.offset);
  if (s === "f32") params.f32("value", value);
  else params.i32("value", value);
  const outside =
    mode === "constant"
      ? `return ${s === "bool" ? "prm_value() != 0i" : "prm_value()"};`
      : mode === "edge"
        ? "c = clamp(c, 0, size - 1);"
        : "if (size == 1) { c = 0; } else { let period = 2 * (size - 1); c = ((c % period) + period) % period; if (c >= size) { c = period - c; } }";
  mapKernel(device, {
    op: "pad",
    key: `pad:${mode}:r${rank}:${s}`,
    inputs: [{ buffer: x!.buffer, dtype: x!.dtype }],
    output: y!,
    params,
    body: [
      "  var xi = prm_x_off(); var r = e;",
      `  for (var d: i32 = ${rank - 1}; d >= 0; d--) {`,
      "    let ud = u32(d);",
      "    let sz = prm_yshape(ud);",
      "    var c = i32(r % sz) - prm_begin(ud); r = r / sz;",
      "    let size = prm_xshape(ud);",
      `    if (c < 0 || c >= size) { ${outside} }`,
      "    xi += c * prm_xst(ud);",
      "  }",
      "  return ld_in0(u32(xi));",
    ].join("\n"),
  });
});
