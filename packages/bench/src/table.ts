/** A plain table: rendered aligned for the terminal or as GitHub markdown. */
export interface Table {
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Per column: "l" or "r"; by default the first column is left-aligned and the figures right-aligned. */
  readonly align?: readonly ("l" | "r")[];
}

const alignOf = (t: Table, i: number) => t.align?.[i] ?? (i === 0 ? "l" : "r");

const width = (s: string) => [...s].length;

export function renderText(t: Table): string {
  const widths = t.headers.map((h, i) => Math.max(width(h), ...t.rows.map((r) => width(r[i] ?? ""))));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (alignOf(t, i) === "l" ? c.padEnd(widths[i]! + (c.length - width(c))) : c.padStart(widths[i]! + (c.length - width(c)))))
      .join("  ")
      .trimEnd();
  return [line(t.headers), widths.map((w) => "─".repeat(w)).join("  "), ...t.rows.map(line)].join("\n");
}

export function renderMarkdown(t: Table): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  return [
    `| ${t.headers.map(esc).join(" | ")} |`,
    `|${t.headers.map((_, i) => (alignOf(t, i) === "l" ? " --- " : " ---: ")).join("|")}|`,
    ...t.rows.map((r) => `| ${r.map(esc).join(" | ")} |`),
  ].join("\n");
}
