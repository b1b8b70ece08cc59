import { broadcastShapes, DTypeError, FormatError, UnsupportedOpError } from "@polychip/hal";
import { stringTensor, type StringTensor } from "../../strings.ts";
import type { ImportContext, OnnxNode } from "../context.ts";
import { input, output, type OpImporter } from "./helpers.ts";

/**
 * The string ops. Strings live on the host: each op computes its result there, from strings known
 * at import (initializers, Constant, string inputs given by the caller) or, under OnnxSession,
 * from the run's strings in a host step (string-host-steps.ts). String results stay host values,
 * numeric ones (StringSplit's counts) become constants of that import.
 */

/** Row-major index into a tensor of `dims` broadcast to `out`, for each flat position of `out`. */
export function broadcastIndex(dims: readonly number[], out: readonly number[]): number[] {
  const size = out.reduce((a, b) => a * b, 1);
  const result = new Array<number>(size);
  const rank = out.length;
  const padded = [...new Array<number>(rank - dims.length).fill(1), ...dims];
  for (let flat = 0; flat < size; flat++) {
    let rest = flat;
    let index = 0;
    let stride = 1;
    for (let axis = rank - 1; axis >= 0; axis--) {
      const at = rest % out[axis]!;
      rest = Math.floor(rest / out[axis]!);
      if (padded[axis] !== 1) index += at * stride;
      stride *= padded[axis]!;
    }
    result[flat] = index;
  }
  return result;
}

/** Two tensors broadcast against each other: the result shape and each operand's index per element. */
export function broadcastPair(ctx: ImportContext, a: readonly number[], b: readonly number[]): { shape: number[]; ia: number[]; ib: number[] } {
  const shape = broadcastShapes(ctx.where(), a, b);
  return { shape, ia: broadcastIndex(a, shape), ib: broadcastIndex(b, shape) };
}

const stringConcat: OpImporter = (ctx, node) => {
  const x = ctx.stringValue(input(ctx, node, 0));
  const y = ctx.stringValue(input(ctx, node, 1));
  const { shape, ia, ib } = broadcastPair(ctx, x.shape, y.shape);
  const out = output(node);
  if (out)
    ctx.declareString(
      out,
      stringTensor(
        shape,
        ia.map((i, k) => x.data[i]! + y.data[ib[k]!]!),
      ),
    );
};

/** Equal with STRING operands: exact comparison (code units, as ONNX Runtime compares bytes of UTF-8). */
export const stringEqual: OpImporter = (ctx, node) => {
  const a = ctx.stringValue(input(ctx, node, 0));
  const b = ctx.stringValue(input(ctx, node, 1));
  const { shape, ia, ib } = broadcastPair(ctx, a.shape, b.shape);
  const out = output(node);
  if (out) ctx.declareConstant(out, { dtype: "bool", shape, data: Uint8Array.from(ia, (i, k) => (a.data[i] === b.data[ib[k]!] ? 1 : 0)) });
};

/** Python's str.split: by `delimiter` (every occurrence), or by runs of whitespace (ends stripped) when none is given. */
export function splitString(s: string, delimiter: string | undefined, maxsplit: number | undefined): string[] {
  const limit = maxsplit === undefined || maxsplit < 0 ? Infinity : maxsplit;
  if (delimiter) {
    const parts: string[] = [];
    let from = 0;
    while (parts.length < limit) {
      const at = s.indexOf(delimiter, from);
      if (at < 0) break;
      parts.push(s.slice(from, at));
      from = at + delimiter.length;
    }
    parts.push(s.slice(from));
    return parts;
  }
  const parts: string[] = [];
  const space = /\s+/y;
  let i = s.search(/\S/);
  if (i < 0) return [];
  while (i < s.length) {
    if (parts.length >= limit) {
      parts.push(s.slice(i));
      return parts;
    }
    const next = s.slice(i).search(/\s/);
    if (next < 0) {
      parts.push(s.slice(i));
      return parts;
    }
    parts.push(s.slice(i, i + next));
    space.lastIndex = i + next;
    space.exec(s);
    i = space.lastIndex;
  }
  return parts;
}

const stringSplit: OpImporter = (ctx, node) => {
  const x = ctx.stringValue(input(ctx, node, 0));
  const delimiter = node.attrs.string("delimiter");
  const maxsplit = node.attrs.has("maxsplit") ? node.attrs.int("maxsplit", -1) : undefined;
  const pieces = x.data.map((s) => splitString(s, delimiter, maxsplit));
  const width = pieces.reduce((m, p) => Math.max(m, p.length), 0);
  const y = output(node, 0);
  const z = output(node, 1);
  if (y)
    ctx.declareString(
      y,
      stringTensor(
        [...x.shape, width],
        pieces.flatMap((p) => [...p, ...new Array<string>(width - p.length).fill("")]),
      ),
    );
  if (z) ctx.declareConstant(z, { dtype: "int32", shape: [...x.shape], data: Int32Array.from(pieces, (p) => p.length) });
};

/** Locales whose case rules are JavaScript's default (Unicode) ones. */
const LOCALES = new Set(["", "en_US", "en_US.UTF-8", "C.UTF-8"]);

/**
 * Case mapping one code point at a time, as ONNX Runtime's towlower/towupper do: a code point whose
 * full mapping is several (ß → SS, ﬁ → FI) keeps itself, as the simple Unicode mapping has it.
 */
function simpleCase(s: string, upper: boolean): string {
  let out = "";
  for (const c of s) {
    const m = upper ? c.toUpperCase() : c.toLowerCase();
    out += [...m].length === 1 ? m : c === "\u0130" && !upper ? "i" : c;
  }
  return out;
}

