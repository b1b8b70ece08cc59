import {
  EPILOGUE_BASES,
  fusedOutputShape,
  fusedValueTypes,
  getOp,
  parseEpilogue,
  parseFusedProgram,
  sizeOf,
  type Attrs,
  type FusedProgram,
  type TensorMeta,
} from "@polychip/hal";
import { compileVectorProgram } from "./chip/vector-program.ts";
import type { NpuRegistration } from "./kernels/registration.ts";

const shapeOf = (m: TensorMeta) => `${m.dtype}[${m.shape.join(", ")}]`;
const suffix: Readonly<Record<string, string>> = { float32: "f32", float16: "f16", int32: "i32", int8: "i8", uint8: "u8", bool: "b8" };

/**
 * What `polychip compile --report` shows for a fused group on npu-sim: the lane program its vector
 * unit runs per element (one register per value, each step's dtype), and for an epilogue the GEMM
 * that feeds it. Undefined for an op this chip's kernels (`kernels`) do not run natively.
 */
export function programListing(kernels: readonly NpuRegistration[], op: string, inputs: readonly TensorMeta[], attrs: Attrs): string | undefined {
  const dtype = inputs[0]?.dtype;
  const native = kernels.some((k) => k.op === op && dtype !== undefined && (k.dtypes === "*" || k.dtypes.includes(dtype)));
  if (!native) return undefined;
  if (op === "fused") {
    const program = parseFusedProgram(attrs, inputs.length);
    const shape = fusedOutputShape(inputs);
    const header = `// npu-sim fused: one vector-unit tile stream over [${shape.join(", ")}] (${sizeOf(shape)} elements); per element, in lane registers:`;
    return [
      header,
      ...lines(
        op,
        program,
        inputs,
        inputs.map((m, k) => `v${k} = load in${k} ${shapeOf(m)}`),
      ),
    ].join("\n");
  }
  if (!(op in EPILOGUE_BASES)) return undefined;
  const e = parseEpilogue(op, attrs, inputs.length);
  const [product] = getOp(e.base).infer(inputs.slice(0, e.baseInputs), e.baseAttrs);
  const extras = inputs.slice(e.baseInputs);
  const unit = product!.dtype === "float16" ? "the tensor unit (fp16 MACs, fp32 accumulators)" : "the vector unit (one MAC per lane per cycle)";
  const header = `// npu-sim ${op}: ${e.base} ${shapeOf(product!)} on ${unit}; each finished output row, still on chip, goes through:`;
  const loads = [`v0 = ${e.base} result, rounded to ${product!.dtype}`, ...extras.map((m, k) => `v${k + 1} = load in${e.baseInputs + k} ${shapeOf(m)}`)];
  return [header, ...lines(op, e.program, [product!, ...extras], loads)].join("\n");
}

function lines(op: string, program: FusedProgram, inputs: readonly TensorMeta[], loads: readonly string[]): string[] {
  const metas = fusedValueTypes(program.steps, inputs);
  const vp = compileVectorProgram(op, program, inputs);
  const steps = program.steps.map((s, k) => {
    const at = inputs.length + k;
    const type = suffix[metas[at]!.dtype];
    if (s.op === "const") return `v${at} = const.${type} ${s.value}`;
    return `v${at} = ${s.op}.${type} ${s.args.map((a) => `v${a}`).join(", ")}`;
  });
  const stores = program.outputs.map((o, m) => `store out${m} ${metas[o]!.dtype} <- v${o}`);
  const rate = vp.wide ? "at the 32-bit rate" : "at the 16-bit rate";
  return [...loads, ...steps, ...stores, `// ${vp.opsPerElement} lane-ops per element ${rate}; nothing in between goes to DRAM`].map((l) =>
    l.startsWith("//") ? l : `  ${l}`,
  );
}
