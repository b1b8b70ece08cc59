import { sizeOf } from "@polychip/hal";
import { FLAT_WORKGROUP, MAIN_BUILTINS, flatIndex } from "../runtime/dispatch.ts";
import { inputBinding, scalarOf, scatterOutputBinding, type Scalar } from "../wgsl/dtypes.ts";
import { ParamBlock } from "../runtime/params.ts";
import { withPrelude } from "../wgsl/prelude.ts";
import { reduceAxes, reduceIndexWgsl, splitAxes } from "./axes.ts";
import type { WebGpuKernel } from "./registration.ts";

export interface Reducer {
  /** WGSL expression combining accumulator `a` with value `b`. */
  readonly combine: (s: Scalar, a: string, b: string) => string;
  /** WGSL expression of the identity. */
  readonly identity: (s: Scalar) => string;
}

const GROUP = 64;

/**
 * Reductions over attrs.axes. Two shapes of kernel: one workgroup per output with a shared-memory
 * tree when each output's elements are adjacent and numerous (reducing the last axis), otherwise
 * one invocation per output looping over its elements (neighbouring invocations then read
 * neighbouring memory, e.g. summing over the batch axis).
 */
export function reduceKernel(op: string, reducer: Reducer): WebGpuKernel {
  return ({ inputs: [x], outputs: [y], attrs }, device) => {
    if (sizeOf(y!.shape) === 0) return;
    const axes = reduceAxes(op, x!.shape.length, attrs);
    const params = new ParamBlock();
    const split = splitAxes(x!, axes, params);
    params.u32("outputs", split.outputs).u32("reduced", split.reduced).u32("out_off", y!.offset);
    const s = scalarOf(x!.dtype);
    const tree = split.innerStride === 1 && split.reduced >= 2 * GROUP;
    const header = () => [params.wgsl(), inputBinding(1, "x", x!.dtype), scatterOutputBinding(2, "y", y!.dtype), reduceIndexWgsl(split)].join("\n");
    const key = `reduce:${op}:${x!.dtype}->${y!.dtype}:${tree ? "tree" : "loop"}`;
    const wgsl = tree
      ? () =>
          withPrelude(
            [
              header(),
              `var<workgroup> part: array<${s}, ${GROUP}>;`,
              `@compute @workgroup_size(${GROUP}) fn main(${MAIN_BUILTINS}) {`,
              `  let o = ${FLAT_WORKGROUP};`,
              "  if (o >= prm_outputs()) { return; }", // uniform per workgroup, so barriers below stay in uniform control flow
              "  let base = base_index(o);",
              `  var acc: ${s} = ${reducer.identity(s)};`,
              `  for (var q = lid.x; q < prm_reduced(); q += ${GROUP}u) { acc = ${reducer.combine(s, "acc", "ld_x(u32(base + red_index(q)))")}; }`,
              "  part[lid.x] = acc;",
              "  workgroupBarrier();",
              `  for (var w = ${GROUP / 2}u; w > 0u; w = w >> 1u) {`,
              `    if (lid.x < w) { part[lid.x] = ${reducer.combine(s, "part[lid.x]", "part[lid.x + w]")}; }`,
              "    workgroupBarrier();",
              "  }",
              "  if (lid.x == 0u) { st_y(prm_out_off() + o, part[0]); }",
              "}",
            ].join("\n"),
          )
      : () =>
          withPrelude(
            [
              header(),
              `@compute @workgroup_size(${GROUP}) fn main(${MAIN_BUILTINS}) {`,
              `  let o = ${flatIndex(GROUP)};`,
              "  if (o >= prm_outputs()) { return; }",
              "  let base = base_index(o);",
              `  var acc: ${s} = ${reducer.identity(s)};`,
              `  for (var q = 0u; q < prm_reduced(); q++) { acc = ${reducer.combine(s, "acc", "ld_x(u32(base + red_index(q)))")}; }`,
              "  st_y(prm_out_off() + o, acc);",
              "}",
            ].join("\n"),
          );
    device.dispatch({
      op,
      key,
      wgsl,
      params,
      reads: [x!.buffer],
      writes: [y!.buffer],
      workgroups: tree ? split.outputs : Math.ceil(split.outputs / GROUP),
    });
  };
}
