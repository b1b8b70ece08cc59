import { PolychipError } from "@polychip/hal";
import { checkExpectations, formatOpSummary, formatResult, formatSummary, loadExpectations, runConformance, type TestResult } from "@polychip/onnx/conformance";

export interface ConformanceCommandOptions {
  /** Test folders, or folders holding them (searched recursively). */
  readonly paths: readonly string[];
  readonly device: string;
  readonly json: boolean;
  readonly rtol: number;
  readonly atol: number;
  /** An expectations file: listed failures do not fail the run, unlisted ones and stale entries do. */
  readonly expect?: string;
  /** Print a per-op-type table (passed/failed/skipped) before the summary line. */
  readonly summary?: boolean;
}

/**
 * `polychip conformance onnx <DIR…>`: one line per test (or one JSON record with --json), then
 * "N passed, N failed, N skipped" (with --summary, first one such line per ONNX op type).
 * Returns the exit code: 1 when a test failed (or, with --expect, when a failure is not listed or
 * a listed test passes), else 0. Paths holding no test are an error.
 */
export async function conformanceCommand(o: ConformanceCommandOptions, write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  if (o.paths.length === 0) throw new PolychipError("conformance onnx: give at least one test folder");
  for (const [k, v] of [
    ["rtol", o.rtol],
    ["atol", o.atol],
  ] as const) {
    if (!Number.isFinite(v) || v < 0) throw new PolychipError(`--${k} must be a non-negative number, got ${v}`);
  }
  const expectations = o.expect ? await loadExpectations(o.expect) : undefined;
  const show = (r: TestResult) => {
    const listed = expectations?.expected[r.name];
    if (o.json) write(JSON.stringify({ ...r, ...(listed ? { expected: listed.status } : {}) }));
    else write(`${formatResult(r)}${listed && r.status !== "pass" ? "  (expected)" : ""}`);
  };
  let summary;
  try {
    summary = await runConformance(o.paths, { device: o.device, rtol: o.rtol, atol: o.atol, onResult: show });
  } catch (err) {
    if (err instanceof PolychipError) throw err;
    throw new PolychipError(`conformance onnx: ${(err as Error).message}`);
  }
  let code = summary.failed > 0 ? 1 : 0;
  if (expectations) {
    const report = checkExpectations(summary.results, expectations);
    for (const r of report.unexpected) write(`unexpected ${r.status}: ${r.name} (not in ${o.expect})`);
    for (const name of report.stale) write(`stale expectation: ${name} passes now; remove it from ${o.expect}`);
    code = report.ok ? 0 : 1;
  }
  if (o.summary) for (const line of formatOpSummary(summary.results)) write(line);
  write(formatSummary(summary));
  return code;
}
