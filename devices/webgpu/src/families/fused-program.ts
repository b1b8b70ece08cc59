import { DTypeError, fusedValueTypes, sizeOf, type DType, type FusedProgram, type FusedStep, type TensorMeta } from "@polychip/hal";
import { castExpr, castHost } from "./cast-expr.ts";
import { elementIndexing, type ViewGeometry } from "./elementwise.ts";
import { ARITHMETIC_EXPRS, COMPARE_EXPRS, LOGICAL_BINARY_EXPRS, LOGICAL_UNARY_EXPRS, UNARY_EXPRS, whereExpr } from "./op-exprs.ts";
import type { ScalarExprs } from "./scalar-ops.ts";
import { MAIN_BUILTINS, flatIndex } from "../runtime/dispatch.ts";
import { ParamBlock } from "../runtime/params.ts";
import { inputBinding, literal, packedBits, perWord, scalarOf, scatterOutputBinding, type Scalar } from "../wgsl/dtypes.ts";
import { withPrelude } from "../wgsl/prelude.ts";

const WORKGROUP = 64;

/** The same expressions as the one-op kernels, by op name. */
const STEP_EXPRS: Readonly<Record<string, ScalarExprs<(...args: string[]) => string>>> = {
  ...UNARY_EXPRS,
  ...LOGICAL_UNARY_EXPRS,
  ...ARITHMETIC_EXPRS,
  ...COMPARE_EXPRS,
  ...LOGICAL_BINARY_EXPRS,
};

export type FusedView = ViewGeometry & { readonly dtype: DType };

/** One dispatch of a fused program: which inputs it binds and which outputs it writes. */
export interface FusedDispatch {
  readonly key: string;
  readonly params: ParamBlock;
  /** Program input indices, in binding order. */
  readonly inputs: readonly number[];
  /** Output positions (into attrs.outputs), in binding order. */
  readonly outputs: readonly number[];
  readonly workgroups: number;
  readonly wgsl: () => string;
}

/** Value indices `outputs` need, inputs and steps alike (so a dispatch computes only what it writes). */
export function liveValues(program: FusedProgram, inputCount: number, outputs: readonly number[]): Set<number> {
  const live = new Set<number>();
  const pending = outputs.map((m) => program.outputs[m]!);
  while (pending.length > 0) {
    const j = pending.pop()!;
    if (live.has(j)) continue;
    live.add(j);
    if (j >= inputCount) pending.push(...program.steps[j - inputCount]!.args);
  }
  return live;
}

/** The value as the unfused op would have stored it: float16 rounds to half, int8/uint8 wrap (float32, int32 and bool are exact). */
export function storedAs(dtype: DType, x: string): string {
  switch (dtype) {
    case "float16":
      return `f16_to_f32(f32_to_f16(${x}))`;
    case "int8":
      return `((${x}) << 24u) >> 24u`;
    case "uint8":
      return `((${x}) & 255i)`;
    default:
      return x;
  }
}

function constExpr(s: Scalar, dtype: DType, value: number): string {
  const v = castHost(value, dtype);
  if (s !== "f32" || Number.isFinite(v)) return literal(s, v);
  // WGSL constant expressions may not produce NaN or infinity: the prelude makes them at run time.
  return Number.isNaN(v) ? "f_nan()" : v > 0 ? "f_inf()" : "-f_inf()";
}

function stepExpr(step: FusedStep, k: number, args: string[], argMetas: TensorMeta[], meta: TensorMeta): string {
  const s = scalarOf(meta.dtype);
  if (step.op === "const") return constExpr(s, meta.dtype, step.value!);
  if (step.op === "cast") return castExpr(scalarOf(argMetas[0]!.dtype), meta.dtype, args[0]!);
  if (step.op === "where") return whereExpr(args[0]!, args[1]!, args[2]!);
  const from = scalarOf(argMetas[0]!.dtype);
  const fn = STEP_EXPRS[step.op]?.[from];
  if (!fn) throw new DTypeError(`webgpu: fused: step ${k} (${step.op}) has no WGSL for ${argMetas[0]!.dtype}`);
  return fn(...args);
}

/**
 * WGSL `let v<j>` for every live value in order: input j read by `load(j)`, each step in the
 * computing type of its dtype, rounded as its dtype stores it.
 */
export function valueLines(
  program: FusedProgram,
  metas: readonly TensorMeta[],
  inputCount: number,
  live: ReadonlySet<number>,
  load: (j: number) => string,
): string[] {
  const lines: string[] = [];
  for (const j of [...live].sort((a, b) => a - b)) {
    const type = scalarOf(metas[j]!.dtype);
    if (j < inputCount) {
      lines.push(`  let v${j}: ${type} = ${load(j)};`);
      continue;
    }
    const step = program.steps[j - inputCount]!;
    const expr = stepExpr(
      step,
      j - inputCount,
      step.args.map((a) => `v${a}`),
      step.args.map((a) => metas[a]!),
      metas[j]!,
    );
    lines.push(`  let v${j}: ${type} = ${storedAs(metas[j]!.dtype, expr)}; // ${step.op}`);
  }
  return lines;
}

type OutputMode = "word" | "element";

/**
 * Plans one dispatch writing `chosen` outputs of a fused program: every value it needs is a WGSL
 * `let` in the computing type of its dtype (f32, i32, bool), rounded as its dtype stores it, all
 * for one output element per pass. When an output packs several elements to a 32-bit word
 * (bool, int8, uint8 four, float16 two), each invocation computes that many consecutive elements
 * so it owns the words it writes; packed outputs at an offset that splits a word use atomics.
 */
