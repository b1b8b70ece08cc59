import { sizeOf, type DType, type TensorView } from "@polychip/hal";
import type { WebGpuBuffer } from "../runtime/buffer.ts";
import { MAIN_BUILTINS, flatIndex, type Dispatcher } from "../runtime/dispatch.ts";
import { inputBinding, packedBits, perWord, scalarOf, scatterOutputBinding } from "./dtypes.ts";
import type { ParamBlock } from "../runtime/params.ts";
import { withPrelude } from "./prelude.ts";

const WORKGROUP = 64;

export interface MapInput {
  readonly buffer: WebGpuBuffer;
  readonly dtype: DType;
}

/**
 * A kernel that computes every output element independently: `body` is the WGSL body of
 * `fn value(e: u32) -> T` for output element `e` (row-major), reading inputs through
 * `ld_in0(i)`, `ld_in1(i)`, ... (raw element indices into each input's buffer) and parameters
 * through `prm_<name>()`. Elementwise ops, indexing, padding, pooling and direct convolution all
 * fit this shape.
 */
export interface MapSpec {
  readonly op: string;
  /** Identifies the body; dtypes and the parameter layout are added to the pipeline key here. */
  readonly key: string;
  readonly inputs: readonly MapInput[];
  /** Contiguous from its offset, unless `outIndex` is given. */
  readonly output: TensorView<WebGpuBuffer>;
  readonly params: ParamBlock;
  readonly body: string;
  /** Extra WGSL (helper functions) the body calls. */
  readonly helpers?: string;
  /** Body of `fn out_index(e: u32) -> u32` for a strided output (copy into a view). */
  readonly outIndex?: string;
  readonly args?: Readonly<Record<string, string | number | boolean>>;
}

export function mapKernel(device: Dispatcher, spec: MapSpec): void {
  const out = spec.output;
  const n = sizeOf(out.shape);
  if (n === 0) return;
  const p = perWord(out.dtype);
  const strided = spec.outIndex !== undefined;
  const params = spec.params;
  params.u32("n", n).u32("out_off", out.offset);
  let count = n;
  const wordWise = !strided && p > 1;
  if (wordWise) {
    count = Math.ceil(((out.offset % p) + n) / p);
    params.u32("words", count);
  }
  const s = scalarOf(out.dtype);
  const nIn = spec.inputs.length;
  const key = `map|${spec.key}|${spec.inputs.map((i) => i.dtype).join(",")}->${out.dtype}|${strided ? "strided" : "contig"}`;

  const wgsl = () => {
    const lines: string[] = [params.wgsl()];
    spec.inputs.forEach((input, k) => lines.push(inputBinding(k + 1, `in${k}`, input.dtype)));
    if (wordWise) lines.push(`@group(0) @binding(${nIn + 1}) var<storage, read_write> out: array<u32>;`);
    else lines.push(scatterOutputBinding(nIn + 1, "out", out.dtype));
    if (spec.helpers) lines.push(spec.helpers);
    lines.push(`fn value(e: u32) -> ${s} {\n${spec.body}\n}`);
    if (strided) lines.push(`fn out_index(e: u32) -> u32 {\n${spec.outIndex}\n}`);
    lines.push(`@compute @workgroup_size(${WORKGROUP}) fn main(${MAIN_BUILTINS}) {`, `  let t = ${flatIndex(WORKGROUP)};`);
    if (strided) {
      lines.push("  if (t >= prm_n()) { return; }", "  st_out(out_index(t), value(t));");
    } else if (!wordWise) {
      lines.push("  if (t >= prm_n()) { return; }", "  st_out(prm_out_off() + t, value(t));");
    } else {
      const bits = 32 / p;
      const mask = p === 2 ? "0xffffu" : "0xffu";
      lines.push(
        "  if (t >= prm_words()) { return; }",
        "  let off = prm_out_off();",
        `  let w = off / ${p}u + t;`,
        "  var word = 0u; var mask = 0u;",
        `  for (var s = 0u; s < ${p}u; s++) {`,
        `    let g = w * ${p}u + s;`,
        "    if (g >= off && g < off + prm_n()) {",
        `      word |= (${packedBits(out.dtype, "value(g - off)")} & ${mask}) << (s * ${bits}u);`,
        `      mask |= ${mask} << (s * ${bits}u);`,
        "    }",
        "  }",
        // Words shared with data outside this output keep their other bytes; only this invocation touches the word.
        "  if (mask == 0xffffffffu) { out[w] = word; } else { out[w] = (out[w] & ~mask) | word; }",
      );
    }
    lines.push("}");
    return withPrelude(lines.join("\n"));
  };

  device.dispatch({
    op: spec.op,
    key,
    wgsl,
    params,
    reads: spec.inputs.map((i) => i.buffer),
    writes: [out.buffer],
    workgroups: Math.ceil(count / WORKGROUP),
    args: spec.args,
  });
}