const stringNormalizer: OpImporter = (ctx, node) => {
  const x = ctx.stringValue(input(ctx, node, 0));
  const action = node.attrs.string("case_change_action", "NONE");
  if (!["NONE", "LOWER", "UPPER"].includes(action)) throw new FormatError(`${ctx.where()}: case_change_action '${action}' is not NONE, LOWER or UPPER`);
  const locale = node.attrs.string("locale", "");
  if (!LOCALES.has(locale))
    throw new UnsupportedOpError(
      `${ctx.where()}: locale '${locale}' is not supported (Polychip applies the default Unicode case rules: en_US, C.UTF-8 or none)`,
    );
  const sensitive = node.attrs.int("is_case_sensitive", 0) !== 0;
  const fold = (s: string) => (sensitive ? s : simpleCase(s, false));
  const stopwords = new Set((node.attrs.strings("stopwords") ?? []).map(fold));
  const rows = x.shape.length === 2 ? x.shape[0]! : 1;
  if (x.shape.length === 0 || x.shape.length > 2 || (x.shape.length === 2 && rows !== 1))
    throw new UnsupportedOpError(`${ctx.where()}: input must be [C] or [1, C], got [${x.shape.join(", ")}]`);
  const change = (s: string) => (action === "NONE" ? s : simpleCase(s, action === "UPPER"));
  let kept = x.data.filter((s) => !stopwords.has(fold(s))).map(change);
  // Everything filtered out: ONNX returns one empty string.
  if (kept.length === 0) kept = [""];
  const out = output(node);
  if (out) ctx.declareString(out, stringTensor(x.shape.length === 2 ? [1, kept.length] : [kept.length], kept));
};

const regexFullMatch: OpImporter = (ctx, node) => {
  const x = ctx.stringValue(input(ctx, node, 0));
  const pattern = node.attrs.string("pattern");
  if (pattern === undefined) throw new FormatError(`${ctx.where()}: attribute 'pattern' is required`);
  const re = re2AsRegExp(ctx, pattern);
  const out = output(node);
  if (out) ctx.declareConstant(out, { dtype: "bool", shape: [...x.shape], data: Uint8Array.from(x.data, (s) => (re.test(s) ? 1 : 0)) });
};

/**
 * An RE2 pattern as a JavaScript RegExp matching the whole string, when the two syntaxes agree on
 * it; patterns with constructs that differ (or that RE2 rejects) are refused, never misread.
 */
export function re2AsRegExp(ctx: ImportContext, pattern: string): RegExp {
  const refuse = (what: string) => {
    throw new UnsupportedOpError(`${ctx.where()}: pattern ${JSON.stringify(pattern)} uses ${what}, which Polychip does not translate from RE2`);
  };
  let js = "";
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\") {
      const e = pattern[i + 1];
      if (e === undefined) refuse("a trailing backslash");
      if (/[1-9]/.test(e!)) refuse("a backreference");
      if ("AzZCQEpPkK".includes(e!)) refuse(`the escape \\${e}`);
      // RE2's \s is ASCII whitespace without \v; JavaScript's includes Unicode spaces.
      if (e === "s" || e === "S") {
        if (inClass) refuse("\\s inside a character class");
        js += e === "s" ? "[\\t\\n\\f\\r ]" : "[^\\t\\n\\f\\r ]";
      } else js += c + e;
      i++;
      continue;
    }
    if (inClass) {
      if (c === "[" && pattern[i + 1] === ":") refuse("a POSIX character class");
      if (c === "]") inClass = false;
      js += c;
      continue;
    }
    if (c === "[") {
      inClass = true;
      js += c;
      if (pattern[i + 1] === "^") js += pattern[++i];
      if (pattern[i + 1] === "]") js += "\\" + pattern[++i];
      continue;
    }
    if (c === "(" && pattern[i + 1] === "?") {
      const rest = pattern.slice(i + 2);
      if (rest.startsWith(":")) {
        js += "(?:";
        i += 2;
        continue;
      }
      if (rest.startsWith("P<")) {
        js += "(?<";
        i += 3;
        continue;
      }
      refuse(rest.startsWith("=") || rest.startsWith("!") || rest.startsWith("<") ? "a lookaround" : "an inline flag group");
    }
    // RE2's . stops only at \n; JavaScript's also at \r, U+2028 and U+2029.
    js += c === "." ? "[^\\n]" : c;
  }
  try {
    return new RegExp(`^(?:${js})$`, "u");
  } catch (err) {
    throw new UnsupportedOpError(`${ctx.where()}: pattern ${JSON.stringify(pattern)} is not one Polychip can run (${(err as Error).message})`);
  }
}

/** Refuses a STRING operand of a numeric op by name (ImportContext.meta does so for any op). */
export function requireNotString(ctx: ImportContext, node: OnnxNode): void {
  for (const name of node.inputs) if (ctx.isString(name)) throw new DTypeError(`${ctx.where()}: '${name}' is a STRING tensor; this op takes numbers only`);
}

/** An op with a numeric lowering and a host form for STRING operands (Equal). */
export function withStringForm(numeric: OpImporter, strings: OpImporter): OpImporter {
  return (ctx, node) => (node.inputs.some((name) => ctx.isString(name)) ? strings(ctx, node) : numeric(ctx, node));
}

export const STRING_IMPORTERS: Readonly<Record<string, OpImporter>> = {
  StringConcat: stringConcat,
  StringSplit: stringSplit,
  StringNormalizer: stringNormalizer,
  RegexFullMatch: regexFullMatch,
};
