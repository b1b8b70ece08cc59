import { contiguousStrides, listAttr, normalizeAxis, numAttr, ShapeError, sizeOf } from "@polychip/hal";
import { castExpr, castHost } from "../families/cast-expr.ts";
import { elementwise } from "../families/elementwise.ts";
import { whereExpr } from "../families/op-exprs.ts";
import type { WebGpuKernel } from "../families/registration.ts";
import { ParamBlock } from "../runtime/params.ts";
import { scalarOf } from "../wgsl/dtypes.ts";
import { mapKernel } from "../wgsl/map-kernel.ts";

/** Strided view to strided view: the destination may be a slice of a larger buffer (concat, in-place updates). */
const copy: WebGpuKernel = ({ inputs: [x], outputs: [y] }, device) => {
  elementwise(device, { op: "copy", key: "copy", inputs: [x!], output: y!, expr: ([v]) => v!, stridedOutput: true });
};

const cast: WebGpuKernel = ({ inputs: [x], outputs: [y] }, device) => {
  const from = scalarOf(x!.dtype);
  elementwise(device, { op: "cast", key: `cast:${from}:${y!.dtype}`, inputs: [x!], output: y!, expr: ([v]) => castExpr(from, y!.dtype, v!) });
};

/** fill: attrs.value converted by the cast rule on the host, then broadcast by the kernel. */
const fill: WebGpuKernel = ({ outputs: [y], attrs }, device) => {
  const s = scalarOf(y!.dtype);
  const value = castHost(numAttr("fill", attrs, "value", 0), y!.dtype);
  const params = new ParamBlock();
  if (s === "f32") params.f32("value", value);
  else params.i32("value", value);
  elementwise(device, { op: "fill", key: `fill:${s}`, inputs: [], output: y!, params, expr: () => (s === "bool" ? "prm_value() != 0i" : "prm_value()") });
};

/** where(cond, a, b): registered by the dtype of its first input, the bool condition. */
const where: WebGpuKernel = ({ inputs: [c, a, b], outputs: [y] }, device) => {
  elementwise(device, {
    op: "where",
    key: `where:${scalarOf(a!.dtype)}`,
    inputs: [c!, a!, b!],
    output: y!,
    expr: ([vc, va, vb]) => whereExpr(vc!, va!, vb!),
  });
};

/** concat along attrs.axis: each input is copied into its slab of the output (one strided copy per input, in one batch). */
const concat: WebGpuKernel = ({ inputs, outputs: [y], attrs }, device) => {
  const axis = normalizeAxis("concat", numAttr("concat", attrs, "axis", 0), y!.shape.length);
  const strides = contiguousStrides(y!.shape);
  let start = 0;
  for (const x of inputs) {
    if (sizeOf(x.shape) > 0) {
      const slab = { buffer: y!.buffer, dtype: y!.dtype, shape: x.shape, strides, offset: y!.offset + start * strides[axis]! };
      elementwise(device, { op: "concat", key: "copy", inputs: [x], output: slab, expr: ([v]) => v!, stridedOutput: true });
    }
    start += x.shape[axis]!;
  }
};

const MODES = ["constant", "reflect", "edge"] as const;

/**
 * pad: attrs.pads [begin_0.., end_0..] (negative crops), attrs.mode constant | reflect | edge,
 * attrs.value (cast to the dtype). reflect mirrors without repeating the edge and keeps mirroring
 * for pads wider than the input; edge repeats the border. Any input strides work.
 */
const pad: WebGpuKernel = ({ inputs: [x], outputs: [y], attrs }, device) => {
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
};

export const data = { copy, cast, fill, where, concat, pad };
