import { boolAttr, normalizeAxis, numAttr, sizeOf } from "@polychip/hal";
import { MAIN_BUILTINS, flatIndex } from "../runtime/dispatch.ts";
import { inputBinding, scalarOf } from "../wgsl/dtypes.ts";
import { ParamBlock } from "../runtime/params.ts";
import { withPrelude } from "../wgsl/prelude.ts";
import { reduceIndexWgsl, splitAxes } from "./axes.ts";
import type { WebGpuKernel } from "./registration.ts";

/**
 * argMax/argMin along attrs.axis, one invocation per output. Ties go to the first index (the last
 * with attrs.selectLastIndex); NaN counts as the extreme, the first NaN winning (the last with
 * selectLastIndex), as on the CPU device, NumPy and PyTorch.
 */
export function argReduceKernel(op: "argMax" | "argMin"): WebGpuKernel {
  const cmp = op === "argMax" ? ">" : "<";
  return ({ inputs: [x], outputs: [y], attrs }, device) => {
    if (sizeOf(y!.shape) === 0) return;
    const axis = normalizeAxis(op, numAttr(op, attrs, "axis"), x!.shape.length);
    const last = boolAttr(attrs, "selectLastIndex");
    const params = new ParamBlock();
    const split = splitAxes(x!, [axis], params);
    params
      .u32("outputs", split.outputs)
      .u32("reduced", split.reduced)
      .u32("out_off", y!.offset)
      .u32("last", last ? 1 : 0);
    const s = scalarOf(x!.dtype);
    const isFloat = s === "f32";
    const body = isFloat
      ? [
          "    if (is_nan(best)) { if (!last) { break; } if (is_nan(v)) { bi = q; } }",
          `    else if (is_nan(v) || v ${cmp} best || (last && v == best)) { best = v; bi = q; }`,
        ]
      : [`    if (v ${cmp} best || (last && v == best)) { best = v; bi = q; }`];
    device.dispatch({
      op,
      key: `${op}:${x!.dtype}`,
      params,
      reads: [x!.buffer],
      writes: [y!.buffer],
      workgroups: Math.ceil(split.outputs / 64),
      wgsl: () =>
        withPrelude(
          [
            params.wgsl(),
            inputBinding(1, "x", x!.dtype),
            "@group(0) @binding(2) var<storage, read_write> y: array<i32>;",
            reduceIndexWgsl(split),
            `@compute @workgroup_size(64) fn main(${MAIN_BUILTINS}) {`,
            `  let o = ${flatIndex(64)};`,
            "  if (o >= prm_outputs()) { return; }",
            "  let base = base_index(o);",
            "  let last = prm_last() != 0u;",
            "  var best = ld_x(u32(base));",
            "  var bi = 0u;",
            "  for (var q = 1u; q < prm_reduced(); q++) {",
            "    let v = ld_x(u32(base + red_index(q)));",
            ...body,
            "  }",
            "  y[prm_out_off() + o] = i32(bi);",
            "}",
          ].join("\n"),
        ),
    });
  };
}
