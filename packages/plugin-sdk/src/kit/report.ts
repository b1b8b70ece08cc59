import type { CellResult, ConformanceReport } from "./run-conformance.ts";

/** What the formatters read: the report without its verdict and rendered output. */
type ReportBody = Omit<ConformanceReport, "ok" | "output">;

function cellText(cell: CellResult | undefined): string {
  if (!cell) return "·";
  switch (cell.status) {
    case "pass":
      return "pass";
    case "missing":
      return "missing";
    case "decomposed":
      return "decomposed";
    case "untested":
      return "untested";
    case "fail":
      return cell.maxError === null ? "FAIL (threw)" : `FAIL (${formatError(cell.maxError)})`;
  }
}

function formatError(e: number): string {
  return Number.isFinite(e) ? e.toExponential(1) : "NaN/Inf";
}

/**
 * The op × dtype table: pass, FAIL (max error), missing (no kernel for a primitive: falls back to
 * the CPU), decomposed (no kernel for a composite: its decomposition runs on the device),
 * untested (the reference could not run any case), · (the HAL does not define the op at that
 * dtype). Failing cases are listed under the table; the last line is the summary.
 */
export function formatTable(r: ReportBody): string {
  const ops = [...new Set(r.cells.map((c) => c.op))];
  const byKey = new Map(r.cells.map((c) => [`${c.op}/${c.dtype}`, c]));
  const header = ["op", ...r.dtypes];
  const rows = ops.map((op) => [op, ...r.dtypes.map((dt) => cellText(byKey.get(`${op}/${dt}`)))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  const out = [
    `conformance of plugin '${r.plugin}' (device '${r.device}', HAL ${r.halVersion}) against the CPU reference`,
    "",
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
  ];
  out.push(
    "",
    "pass | FAIL (max abs error) | missing: no kernel for a primitive, falls back to the CPU | decomposed: no kernel for a composite, its HAL decomposition runs on the device | untested: the reference could not run it | ·: not defined at that dtype",
  );
  if (r.claims.length) {
    out.push("", "claims on the kit's graph corpus, each against the same nodes run op by op on the cpu:");
    for (const c of r.claims)
      out.push(
        `  ${c.status === "pass" ? "pass" : "FAIL"}  ${c.graph} (${c.dtype}): ${c.claim}${c.maxError === null ? "" : ` (max abs error ${formatError(c.maxError)})`}${c.message ? ` — ${c.message}` : ""}`,
      );
  }
  const failures = r.records.filter((x) => x.status === "fail");
  if (failures.length) {
    out.push("", "failures:");
    for (const f of failures) out.push(`  ${f.op} ${f.dtype} — ${f.case}: ${f.message}`);
  }
  const skipped = r.records.filter((x) => x.status === "skipped");
  if (skipped.length) out.push("", `${skipped.length} case(s) skipped because the reference could not run them (see --json)`);
  if (r.notes.length) out.push("", ...r.notes.map((n) => `note: ${n}`));
  out.push("", r.summary);
  return out.join("\n");
}

/** Per-case records as one JSON document (NaN and infinite errors become null), with the summary line as a field. */
export function formatJson(r: ReportBody): string {
  const body = {
    plugin: r.plugin,
    device: r.device,
    halVersion: r.halVersion,
    passed: r.passed,
    failed: r.failed,
    missing: r.missing,
    decomposed: r.decomposed,
    summary: r.summary,
    notes: r.notes,
    records: r.records.map((x) => ({ ...x, maxError: x.maxError !== null && Number.isFinite(x.maxError) ? x.maxError : null })),
    claims: r.claims.map((x) => ({ ...x, maxError: x.maxError !== null && Number.isFinite(x.maxError) ? x.maxError : null })),
  };
  return JSON.stringify(body, null, 2);
}
