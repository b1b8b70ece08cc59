import { getOp, type Attrs, type TensorMeta } from "@polychip/hal";
import { scaledSymbol, symbolParts, type Dim, type ValueMeta } from "../host/meta.ts";
import { unknownDim } from "../host/structural.ts";

/**
 * Output metas of a HAL op whose inputs may have symbolic dims. The HAL's shape rules take
 * numbers, so they run under two unrelated assignments of large sizes to the symbols (and once
 * more under small ones when the rule accepts them): an output dim that is the same number every
 * time does not depend on any symbol and is exact; one that follows a symbol in every run is that
 * symbol; anything else is a fresh symbol — a size known only once the inputs are. A number in
 * a meta is therefore always the true size, never a size computed from a placeholder.
 */
export function inferWithSymbols(op: string, ins: readonly ValueMeta[], attrs: Attrs): ValueMeta[] {
  const rule = getOp(op);
  // "batch*8" is 8 times the symbol "batch": the runs assign sizes to base symbols only.
  const symbols = [...new Set(ins.flatMap((m) => m.shape.filter((d): d is string => typeof d === "string").map((d) => symbolParts(d).base)))];
  if (symbols.length === 0) return rule.infer(ins as TensorMeta[], attrs);
  const assignments = [new Map(symbols.map((s, i) => [s, 1_048_583 + i * 7_919])), new Map(symbols.map((s, i) => [s, 3_145_739 + i * 104_729]))];
  const concrete = (a: Map<string, number>): TensorMeta[] =>
    ins.map((m) => ({
      dtype: m.dtype,
      shape: m.shape.map((d) => {
        if (typeof d === "number") return d;
        const { base, factor } = symbolParts(d);
        return factor * a.get(base)!;
      }),
    }));
  const runs = assignments.map((a, i) => {
    try {
      return rule.infer(concrete(a), attrs);
    } catch (err) {
      // The rule saw placeholder sizes: its message names the symbols instead, so no placeholder leaks out.
      if (i === 0 && err instanceof Error) err.message = withSymbolNames(err.message, a);
      throw err;
    }
  });
  // Small sizes catch rules that clamp (a constant above some size, a symbol below it); a rule
  // that refuses them (a kernel larger than the input) leaves the two large runs to decide.
  const small = new Map(symbols.map((s, i) => [s, 5 + i * 2]));
  let smallRun: TensorMeta[] | undefined;
  try {
    smallRun = rule.infer(concrete(small), attrs);
  } catch {
    smallRun = undefined;
  }
  const all = [...assignments, ...(smallRun ? [small] : [])];
  const outs = [...runs, ...(smallRun ? [smallRun] : [])];
  return runs[0]!.map((m, j) => ({
    dtype: m.dtype,
    shape: m.shape.map((_, k): Dim => {
      const values = outs.map((run) => run[j]!.shape[k]!);
      if (values.every((v) => v === values[0]) && Number.isFinite(values[0])) return values[0]!;
      for (const s of symbols) {
        const factor = values[0]! / all[0]!.get(s)!;
        if (Number.isInteger(factor) && factor > 0 && all.every((a, r) => factor * a.get(s)! === values[r])) return scaledSymbol(s, factor);
      }
      return unknownDim();
    }),
  }));
}

/** A message about placeholder sizes with each size written as its symbol (`?4` for a dim known only at run time). */
function withSymbolNames(message: string, assignment: ReadonlyMap<string, number>): string {
  let out = message;
  for (const [symbol, size] of assignment) out = out.replace(new RegExp(`\\b${size}\\b`, "g"), () => symbol);
  return out === message ? out : `${out} (symbolic dims, a '?' one known only at run time: the import cannot prove them equal)`;
}
