import { sizeOf, type TensorView } from "@polychip/hal";
import type { WebGpuBuffer } from "../runtime/buffer.ts";
import type { Dispatcher } from "../runtime/dispatch.ts";
import { mapKernel } from "../wgsl/map-kernel.ts";
import { ParamBlock } from "../runtime/params.ts";
import { coalesce, stridesFor, walksContiguously } from "./strided.ts";

export interface ElementwiseSpec {
  readonly op: string;
  /** Identifies the expression (e.g. "add:f32"). */
  readonly key: string;
  /** Any strided views; each is broadcast to the output shape (NumPy rules). */
  readonly inputs: readonly TensorView<WebGpuBuffer>[];
  readonly output: TensorView<WebGpuBuffer>;
  /** WGSL expression of the output element from the input values (and `e`, the output element index). */
  readonly expr: (values: string[]) => string;
  /** True for copy: the output is a strided view too. */
  readonly stridedOutput?: boolean;
  /** Extra parameters the expression reads (fill value, seed). */
  readonly params?: ParamBlock;
  readonly helpers?: string;
}

/** What indexing needs of a view (not its buffer), so shader source can be made from shapes alone. */
export type ViewGeometry = Pick<TensorView, "shape" | "strides" | "offset">;

/** Where every input element is read, for output element `e` (row-major over the output shape). */
export interface ElementIndexing {
  /** WGSL statements defining `i0`, `i1`, ... (i32 element indices into each input's buffer) from `e`. */
  readonly lines: readonly string[];
  /** Body of `fn out_index(e: u32) -> u32` when the output is a strided view. */
  readonly outIndex?: string;
  /** The shape class (which inputs walk contiguously, coalesced rank), for pipeline keys. */
  readonly key: string;
}

/**
 * Inputs that walk their buffer in output order index it directly (offset + e); the others get
 * their coordinates from the output index, over the dims left after coalescing, so a transposed or
 * broadcast view costs one division per remaining dim. Adds the offsets, strides and shape to `params`.
 */
export function elementIndexing(inputs: readonly ViewGeometry[], output: ViewGeometry, stridedOutput: boolean, params: ParamBlock): ElementIndexing {
  const shape = output.shape;
  const inStrides = inputs.map((v) => stridesFor(v, shape));
  const flat = inStrides.map((st) => walksContiguously(shape, st));
  const outStrided = stridedOutput && !walksContiguously(shape, output.strides);
  const walked = inStrides.filter((_, k) => !flat[k]);
  if (outStrided) walked.push([...output.strides]);
  const dims = coalesce(shape, walked);
  const rank = dims.shape.length;

  let w = 0;
  inputs.forEach((v, k) => {
    params.i32(`off${k}`, v.offset);
    if (!flat[k]) params.i32(`st${k}`, dims.strides[w++]!);
  });
  if (outStrided) params.i32("sto", dims.strides[w]!);
  if (walked.length > 0) params.u32("shape", dims.shape);

  const walk = (targets: { name: string; init: string; stride: string }[]): string[] => {
    const lines = targets.map((t) => `  var ${t.name}: i32 = ${t.init};`);
    if (rank > 0 && targets.length > 0) {
      lines.push(
        "  var r = e;",
        `  for (var d: i32 = ${rank - 1}; d >= 0; d--) {`,
        "    let sz = prm_shape(u32(d));",
        "    let c = i32(r % sz);",
        "    r = r / sz;",
        ...targets.map((t) => `    ${t.name} += c * ${t.stride}(u32(d));`),
        "  }",
      );
    }
    return lines;
  };

  const strided = inputs.map((_, k) => k).filter((k) => !flat[k]);
  const lines = [
    ...inputs.flatMap((_, k) => (flat[k] ? [`  let i${k}: i32 = prm_off${k}() + i32(e);`] : [])),
    ...walk(strided.map((k) => ({ name: `i${k}`, init: `prm_off${k}()`, stride: `prm_st${k}` }))),
  ];
  const outIndex = outStrided ? [...walk([{ name: "io", init: "i32(prm_out_off())", stride: "prm_sto" }]), "  return u32(io);"].join("\n") : undefined;
  return { lines, outIndex, key: `${flat.map((f) => (f ? "c" : "s")).join("")}:r${rank}` };
}

/** Elementwise kernels over arbitrary strided, broadcast inputs (see elementIndexing). */
export function elementwise(device: Dispatcher, spec: ElementwiseSpec): void {
  const out = spec.output;
  if (sizeOf(out.shape) === 0) return;
  const params = spec.params ?? new ParamBlock();
  const ix = elementIndexing(spec.inputs, out, !!spec.stridedOutput, params);
  const body = [
    ...ix.lines,
    ...spec.inputs.map((_, k) => `  let v${k} = ld_in${k}(u32(i${k}));`),
    `  return ${spec.expr(spec.inputs.map((_, k) => `v${k}`))};`,
  ].join("\n");

  mapKernel(device, {
    op: spec.op,
    key: `ew:${spec.key}:${ix.key}`,
    inputs: spec.inputs.map((v) => ({ buffer: v.buffer, dtype: v.dtype })),
    output: out,
    params,
    body,
    helpers: spec.helpers,
    outIndex: ix.outIndex,
  });
}
