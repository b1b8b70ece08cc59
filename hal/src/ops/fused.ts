import { fused as decompose } from "./decompositions/fused.ts";
import { fusedOutputShape, fusedValueTypes, parseFusedProgram } from "./fused-program.ts";
import type { OpDef } from "./types.ts";

/**
 * `fused(in0..inN-1) -> out0..outM-1`: a small elementwise program run as one kernel (graph
 * passes build it from chains of elementwise nodes). Every output has the broadcast shape of all
 * inputs and its value's dtype. A device without a kernel runs the unfused ops (the decomposition).
 */
export const FUSED_OP: OpDef = {
  name: "fused",
  kind: "composite",
  family: "fused",
  inputs: [0, Infinity],
  doc: "an elementwise program: attrs.program (JSON steps {op, args, to?, value?}), attrs.outputs (value indices); outputs take the broadcast shape of the inputs",
  infer: (ins, attrs) => {
    const { steps, outputs } = parseFusedProgram(attrs, ins.length);
    const shape = fusedOutputShape(ins);
    const metas = fusedValueTypes(steps, ins);
    return outputs.map((o) => ({ shape, dtype: metas[o]!.dtype }));
  },
  decompose,
};