export function planFusedDispatch(
  program: FusedProgram,
  programKey: string,
  inputs: readonly FusedView[],
  outputs: readonly FusedView[],
  chosen: readonly number[],
): FusedDispatch {
  const n = inputs.length;
  const metas = fusedValueTypes(program.steps, inputs);
  const live = liveValues(program, n, chosen);
  const bound = [...live].filter((j) => j < n).sort((a, b) => a - b);
  const local = new Map(bound.map((j, b) => [j, b]));
  const shape = outputs[chosen[0]!]!;
  const modes: OutputMode[] = chosen.map((m) => {
    const o = outputs[m]!;
    return perWord(o.dtype) > 1 && o.offset % perWord(o.dtype) === 0 ? "word" : "element";
  });
  const group = Math.max(1, ...chosen.map((m, c) => (modes[c] === "word" ? perWord(outputs[m]!.dtype) : 1)));
  const total = sizeOf(shape.shape);

  const params = new ParamBlock().u32("n", total);
  chosen.forEach((m, c) => params.u32(`oo${c}`, outputs[m]!.offset));
  const ix = elementIndexing(
    bound.map((j) => inputs[j]!),
    shape,
    false,
    params,
  );

  const wgsl = (): string => {
    const lines: string[] = [params.wgsl()];
    bound.forEach((j, b) => lines.push(inputBinding(b + 1, `in${b}`, inputs[j]!.dtype)));
    chosen.forEach((m, c) => {
      const binding = bound.length + 1 + c;
      if (modes[c] === "word") lines.push(`@group(0) @binding(${binding}) var<storage, read_write> out${c}: array<u32>;`);
      else lines.push(scatterOutputBinding(binding, `out${c}`, outputs[m]!.dtype));
    });
    lines.push(`struct Outs {\n${chosen.map((m, c) => `  o${c}: ${scalarOf(outputs[m]!.dtype)},`).join("\n")}\n}`);
    const body = [...ix.lines, ...valueLines(program, metas, n, live, (j) => `ld_in${local.get(j)}(u32(i${local.get(j)}))`)];
    body.push(`  return Outs(${chosen.map((m) => `v${program.outputs[m]}`).join(", ")});`);
    lines.push(`fn compute(e: u32) -> Outs {\n${body.join("\n")}\n}`);
    lines.push(
      ...mainFunction(
        chosen.map((m, c) => ({ dtype: outputs[m]!.dtype, mode: modes[c]! })),
        group,
      ),
    );
    return withPrelude(lines.join("\n"));
  };

  const key = [
    "fused",
    programKey,
    `o${chosen.join(",")}`,
    bound.map((j) => inputs[j]!.dtype).join(","),
    chosen.map((m, c) => `${outputs[m]!.dtype}:${modes[c]}`).join(","),
    ix.key,
  ].join("|");
  return { key, params, inputs: bound, outputs: chosen, workgroups: Math.ceil(Math.ceil(total / group) / WORKGROUP), wgsl };
}

/** `main`: `group` consecutive elements per invocation; element-mode outputs stored one by one, word-mode ones as whole words. */
function mainFunction(outs: readonly { dtype: DType; mode: OutputMode }[], group: number): string[] {
  const lines = [
    `@compute @workgroup_size(${WORKGROUP}) fn main(${MAIN_BUILTINS}) {`,
    `  let base = (${flatIndex(WORKGROUP)}) * ${group}u;`,
    "  if (base >= prm_n()) { return; }",
  ];
  const words = outs.map((o) => (o.mode === "word" ? group / perWord(o.dtype) : 0));
  outs.forEach((_, c) => {
    for (let w = 0; w < words[c]!; w++) lines.push(`  var word${c}_${w} = 0u; var mask${c}_${w} = 0u;`);
  });
  for (let s = 0; s < group; s++) {
    lines.push(`  if (base + ${s}u < prm_n()) {`, `    let r = compute(base + ${s}u);`);
    outs.forEach((o, c) => {
      if (o.mode === "element") {
        lines.push(`    st_out${c}(prm_oo${c}() + base + ${s}u, r.o${c});`);
        return;
      }
      const p = perWord(o.dtype);
      const bits = 32 / p;
      const mask = p === 2 ? "0xffffu" : "0xffu";
      const w = `${c}_${Math.floor(s / p)}`;
      const shift = (s % p) * bits;
      lines.push(`    word${w} |= (${packedBits(o.dtype, `r.o${c}`)} & ${mask}) << ${shift}u;`, `    mask${w} |= ${mask} << ${shift}u;`);
    });
    lines.push("  }");
  }
  outs.forEach((o, c) => {
    for (let w = 0; w < words[c]!; w++) {
      const p = perWord(o.dtype);
      // Only this invocation touches the word; bytes of it outside the output (the tail) keep their contents.
      lines.push(
        `  if (mask${c}_${w} != 0u) {`,
        `    let at = (prm_oo${c}() + base) / ${p}u + ${w}u;`,
        `    if (mask${c}_${w} == 0xffffffffu) { out${c}[at] = word${c}_${w}; } else { out${c}[at] = (out${c}[at] & ~mask${c}_${w}) | word${c}_${w}; }`,
        "  }",
      );
    }
  });
  lines.push("}");
  return lines;
}
