import { FormatError, ShapeError } from "@polychip/hal";

/** An Einsum equation with every ellipsis spelled out as labels of its own ("…0", "…1", …). */
export interface EinsumEquation {
  /** One label per dim of each input (a label may repeat: a diagonal). */
  readonly inputs: readonly (readonly string[])[];
  /** The output's labels, in order. */
  readonly output: readonly string[];
}

const ELLIPSIS = "...";

/**
 * Parses `equation` for inputs of the given ranks. Ellipses broadcast right-aligned: the one with
 * the most dims names them all, shorter ones take the last of those names. Without "->" the output
 * is the ellipsis dims then every letter used exactly once, in ASCII order (NumPy's rule).
 */
export function parseEinsum(equation: string, ranks: readonly number[], where: string): EinsumEquation {
  const text = equation.replace(/\s+/g, "");
  const [lhs, rhs, extra] = text.split("->");
  if (lhs === undefined || extra !== undefined) throw new FormatError(`${where}: equation '${equation}' has more than one '->'`);
  const terms = lhs.split(",");
  if (terms.length !== ranks.length)
    throw new ShapeError(`${where}: equation '${equation}' names ${terms.length} operands but the node has ${ranks.length} inputs`);
  const split = terms.map((t) => splitTerm(t, equation, where));
  const ellipsisRanks = split.map((s, i) => {
    const r = ranks[i]! - s.before.length - s.after.length;
    if (s.ellipsis ? r < 0 : r !== 0)
      throw new ShapeError(`${where}: operand ${i} ('${terms[i]}') has rank ${ranks[i]}, which its ${s.before.length + s.after.length} labels do not fit`);
    return r;
  });
  const broadcast = Math.max(0, ...ellipsisRanks);
  const names = Array.from({ length: broadcast }, (_, k) => `…${k}`);
  const inputs = split.map((s, i) => [...s.before, ...names.slice(broadcast - ellipsisRanks[i]!), ...s.after]);
  if (rhs === undefined) {
    const letters = split.flatMap((s) => [...s.before, ...s.after]);
    const once = [...new Set(letters)].filter((l) => letters.indexOf(l) === letters.lastIndexOf(l)).sort();
    return { inputs, output: [...names, ...once] };
  }
  const out = splitTerm(rhs, equation, where);
  const output = [...out.before, ...(out.ellipsis ? names : []), ...out.after];
  if (new Set(output).size !== output.length) throw new FormatError(`${where}: equation '${equation}' repeats a label in its output`);
  return { inputs, output };
}

function splitTerm(term: string, equation: string, where: string): { before: string[]; after: string[]; ellipsis: boolean } {
  const at = term.indexOf(ELLIPSIS);
  const before = at < 0 ? term : term.slice(0, at);
  const after = at < 0 ? "" : term.slice(at + ELLIPSIS.length);
  for (const part of [before, after])
    if (!/^[A-Za-z]*$/.test(part)) throw new FormatError(`${where}: equation '${equation}' has a term '${term}' that is not letters with at most one '...'`);
  return { before: [...before], after: [...after], ellipsis: at >= 0 };
}
