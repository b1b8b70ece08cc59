import { readFile } from "node:fs/promises";
import { FormatError } from "@polychip/hal";
import type { TestResult } from "../conformance.ts";

/**
 * The committed list of tests known not to pass on a device, each with its reason. A run checks
 * itself against it: a failure not listed is a regression, a listed test that passes is stale.
 */
export interface Expectations {
  readonly device: string;
  readonly corpus?: string;
  readonly expected: Readonly<Record<string, { readonly status: "fail" | "skip"; readonly reason: string }>>;
}

export interface ExpectationReport {
  /** Tests that did not pass and are not listed. */
  readonly unexpected: TestResult[];
  /** Listed tests that now pass: remove them from the file. */
  readonly stale: string[];
  readonly ok: boolean;
}

export async function loadExpectations(path: string): Promise<Expectations> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new FormatError(`expectations file ${path}: ${(err as Error).message}`);
  }
  const e = parsed as Expectations;
  if (!e || typeof e !== "object" || typeof e.expected !== "object" || e.expected === null) {
    throw new FormatError(`expectations file ${path}: expected {"device": ..., "expected": {"test_name": {"status", "reason"}}}`);
  }
  return e;
}

export function checkExpectations(results: readonly TestResult[], expectations: Expectations): ExpectationReport {
  const listed = expectations.expected;
  const unexpected = results.filter((r) => r.status !== "pass" && !listed[r.name]);
  const stale = results.filter((r) => r.status === "pass" && listed[r.name]).map((r) => r.name);
  return { unexpected, stale, ok: unexpected.length === 0 && stale.length === 0 };
}
