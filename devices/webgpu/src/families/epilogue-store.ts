import { fusedValueTypes, type DType, type FusedProgram, type TensorView } from "@polychip/hal";
import type { WebGpuBuffer } from "../runtime/buffer.ts";
import { ParamBlock } from "../runtime/params.ts";
import { elementIndexing } from "./elementwise.ts";
import { liveValues, storedAs, valueLines, type FusedView } from "./fused-program.ts";
import { inputBinding, scalarOf, scatterOutputBinding } from "../wgsl/dtypes.ts";

/**
 * What a tiled GEMM needs to write its product through a fused program (a GEMM epilogue) instead
 * of storing it: bindings for the program's extra inputs and outputs, and WGSL
 * `fn epilogue_store(e: u32, acc)` that evaluates the program for output element `e` (row-major
 * over the product's shape) with value 0 = `acc`, and stores every output. One dispatch in all.
 */
export interface EpilogueStore<V extends FusedView = FusedView> {
  /** Pipeline key: the program and the extras' and outputs' dtypes and layouts. */
  readonly key: string;
  readonly bindings: string;
  readonly functions: string;
  /** The extras the program reads, then the outputs, in binding order. */
  readonly reads: readonly V[];
  readonly writes: readonly V[];
  /** Adds the extras' offsets and strides and the outputs' offsets to the GEMM's parameters. */
  readonly params: (block: ParamBlock) => ParamBlock;
}

/** An epilogue over the kernel's views, given the first binding after the GEMM's own. */
export type EpilogueOf = (firstBinding: number) => EpilogueStore<TensorView<WebGpuBuffer>>;

/**
 * Plans the store for a program over [product (dtype `productDtype`, the outputs' shape), extras...];
 * `firstBinding` is the first binding after the GEMM's own. Extras the program does not read are not bound.
 */
export function epilogueStore<V extends FusedView>(
  program: FusedProgram,
  programKey: string,
  productDtype: DType,
  extras: readonly V[],
  outputs: readonly V[],
  firstBinding: number,
): EpilogueStore<V> {
  const shape = outputs[0]!;
  const product: FusedView = { ...shape, dtype: productDtype };
  const inputs: FusedView[] = [product, ...extras];
  const metas = fusedValueTypes(program.steps, inputs);
  const live = liveValues(
    program,
    inputs.length,
    program.outputs.map((_, m) => m),
  );
  const bound = [...live].filter((j) => j > 0 && j < inputs.length).sort((a, b) => a - b);
  const local = new Map(bound.map((j, b) => [j, b]));
  const acc = scalarOf(productDtype);
  const params = (block: ParamBlock) => {
    outputs.forEach((o, c) => block.u32(`eo${c}`, o.offset));
    // Indexing reads the extras' own offsets and strides (off<k>, st<k>, shape) for element e.
    elementIndexing(
      bound.map((j) => inputs[j]!),
      shape,
      false,
      block,
    );
    return block;
  };
  // The WGSL lines do not depend on the block's values: plan them once on a block of their own.
  const ix = elementIndexing(
    bound.map((j) => inputs[j]!),
    shape,
    false,
    new ParamBlock(),
  );
  const bindings = [
    ...bound.map((j, b) => inputBinding(firstBinding + b, `ex${b}`, inputs[j]!.dtype)),
    ...outputs.map((o, c) => scatterOutputBinding(firstBinding + bound.length + c, `eout${c}`, o.dtype)),
  ].join("\n");
  const body = [
    ...ix.lines,
    // The product as the GEMM would have stored it (a float16 product rounds to half), then the program.
    ...valueLines(program, metas, inputs.length, live, (j) => (j === 0 ? storedAs(productDtype, "acc") : `ld_ex${local.get(j)}(u32(i${local.get(j)}))`)),
    ...program.outputs.map((v, c) => `  st_eout${c}(prm_eo${c}() + e, v${v});`),
  ];
  const functions = `fn epilogue_store(e: u32, acc: ${acc}) {\n${body.join("\n")}\n}`;
  const key = ["epilogue", programKey, productDtype, bound.map((j) => inputs[j]!.dtype).join(","), outputs.map((o) => o.dtype).join(","), ix.key].join("|");
  return { key, bindings, functions, reads: bound.map((j) => extras[j - 1]!), writes: outputs, params };
}
