import { broadcastShapes, formatShape, normalizeAxis, numAttr, ShapeError, shapesEqual, sizeOf, type TensorView } from "@polychip/hal";
import { requireContiguous } from "../families/contiguous.ts";
import { LINE_GROUP, RED_DECL, treeReduceWgsl } from "../families/lines.ts";
import type { WebGpuKernel } from "../families/registration.ts";
import { lineSoftmaxKernel } from "../families/softmax.ts";
import { stridesFor } from "../families/strided.ts";
import type { WebGpuBuffer } from "../runtime/buffer.ts";
import { FLAT_WORKGROUP, MAIN_BUILTINS } from "../runtime/dispatch.ts";
import { ParamBlock } from "../runtime/params.ts";
import { inputBinding, scatterOutputBinding } from "../wgsl/dtypes.ts";
import { mapKernel } from "../wgsl/map-kernel.ts";
import { withPrelude } from "../wgsl/prelude.ts";

/**
 * layerNorm over dims attrs.axis.. (default -1): a workgroup per row computes the mean, then the
 * biased variance around it (two passes, as the CPU does), then writes (x - mean) / sqrt(var + eps)
 * * weight + bias, weight and bias broadcast (right-aligned) to the normalised shape.
 */
const layerNorm: WebGpuKernel = ({ inputs: [x, weight, bias], outputs: [y], attrs }, device) => {
  requireContiguous("layerNorm", [x, weight, bias]);
  const shape = x!.shape;
  if (sizeOf(shape) === 0) return;
  const axis = normalizeAxis("layerNorm", numAttr("layerNorm", attrs, "axis", -1), shape.length);
  const normShape = shape.slice(axis);
  const D = sizeOf(normShape);
  const rows = sizeOf(shape.slice(0, axis));
  const params = new ParamBlock()
    .u32("D", D)
    .u32("rows", rows)
    .f32("eps", numAttr("layerNorm", attrs, "epsilon", 1e-5))
    .u32("x_off", x!.offset)
    .u32("out_off", y!.offset)
    .u32("nshape", normShape);
  const extra: TensorView<WebGpuBuffer>[] = [];
  const index = (name: string, view: TensorView<WebGpuBuffer> | undefined) => {
    if (!view) return "";
    if (view.shape.length > normShape.length || !shapesEqual(broadcastShapes("layerNorm", view.shape, normShape), normShape)) {
      throw new ShapeError(`layerNorm: ${name} ${formatShape(view.shape)} does not broadcast to the normalised shape ${formatShape(normShape)}`);
    }
    extra.push(view);
    params.u32(`${name}_off`, view.offset).u32(`${name}_st`, stridesFor(view, normShape));
    return [
      `fn ${name}_at(d: u32) -> f32 {`,
      `  var i = prm_${name}_off(); var r = d;`,
      `  for (var k: i32 = ${normShape.length - 1}; k >= 0; k--) { let sz = prm_nshape(u32(k)); i += (r % sz) * prm_${name}_st(u32(k)); r = r / sz; }`,
      `  return ld_${name}(i);`,
      "}",
    ].join("\n");
  };
  const wAt = index("w", weight);
  const bAt = index("b", bias);
  const bindings = [inputBinding(1, "x", x!.dtype)];
  if (weight) bindings.push(inputBinding(1 + bindings.length, "w", weight.dtype));
  if (bias) bindings.push(inputBinding(1 + bindings.length, "b", bias.dtype));
  bindings.push(scatterOutputBinding(1 + bindings.length, "y", y!.dtype));
  const scale = weight ? " * w_at(d)" : "";
  const shift = bias ? " + b_at(d)" : "";
  device.dispatch({
    op: "layerNorm",
    key: `layerNorm:${x!.dtype}:${weight ? "w" : ""}${bias ? "b" : ""}:r${normShape.length}`,
    params,
    reads: [x!.buffer, ...extra.map((v) => v.buffer)],
    writes: [y!.buffer],
    workgroups: rows,
    args: { rows, D },
    wgsl: () =>
      withPrelude(
        [
          params.wgsl(),
          ...bindings,
          wAt,
          bAt,
          RED_DECL,
          treeReduceWgsl("sum", (a, b) => `${a} + ${b}`),
          `@compute @workgroup_size(${LINE_GROUP}) fn main(${MAIN_BUILTINS}) {`,
          `  let row = ${FLAT_WORKGROUP};`,
          "  if (row >= prm_rows()) { return; }",
          "  let base = prm_x_off() + row * prm_D();",
          "  let n = f32(prm_D());",
          "  var s = 0.0f;",
          `  for (var d = lid.x; d < prm_D(); d += ${LINE_GROUP}u) { s += ld_x(base + d); }`,
          "  let mean = tree_sum(s, lid.x) / n;",
          "  var q = 0.0f;",
          `  for (var d = lid.x; d < prm_D(); d += ${LINE_GROUP}u) { let c = ld_x(base + d) - mean; q += c * c; }`,
          "  let inv = 1.0f / sqrt(tree_sum(q, lid.x) / n + prm_eps());",
          `  for (var d = lid.x; d < prm_D(); d += ${LINE_GROUP}u) {`,
          `    st_y(prm_out_off() + row * prm_D() + d, (ld_x(base + d) - mean) * inv${scale}${shift});`,
          "  }",
          "}",
        ].join("\n"),
      ),
  });
};

/** Inference batch norm over channel dim 1: (x - mean) / sqrt(var + epsilon) * scale + bias. */
const batchNorm: WebGpuKernel = ({ inputs, outputs: [y], attrs }, device) => {
  requireContiguous("batchNorm", inputs);
  const [x, scale, bias, mean, variance] = inputs as [(typeof inputs)[0], (typeof inputs)[0], (typeof inputs)[0], (typeof inputs)[0], (typeof inputs)[0]];
  const params = new ParamBlock()
    .u32("C", x.shape[1] ?? 1)
    .u32("inner", sizeOf(x.shape.slice(2)))
    .f32("eps", numAttr("batchNorm", attrs, "epsilon", 1e-5))
    .u32(
      "offs",
      [x, scale, bias, mean, variance].map((v) => v.offset),
    );
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
};

export const norm = {
  softmax: lineSoftmaxKernel("softmax"),
  logSoftmax: lineSoftmaxKernel("logSoftmax"),
  layerNorm,
  batchNorm,
};
