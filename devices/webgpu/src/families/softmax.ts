import { normalizeAxis, numAttr, sizeOf } from "@polychip/hal";
import { FLAT_WORKGROUP, MAIN_BUILTINS, flatIndex } from "../runtime/dispatch.ts";
import { inputBinding, scatterOutputBinding } from "../wgsl/dtypes.ts";
import { ParamBlock } from "../runtime/params.ts";
import { withPrelude } from "../wgsl/prelude.ts";
import { requireContiguous } from "./contiguous.ts";
import { LINE_GROUP, RED_DECL, treeReduceWgsl } from "./lines.ts";
import type { WebGpuKernel } from "./registration.ts";

/**
 * softmax / logSoftmax along attrs.axis, stable (exponents of x - max). Lines longer than a
 * workgroup get a workgroup each; shorter ones an invocation each. As on the CPU, a line holding
 * NaN or +Inf, or all -Inf, comes out NaN.
 */
export function lineSoftmaxKernel(op: "softmax" | "logSoftmax"): WebGpuKernel {
  const log = op === "logSoftmax";
  return ({ inputs: [x], outputs: [y], attrs }, device) => {
    requireContiguous(op, [x]);
    const shape = x!.shape;
    if (sizeOf(shape) === 0) return;
    const axis = normalizeAxis(op, numAttr(op, attrs, "axis", -1), shape.length);
    const D = shape[axis] ?? 1;
    const inner = sizeOf(shape.slice(axis + 1));
    const lines = sizeOf(shape.slice(0, axis)) * inner;
    const wide = D > LINE_GROUP;
    const params = new ParamBlock().u32("D", D).u32("inner", inner).u32("lines", lines).u32("x_off", x!.offset).u32("out_off", y!.offset);
    const result = log ? "v - shift" : "f_exp(v - mx) / sum";
    const shiftLine = log ? "  let shift = mx + f_log(sum);" : "";
    const common = [
      params.wgsl(),
      inputBinding(1, "x", x!.dtype),
      scatterOutputBinding(2, "y", y!.dtype),
      "fn line_base(line: u32) -> u32 { return (line / prm_inner()) * prm_D() * prm_inner() + line % prm_inner(); }",
    ];
    const wgsl = wide
      ? () =>
          withPrelude(
            [
              ...common,
              RED_DECL,
              treeReduceWgsl("max", (a, b) => `f_max(${a}, ${b})`),
              treeReduceWgsl("sum", (a, b) => `${a} + ${b}`),
              `@compute @workgroup_size(${LINE_GROUP}) fn main(${MAIN_BUILTINS}) {`,
              `  let line = ${FLAT_WORKGROUP};`,
              "  if (line >= prm_lines()) { return; }", // uniform per workgroup
              "  let base = line_base(line); let step = prm_inner();",
              "  var m = -f_inf();",
              `  for (var d = lid.x; d < prm_D(); d += ${LINE_GROUP}u) { m = f_max(m, ld_x(prm_x_off() + base + d * step)); }`,
              "  let mx = tree_max(m, lid.x);",
              "  var s = 0.0f;",
              `  for (var d = lid.x; d < prm_D(); d += ${LINE_GROUP}u) { s += f_exp(ld_x(prm_x_off() + base + d * step) - mx); }`,
              "  let sum = tree_sum(s, lid.x);",
              shiftLine,
              `  for (var d = lid.x; d < prm_D(); d += ${LINE_GROUP}u) {`,
              "    let v = ld_x(prm_x_off() + base + d * step);",
              `    st_y(prm_out_off() + base + d * step, ${result});`,
              "  }",
              "}",
            ].join("\n"),
          )
      : () =>
          withPrelude(
            [
              ...common,
              `@compute @workgroup_size(64) fn main(${MAIN_BUILTINS}) {`,
              `  let line = ${flatIndex(64)};`,
              "  if (line >= prm_lines()) { return; }",
              "  let base = line_base(line); let step = prm_inner();",
              "  var mx = -f_inf();",
              "  for (var d = 0u; d < prm_D(); d++) { mx = f_max(mx, ld_x(prm_x_off() + base + d * step)); }",
              "  var sum = 0.0f;",
              "  for (var d = 0u; d < prm_D(); d++) { sum += f_exp(ld_x(prm_x_off() + base + d * step) - mx); }",
              shiftLine,
              "  for (var d = 0u; d < prm_D(); d++) {",
              "    let v = ld_x(prm_x_off() + base + d * step);",
              `    st_y(prm_out_off() + base + d * step, ${result});`,
              "  }",
              "}",
            ].join("\n"),
          );
    device.dispatch({
      op,
      key: `${op}:${x!.dtype}:${wide ? "wide" : "narrow"}`,
      wgsl,
      params,
      reads: [x!.buffer],
      writes: [y!.buffer],
      workgroups: wide ? lines : Math.ceil(lines / 64),
      args: { lines, D },
    });
  };
}
