import { sizeOf } from "@polychip/hal";
import { broadcastValues, openOutput, readValues, type CpuView } from "../views.ts";

export type BinaryFn = (a: number, b: number) => number;

/**
 * out[i] = fn(a[i], b[i]) with both inputs broadcast (NumPy rules) to the output's shape. A
 * one-element input is read once instead of being expanded.
 */
export function mapBinary(a: CpuView, b: CpuView, y: CpuView, fn: BinaryFn): void {
  const out = openOutput(y);
  const v = out.values;
  const n = v.length;
  if (n > 0) {
    if (sizeOf(b.shape) === 1) {
      const as = broadcastValues(a, y.shape);
      const s = readValues(b)[0]!;
      for (let i = 0; i < n; i++) v[i] = fn(as[i]!, s);
    } else if (sizeOf(a.shape) === 1) {
      const s = readValues(a)[0]!;
      const bs = broadcastValues(b, y.shape);
      for (let i = 0; i < n; i++) v[i] = fn(s, bs[i]!);
    } else {
      const as = broadcastValues(a, y.shape);
      const bs = broadcastValues(b, y.shape);
      for (let i = 0; i < n; i++) v[i] = fn(as[i]!, bs[i]!);
    }
  }
  out.commit();
}
