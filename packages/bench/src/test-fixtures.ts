import type { CaseResult, Entry, PassResult } from "./pass.ts";

/** A measured entry with the given median (ms), for tests of the tables and goals. */
export function ok(median: number): Entry {
  return { status: "ok", summary: { median, min: median, max: median, runs: 1 }, samples: [median] };
}

export function caseResult(id: string, entries: Record<string, Entry>): CaseResult {
  return { id, title: id, kind: "matmul", entries };
}

export function passResult(threads: number, cases: CaseResult[], singleThreadOnly: string[] = []): PassResult {
  const ids = [...new Set(cases.flatMap((c) => Object.keys(c.entries)))];
  return {
    threads,
    runners: ids.map((id) => ({
      id,
      label: id,
      detail: "",
      threads: singleThreadOnly.includes(id) ? 1 : threads,
      singleThreadOnly: singleThreadOnly.includes(id),
    })),
    unavailable: {},
    cases,
    seconds: 1,
  };
}
