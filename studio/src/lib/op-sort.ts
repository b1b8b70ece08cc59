/** Sorting the profiler's per-op rows by any column, as a table header click asks. */
import type { OpRow } from "./op-summary.ts";

export type OpSortKey = "name" | "device" | "count" | "totalMs" | "avgMs" | `arg:${string}`;
export interface OpSort {
  key: OpSortKey;
  descending: boolean;
}

/** The column's value for a row; an arg the row lacks sorts after every row that has it. */
function valueOf(r: OpRow, key: OpSortKey): string | number | undefined {
  switch (key) {
    case "name":
    case "device":
      return r[key];
    case "count":
    case "totalMs":
      return r[key];
    case "avgMs":
      return r.totalMs / r.count;
    default:
      return r.argTotals[key.slice(4)];
  }
}

export function sortOpRows(rows: readonly OpRow[], { key, descending }: OpSort): OpRow[] {
  const sign = descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const va = valueOf(a, key);
    const vb = valueOf(b, key);
    if (va === undefined || vb === undefined) return va === vb ? 0 : va === undefined ? 1 : -1;
    const c = typeof va === "number" && typeof vb === "number" ? va - vb : String(va).localeCompare(String(vb));
    return c * sign || a.name.localeCompare(b.name);
  });
}

/** A click on a column: the same column flips its order, a new one starts with numbers largest first and names A to Z. */
export function nextSort(current: OpSort, key: OpSortKey): OpSort {
  if (current.key === key) return { key, descending: !current.descending };
  return { key, descending: key !== "name" && key !== "device" };
}
