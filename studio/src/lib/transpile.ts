/**
 * User code → runnable JavaScript, keeping every statement on its original line so a stack
 * trace's line is the line the user sees. Sucrase strips TypeScript and turns imports into
 * `require` calls without moving code between lines (its design goal), which is why it is used
 * here instead of tsc's emit.
 */
import { transform } from "sucrase";
import { KEPT_PARAM } from "./kept-scope.ts";

/** The file name user code runs under; stack frames from it are the user's lines. */
export const USER_FILE = "user-code.ts";

export class UserCodeError extends Error {
  constructor(
    message: string,
    readonly kind: "syntax" | "runtime",
    readonly line: number | undefined,
    readonly column: number | undefined,
    readonly errorName = "Error",
  ) {
    super(message);
    this.name = "UserCodeError";
  }
}

export interface Transpiled {
  /** Body of an async function taking USER_PARAMS: (require, exports, module, console, kept scope). */
  body: string;
}

/**
 * Transpiles TypeScript/ESM user code; a syntax error becomes a UserCodeError with its line.
 * `prelude` (one line of code, the kept scope's) is put on the first line, after "use strict".
 */
export function transpileUserCode(source: string, prelude = ""): Transpiled {
  let code: string;
  try {
    code = transform(source, { transforms: ["typescript", "imports"], production: true, filePath: USER_FILE }).code;
  } catch (err) {
    const e = err as Error & { loc?: { line: number; column: number } };
    const line = e.loc?.line;
    const column = e.loc?.column;
    const message = e.message.replace(/^Error transforming [^:]*:\s*/, "").replace(/\s*\(\d+:\d+\)\s*$/, "");
    throw new UserCodeError(`SyntaxError: ${message}`, "syntax", line, column, "SyntaxError");
  }
  if (prelude) {
    const strict = /^"use strict";/.exec(code)?.[0] ?? "";
    code = `${strict}${prelude}${code.slice(strict.length)}`;
  }
  return { body: `${code}\n//# sourceURL=${USER_FILE}` };
}

type AsyncFn = (...args: unknown[]) => Promise<unknown>;
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => AsyncFn;
export const USER_PARAMS = ["require", "exports", "module", "console", KEPT_PARAM] as const;

/** Lines the Function constructor's wrapper adds before the body (measured once, not assumed). */
let headerLines: number | undefined;

export function wrapperHeaderLines(): number {
  if (headerLines !== undefined) return headerLines;
  // Function and AsyncFunction share the wrapper "(async function anonymous(params\n) {\n"; a
  // synchronous probe lets the stack be read without waiting for a rejection.
  const probe = new Function(...USER_PARAMS, `throw new Error("probe");\n//# sourceURL=${USER_FILE}`) as () => void;
  let stack = "";
  try {
    probe();
  } catch (e) {
    stack = (e as Error).stack ?? "";
  }
  const line = firstUserFrame(stack)?.line;
  headerLines = line === undefined ? 2 : line - 1;
  return headerLines;
}

/** Compiles the transpiled body; V8 reports its own syntax errors without a line, so say so. */
export function compileUserCode(t: Transpiled): AsyncFn {
  try {
    return new AsyncFunction(...USER_PARAMS, t.body);
  } catch (err) {
    const e = err as Error;
    throw new UserCodeError(`${e.name}: ${e.message}`, "syntax", undefined, undefined, e.name);
  }
}

export interface Frame {
  line: number;
  column: number;
}

/** The first stack frame that points into the user's file, with the raw (wrapped) line. */
export function firstUserFrame(stack: string): Frame | undefined {
  const re = new RegExp(`${USER_FILE.replace(/\./g, "\\.")}:(\\d+):(\\d+)`);
  const m = re.exec(stack);
  return m ? { line: Number(m[1]), column: Number(m[2]) } : undefined;
}

/** Turns anything thrown by running user code into a UserCodeError pointing at the user's line. */
export function locateRuntimeError(err: unknown, header = wrapperHeaderLines()): UserCodeError {
  if (err instanceof UserCodeError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  const frame = firstUserFrame(e.stack ?? "");
  const line = frame ? frame.line - header : undefined;
  return new UserCodeError(`${e.name}: ${e.message}`, "runtime", line !== undefined && line > 0 ? line : undefined, frame?.column, e.name);
}
