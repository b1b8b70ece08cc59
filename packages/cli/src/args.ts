import { PolychipError } from "@polychip/hal";

/** A command line the CLI refuses: one line naming the flag, what it accepts and what it got. */
export class UsageError extends PolychipError {}

/**
 * One flag of a command, declared rather than parsed by hand, so every command checks its flags the
 * same way and a new one (a --plugin list, say) is one more table entry.
 *   boolean: present or not.  string: free text, or one of `choices`; `multiple` collects repeats.
 *   int / number: strict decimal (no "Infinity", "1e", "0x10", "abc"), within [min, max]
 *   (`above` instead of min for an exclusive lower bound).
 */
export type FlagSpec =
  | { readonly kind: "boolean" }
  | { readonly kind: "string"; readonly default?: string; readonly choices?: readonly string[]; readonly multiple?: boolean }
  | { readonly kind: "int"; readonly default?: number; readonly min: number; readonly max: number }
  | { readonly kind: "number"; readonly default?: number; readonly min?: number; readonly above?: number; readonly max: number };

export type FlagTable = Readonly<Record<string, FlagSpec>>;

type ValueOf<S extends FlagSpec> = S extends { kind: "boolean" }
  ? boolean
  : S extends { kind: "string"; multiple: true }
    ? string[]
    : S extends { kind: "string"; default: string }
      ? string
      : S extends { kind: "string" }
        ? string | undefined
        : S extends { default: number }
          ? number
          : number | undefined;

export type FlagValues<T extends FlagTable> = { -readonly [K in keyof T]: ValueOf<T[K]> };

export interface ParsedArgs<T extends FlagTable> {
  readonly values: FlagValues<T>;
  readonly positionals: string[];
}

const INT = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function range(spec: { min?: number; above?: number; max: number }): string {
  return spec.above !== undefined ? `(${spec.above}, ${spec.max}]` : `[${spec.min}, ${spec.max}]`;
}

function convert(command: string, name: string, spec: Exclude<FlagSpec, { kind: "boolean" }>, raw: string): string | number {
  if (spec.kind === "string") {
    if (spec.choices && !spec.choices.includes(raw)) throw new UsageError(`${command}: --${name} '${raw}' is not one of: ${spec.choices.join(", ")}`);
    return raw;
  }
  const what = spec.kind === "int" ? "an integer" : "a finite number";
  const above = spec.kind === "number" ? spec.above : undefined;
  const n = Number(raw);
  const low = above !== undefined ? n > above : n >= (spec.min ?? -Infinity);
  if (!(spec.kind === "int" ? INT : DECIMAL).test(raw) || !Number.isFinite(n) || !low || n > spec.max) {
    throw new UsageError(`${command}: --${name} must be ${what} in ${range({ min: spec.min, above, max: spec.max })}, got '${raw}'`);
  }
  return n;
}

/**
 * Parses `args` against `table`: `--flag value` and `--flag=value` forms, unknown flags and repeats
 * refused, every number checked against its range, and the positional count checked, all before the
 * command does any work. A value is always the next token, so `--epochs -1` is a bad value, not a flag.
 */
export function parseFlags<T extends FlagTable>(
  command: string,
  args: readonly string[],
  table: T,
  positionals: { min: number; max: number; what: string } = { min: 0, max: 0, what: "" },
): ParsedArgs<T> {
  const values: Record<string, unknown> = {};
  const seen = new Set<string>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const token = args[i]!;
    if (token === "--") {
      rest.push(...args.slice(i + 1)); // everything after "--" is positional
      break;
    }
    if (!token.startsWith("--")) {
      // Short options do not exist; "-1" and "-" are positionals (a negative number, stdin).
      if (/^-[^\d]/.test(token)) throw new UsageError(`${command}: unknown option '${token}' (options: ${listFlags(table)})`);
      rest.push(token);
      continue;
    }
    const eq = token.indexOf("=");
    const name = token.slice(2, eq < 0 ? undefined : eq);
    const spec = Object.hasOwn(table, name) ? table[name] : undefined;
    if (!spec) throw new UsageError(`${command}: unknown option '--${name}' (options: ${listFlags(table)})`);
    const multiple = spec.kind === "string" && spec.multiple;
    if (seen.has(name) && !multiple) throw new UsageError(`${command}: --${name} is given more than once`);
    seen.add(name);
    if (spec.kind === "boolean") {
      if (eq >= 0) throw new UsageError(`${command}: --${name} is a switch and takes no value, got '${token}'`);
      values[name] = true;
      continue;
    }
    let raw: string;
    if (eq >= 0) raw = token.slice(eq + 1);
    else {
      if (i + 1 >= args.length) throw new UsageError(`${command}: --${name} needs a value`);
      raw = args[++i]!;
    }
    const value = convert(command, name, spec, raw);
    if (multiple) ((values[name] ??= []) as unknown[]).push(value);
    else values[name] = value;
  }
  for (const [name, spec] of Object.entries(table)) {
    if (values[name] !== undefined) continue;
    if (spec.kind === "boolean") values[name] = false;
    else if (spec.kind === "string" && spec.multiple) values[name] = [];
    else if (spec.default !== undefined) values[name] = spec.default;
  }
  if (rest.length < positionals.min || rest.length > positionals.max) {
    const expected = positionals.min === positionals.max ? `${positionals.min}` : `${positionals.min} to ${positionals.max}`;
    throw new UsageError(
      `${command}: expects ${expected} ${positionals.what || "positional"} argument${positionals.max === 1 ? "" : "s"}, got ${rest.length}${rest.length ? ` (${rest.join(" ")})` : ""}`,
    );
  }
  return { values: values as FlagValues<T>, positionals: rest };
}

function listFlags(table: FlagTable): string {
  return Object.keys(table)
    .map((k) => `--${k}`)
    .join(", ");
}
