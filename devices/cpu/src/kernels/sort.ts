import { boolAttr, normalizeAxis, numAttr } from "@polychip/hal";
import { openOutput, permutedValues } from "../views.ts";
import { keptThenReduced } from "./axes.ts";
import { cpuKernel, type CpuKernel, type CpuRegistration } from "./registration.ts";

/** Ascending order with NaN after everything (torch's), ties left to the caller. */
function compareKeys(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) return 0;
  return a !== a ? (b !== b ? 0 : 1) : -1;
}

/**
 * argsort along attrs.axis in O(n log n) per row: a comparison sort of each row's positions,
 * ties broken by position, so the result is torch's stable sort whatever the engine's sort does;
 * descending reverses the key order only (equal keys keep their order, NaN comes first).
 */
const argsortKernel: CpuKernel = ({ inputs: [x], outputs: [y], attrs }) => {
  const rank = x!.shape.length;
  const axis = normalizeAxis("argsort", numAttr("argsort", attrs, "axis", -1), rank);
  const sign = boolAttr(attrs, "descending") ? -1 : 1;
  const rows = permutedValues(x!, keptThenReduced(rank, [axis]));
  const n = x!.shape[axis]!;
  const inner = x!.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = openOutput(y!);
  const order = new Uint32Array(n);
  for (let r = 0; n > 0 && r < rows.length / n; r++) {
    const start = r * n;
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => sign * compareKeys(rows[start + a]!, rows[start + b]!) || a - b);
    // Row r is (outer, inner) with the axis moved last; write it back along the axis.
    const base = Math.floor(r / inner) * n * inner + (r % inner);
    for (let i = 0; i < n; i++) out.values[base + i * inner] = order[i]!;
  }
  out.commit();
};

export const sortKernels: CpuRegistration[] = [cpuKernel("argsort", argsortKernel)];
