/**
 * Top-level variables that outlive a run, for the "keep state" mode (a notebook's next cell sees
 * the last cell's variables). Each run's code declares its top-level names as usual; a prelude on
 * its first line (so no line numbers move) declares the names earlier runs kept and this code does
 * not declare itself, and registers a getter per name. When the run ends, the getters are read:
 * what the code assigned survives to the next run of the same worker. A fresh worker keeps nothing.
 */
import { parse } from "sucrase/dist/parser/index.js";
import { IdentifierRole } from "sucrase/dist/parser/tokenizer/index.js";

/** The parameter the run's function receives the kept scope under. */
export const KEPT_PARAM = "__polychipKept";

/** Names the prelude must never redeclare: the run function's own parameters. */
const RESERVED = new Set(["require", "exports", "module", "console", KEPT_PARAM]);

/** Top-level names the source declares (variables, functions, classes, enums, imports), types aside. */
export function topLevelNames(source: string): { declared: string[]; imported: string[] } {
  let tokens;
  try {
    tokens = parse(source, false, true, false).tokens;
  } catch {
    return { declared: [], imported: [] }; // the transpiler reports the syntax error with its line
  }
  const declared = new Set<string>();
  const imported = new Set<string>();
  for (const t of tokens) {
    if (t.isType) continue;
    const name = source.slice(t.start, t.end);
    if (t.identifierRole === IdentifierRole.TopLevelDeclaration || t.identifierRole === IdentifierRole.ObjectShorthandTopLevelDeclaration) declared.add(name);
    else if (t.identifierRole === IdentifierRole.ImportDeclaration) imported.add(name);
  }
  return { declared: [...declared], imported: [...imported] };
}

export interface KeptBinding {
  get(name: string): unknown;
  track(getters: Record<string, () => unknown>): void;
}

export class KeptScope {
  private readonly values = new Map<string, unknown>();
  private getters: Record<string, () => unknown> = {};

  /** Names kept so far, in the order they were first kept. */
  names(): string[] {
    return [...this.values.keys()];
  }

  /** The first-line code for a run of `source`: declares inherited names and registers every getter. */
  prelude(source: string): string {
    const { declared, imported } = topLevelNames(source);
    const own = new Set([...declared, ...imported]);
    const inherited = this.names().filter((n) => !own.has(n) && !RESERVED.has(n));
    const tracked = [...declared.filter((n) => !RESERVED.has(n)), ...inherited];
    const declare = inherited.length ? `let ${inherited.map((n) => `${n} = ${KEPT_PARAM}.get(${JSON.stringify(n)})`).join(", ")}; ` : "";
    const track = tracked.length ? `${KEPT_PARAM}.track({ ${tracked.map((n) => `${JSON.stringify(n)}: () => ${n}`).join(", ")} }); ` : "";
    return declare + track;
  }

  /** What the run's code receives as KEPT_PARAM. */
  binding(): KeptBinding {
    this.getters = {};
    return {
      get: (name) => this.values.get(name),
      track: (getters) => {
        this.getters = getters;
      },
    };
  }

  /**
   * Reads the run's variables. One the run never reached (an error before its declaration: a
   * ReferenceError from its temporal dead zone) keeps its earlier value, as a failed cell would.
   */
  capture(): void {
    for (const [name, get] of Object.entries(this.getters)) {
      try {
        this.values.set(name, get());
      } catch {
        /* not initialised in this run */
      }
    }
    this.getters = {};
  }
}
